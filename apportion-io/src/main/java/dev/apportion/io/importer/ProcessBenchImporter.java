package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;

/**
 * {@code processbench}: a ProcessBench split (QwenLM/ProcessBench, {@code gsm8k.json} etc.;
 * Zheng et al., "ProcessBench: Identifying Process Errors in Mathematical Reasoning",
 * arXiv 2412.06559): a JSON array (or JSON Lines) of {@code {"id", "generator", "problem",
 * "steps": [...], "final_answer_correct", "label"}} where {@code label} is the index of the
 * earliest wrong step, −1 when every step is correct.
 *
 * <p>Mapping: the problem is a context span, each step a policy turn (agent = none); outcome 1
 * when {@code final_answer_correct}, else 0; group = identical problem text
 * ({@code prompt:<hash>}), id = {@code id}. Labels: steps before the first wrong one +1, the
 * wrong one −1, later steps null (ProcessBench annotates only up to the first error);
 * {@code first_error_span} = {@code label}, or null for −1. A label outside −1..steps−1 is an
 * error.
 */
final class ProcessBenchImporter {
    private ProcessBenchImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        Conversation c = new Conversation(line);
        c.id = AgentProcessBenchImporter.requiredKey(f, n, "id");
        f.trajectory(null, c.id);
        String problem = f.string(n, "problem", "problem");
        c.promptKey = problem;
        JsonNode correct = f.required(n, "final_answer_correct", "final_answer_correct");
        if (!correct.isBoolean())
            throw f.error("final_answer_correct", "final_answer_correct must be true or false, got " + correct);
        c.outcome = correct.asBoolean() ? 1 : 0;
        JsonNode steps = f.array(n, "steps", "steps");
        JsonNode labelNode = f.required(n, "label", "label");
        int label = f.integer(labelNode, "label");
        if (label < -1 || label >= steps.size()) {
            throw f.error(
                    "label", "label must be -1 (no error) or a step index 0.." + (steps.size() - 1) + ", got " + label);
        }
        c.context(problem);
        c.labels = new ArrayList<>();
        for (int k = 0; k < steps.size(); k++) {
            JsonNode s = steps.get(k);
            if (!s.isTextual())
                throw f.error("steps[" + k + "]", "steps[" + k + "] must be a string, got " + s.getNodeType());
            c.policy(s.asText(), null, Double.NaN);
            c.labels.add(label < 0 || k < label ? Integer.valueOf(1) : k == label ? Integer.valueOf(-1) : null);
        }
        c.firstErrorGiven = true;
        c.firstError = label < 0 ? null : label;
        return c;
    }
}
