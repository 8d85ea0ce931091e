package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code trl}: completions logged by TRL's {@code GRPOTrainer} (its completions table: columns
 * {@code step}, {@code prompt}, {@code completion}, one column per reward function, and
 * {@code advantage}), as JSON Lines or a JSON array. The rewards are either an object
 * {@code "rewards": {"<function>": number | null}} or the remaining top-level number/null
 * columns.
 *
 * <p>Mapping: the prompt (a string, or a list of chat messages) is context; the completion (a
 * string, or a list of messages: assistant messages are policy turns, others context) follows;
 * each reward function is an outcome component ({@code null} = the function returned nothing);
 * {@code advantage} becomes the trajectory signal {@code trl_advantage}; group = identical prompt
 * within the step ({@code prompt:<hash>}); id = the line number. A record without any reward
 * function is an error.
 */
final class TrlImporter {
    private TrlImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        Conversation c = Conversation.numbered(f, line);
        JsonNode prompt = f.required(n, "prompt", "prompt");
        JsonNode completion = f.required(n, "completion", "completion");
        c.promptWithinStep(f, n, prompt);
        if (prompt.isTextual()) {
            c.context(prompt.asText());
        } else if (prompt.isArray()) {
            for (int k = 0; k < prompt.size(); k++) c.context(Messages.text(prompt.get(k), f, "prompt[" + k + "]"));
        } else {
            throw f.error("prompt", "prompt must be a string or a list of messages, got " + Json.kind(prompt));
        }
        if (completion.isTextual()) {
            c.policy(completion.asText(), null, Double.NaN);
        } else if (completion.isArray()) {
            Messages.append(c, completion, f, "completion", false);
        } else {
            throw f.error(
                    "completion", "completion must be a string or a list of messages, got " + Json.kind(completion));
        }
        double adv = f.optNumber(n, "advantage", "advantage");
        if (!Double.isNaN(adv)) c.signals.put("trl_advantage", adv);
        JsonNode rewards = n.get("rewards");
        if (rewards != null && !rewards.isNull()) {
            JsonNode o = f.object(n, "rewards", "rewards");
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                c.components.put(
                        e.getKey(),
                        e.getValue().isNull() ? Double.NaN : f.number(e.getValue(), "rewards." + e.getKey()));
            }
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (List.of("prompt", "completion", "step", "advantage").contains(e.getKey())) continue;
                JsonNode v = e.getValue();
                if (v.isNull()) {
                    c.components.put(e.getKey(), Double.NaN);
                } else if (v.isNumber()) {
                    c.components.put(e.getKey(), f.number(v, e.getKey()));
                } else {
                    throw f.error(
                            e.getKey(),
                            "reward column '" + e.getKey() + "' must be a number or null, got " + Json.kind(v) + " "
                                    + Json.show(v));
                }
            }
        }
        if (c.components.isEmpty()) {
            throw f.error(
                    "rewards",
                    "no reward: give \"rewards\": {\"<function>\": number} or one number column per reward function");
        }
        return c;
    }
}
