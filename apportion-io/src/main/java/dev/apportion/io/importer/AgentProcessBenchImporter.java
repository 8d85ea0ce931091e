package dev.apportion.io.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code agentprocessbench}: the AgentProcessBench JSONL (RUCBM/AgentProcessBench,
 * {@code data/AgentProcessBench/*.jsonl}; Fan et al., "AgentProcessBench: Diagnosing
 * Step-Level Process Quality in Tool-Using Agents", arXiv 2603.14465). Each line holds
 * {@code messages} (OpenAI format with tool calls), {@code step_labels} (message index →
 * human label +1 / 0 / −1 for every assistant message), {@code final_label} (+1 solved, −1
 * not), {@code query_index} and {@code sample_index}.
 *
 * <p>Mapping: group {@code q<query_index>}, id {@code s<sample_index>}; outcome 1 when
 * {@code final_label} is positive, else 0; assistant messages are policy turns, the rest
 * context; the labels file gets the step labels in turn order (null for an assistant message
 * without a label) and the first −1 turn as {@code first_error_span}. A step label on a
 * message that is not an assistant message is an error.
 */
final class AgentProcessBenchImporter {
    private AgentProcessBenchImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        Conversation c = new Conversation(line);
        c.group = "q" + requiredKey(f, n, "query_index");
        c.id = "s" + requiredKey(f, n, "sample_index");
        f.trajectory(c.group, c.id);
        c.outcome = f.number(n, "final_label", "final_label") > 0 ? 1 : 0;
        JsonNode messages = f.array(n, "messages", "messages");
        List<Integer> policy = Messages.append(c, messages, f, "messages", false);
        JsonNode steps = f.object(n, "step_labels", "step_labels");
        Map<Integer, Integer> byMessage = new HashMap<>();
        for (Iterator<String> it = steps.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            String path = "step_labels." + k;
            int idx;
            try {
                idx = Integer.parseInt(k);
            } catch (NumberFormatException e) {
                throw f.error(path, "step_labels key must be a message index, got \"" + k + "\"");
            }
            if (!policy.contains(idx)) {
                throw f.error(
                        path,
                        path + " labels message " + idx + ", which is not an assistant message (assistant "
                                + "messages: " + policy + ")");
            }
            byMessage.put(idx, f.label(steps.get(k), path));
        }
        c.labels = new ArrayList<>();
        for (int k : policy) c.labels.add(byMessage.get(k));
        return c;
    }

    static String requiredKey(Fields f, JsonNode n, String field) {
        String v = f.key(n, field, field);
        if (v == null) throw f.error(field, field + " is missing");
        return v;
    }
}
