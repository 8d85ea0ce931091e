package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code verl-dump}: the JSONL files verl writes to {@code trainer.rollout_data_dir}
 * ({@code RayPPOTrainer._dump_generations}, one {@code <step>.jsonl} per step): one line per
 * sample, {@code {"input", "output", "score", "step"?, "gts"?, ...}} where the extra keys are
 * the reward function's {@code reward_extra_info}.
 *
 * <p>Mapping: the input (decoded prompt) is a context span, the output a policy span; outcome =
 * {@code score}; group = identical input within the step ({@code prompt:<hash>}); id = the line
 * number. Extra keys with a number or boolean become trajectory signals; other extras (strings,
 * lists) and {@code gts} are ignored (verl writes whatever the reward function returns).
 */
final class VerlDumpImporter {
    private VerlDumpImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        Conversation c = Conversation.numbered(f, line);
        String input = f.string(n, "input", "input");
        String output = f.string(n, "output", "output");
        c.outcome = f.number(n, "score", "score");
        c.promptWithinStep(f, n, input);
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (List.of("input", "output", "score", "step", "gts").contains(k)) continue;
            if (e.getValue().isNumber() || e.getValue().isBoolean()) c.signals.put(k, f.number(e.getValue(), k));
        }
        c.context(input);
        c.policy(output, null, Double.NaN);
        return c;
    }
}
