package dev.apportion.io.importer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code taubench}: tau-bench historical trajectories (sierra-research/tau-bench,
 * {@code historical_trajectories/*.json}; Yao et al., "τ-bench", arXiv 2406.12045): a JSON array
 * of {@code {"task_id", "trial", "reward", "info": {"task": {"actions": [{"name", "kwargs"}]}},
 * "traj": [messages]}}.
 *
 * <p>Mapping: group {@code task-<task_id>}, id {@code trial-<trial>}, outcome = {@code reward};
 * assistant messages are policy turns (user, tool and system messages context). Turn rewards:
 * the episode's tool calls are matched one-to-one against the task's gold actions
 * ({@link ToolCallMatching}); a turn with tool calls gets the mean score of its calls as its
 * span reward, so MatchTIR-style turn credit can run; a turn without a tool call gets none.
 * Labels (derived from the gold actions, not human judgements): a tool-call turn scoring 1
 * is +1, scoring 0 is −1, in between 0; a turn without a tool call is null; the first error is
 * the first −1 turn. Arguments that are not valid JSON count as no arguments.
 */
final class TauBenchImporter {
    private TauBenchImporter() {}

    /** One record as a conversation ({@link ConversationBatch.RecordMapper}). */
    static Conversation conversation(Fields f, JsonNode n, int line, int index) {
        Conversation c = new Conversation(line);
        c.group = "task-" + AgentProcessBenchImporter.requiredKey(f, n, "task_id");
        c.id = "trial-" + AgentProcessBenchImporter.requiredKey(f, n, "trial");
        f.trajectory(c.group, c.id);
        c.outcome = f.number(n, "reward", "reward");
        JsonNode task = f.object(f.object(n, "info", "info"), "task", "info.task");
        JsonNode gold = f.array(task, "actions", "info.task.actions");
        String[] goldName = new String[gold.size()];
        JsonNode[] goldArgs = new JsonNode[gold.size()];
        for (int g = 0; g < gold.size(); g++) {
            String p = "info.task.actions[" + g + "]";
            goldName[g] = f.string(gold.get(g), "name", p + ".name");
            JsonNode kw = gold.get(g).get("kwargs");
            goldArgs[g] = kw == null || kw.isNull() ? Json.mapper().createObjectNode() : kw;
            if (!goldArgs[g].isObject())
                throw f.error(p + ".kwargs", p + ".kwargs must be an object, got " + Json.kind(kw));
        }
        JsonNode traj = f.array(n, "traj", "traj");
        // every tool call of the episode, with its turn
        List<String> callName = new ArrayList<>();
        List<JsonNode> callArgs = new ArrayList<>();
        List<Integer> callTurn = new ArrayList<>();
        int turn = 0;
        for (int k = 0; k < traj.size(); k++) {
            JsonNode m = traj.get(k);
            if (!m.isObject() || !"assistant".equals(m.path("role").asText())) continue;
            JsonNode calls = m.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (int j = 0; j < calls.size(); j++) {
                    Messages.Call call = Messages.call(calls.get(j), f, "traj[" + k + "].tool_calls[" + j + "]");
                    callName.add(call.name());
                    callArgs.add(arguments(call.arguments()));
                    callTurn.add(turn);
                }
            }
            turn++;
        }
        double[][] w = new double[callName.size()][gold.size()];
        for (int i = 0; i < w.length; i++) {
            for (int g = 0; g < gold.size(); g++)
                w[i][g] = ToolCallMatching.similarity(callName.get(i), callArgs.get(i), goldName[g], goldArgs[g]);
        }
        int[] match = ToolCallMatching.assign(w, gold.size());
        double[] sum = new double[turn];
        int[] count = new int[turn];
        for (int i = 0; i < w.length; i++) {
            sum[callTurn.get(i)] += match[i] >= 0 ? w[i][match[i]] : 0;
            count[callTurn.get(i)]++;
        }
        List<Integer> policy = Messages.append(c, traj, f, "traj", false);
        // set the rewards of the policy turns (Messages.append added them without)
        c.labels = new ArrayList<>();
        int t = 0;
        for (int k = 0; k < c.turns.size(); k++) {
            Conversation.Turn ct = c.turns.get(k);
            if (!ct.policy()) continue;
            double reward = count[t] == 0 ? Double.NaN : sum[t] / count[t];
            c.turns.set(k, new Conversation.Turn(true, ct.text(), ct.agent(), reward));
            c.labels.add(
                    count[t] == 0
                            ? null
                            : reward >= 1 - 1e-9
                                    ? Integer.valueOf(1)
                                    : reward <= 1e-9 ? Integer.valueOf(-1) : Integer.valueOf(0));
            t++;
        }
        if (t != policy.size()) throw new IllegalStateException("turn count mismatch");
        return c;
    }

    private static JsonNode arguments(JsonNode a) {
        if (a.isObject()) return a;
        try {
            JsonNode n = Json.mapper().readTree(a.asText());
            return n != null && n.isObject() ? n : Json.mapper().createObjectNode();
        } catch (JsonProcessingException e) {
            return Json.mapper().createObjectNode();
        }
    }
}
