package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The importers' common intermediate form: one trajectory as a list of turns (policy turns are
 * the model's messages or steps, context turns everything else), with its outcome and labels.
 */
final class Conversation {
    /** One message or step. */
    record Turn(boolean policy, String text, String agent, double reward) {}

    String group;
    String id;
    final int line;
    double outcome = Double.NaN;
    final Map<String, Double> components = new LinkedHashMap<>();
    final Map<String, Double> signals = new LinkedHashMap<>();
    final List<Turn> turns = new ArrayList<>();
    /** One entry per policy turn, or null when the source has no labels. */
    List<Integer> labels;
    /** The first error (policy-turn index); used only when {@link #firstErrorGiven}. */
    Integer firstError;

    boolean firstErrorGiven;
    /** Text that identifies the prompt (for groups recovered from identical prompts), or null. */
    String promptKey;

    Conversation(int line) {
        this.line = line;
    }

    /**
     * A conversation identified by its line (id = the line number, no group: logs such as verl's
     * dumps and TRL's completions table have no ids), with {@code f} pointed at it.
     */
    static Conversation numbered(Fields f, int line) {
        Conversation c = new Conversation(line);
        c.id = Integer.toString(line);
        f.trajectory(null, c.id);
        return c;
    }

    /** Groups by identical {@code prompt} within the record's optional {@code step}. */
    void promptWithinStep(Fields f, JsonNode n, Object prompt) {
        String step = f.key(n, "step", "step");
        promptKey = (step == null ? "" : step) + "\u0000" + prompt;
    }

    int policyTurns() {
        int n = 0;
        for (Turn t : turns) if (t.policy()) n++;
        return n;
    }

    void context(String text) {
        turns.add(new Turn(false, text, null, Double.NaN));
    }

    void policy(String text, String agent, double reward) {
        turns.add(new Turn(true, text, agent, reward));
    }
}
