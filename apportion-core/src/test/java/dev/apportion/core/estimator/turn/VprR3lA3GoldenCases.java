package dev.apportion.core.estimator.turn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.GoldenJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Test-only reader of {@code vpr-r3l-a3.jsonl} (copied from the shared golden folder; produced
 * by running thu-nics/VPR@7fa8008, shiweijiezero/R3L@d503f6c and Hoyant-Su/Agentic-RL-A3@44f22cc
 * unmodified on CPU float32). It builds each case's batch with the same mapping as the io
 * module's {@code AgenticTurnAdapter}:
 * <ul>
 *   <li><b>vpr</b> (one row per generated turn): trajectories by {@code traj_uid} (order of first
 *       appearance, rows keep their order; group = the trajectory uid); each row is one policy
 *       span (its valid prefix; reward {@code rewards[i]}, state {@code state_group_uid[i]} when
 *       given, span signals {@code turn_index}, {@code is_padding}, {@code is_terminal},
 *       {@code terminal_success}) followed by one context span (its padding).</li>
 *   <li><b>r3l</b> (one Trinity experience per row, ragged): group = {@code batch/task}; the
 *       trajectory-level variants make one trajectory per row (id {@code batch/task/run}, outcome
 *       = reward, trajectory signal {@code retry_step}); the step-wise variants one trajectory
 *       per run, rows in input order as steps (span signal {@code step} = the row's ordinal,
 *       span signal {@code retry_step}), outcome = the run's last row's reward. A row's spans are
 *       the runs of its {@code action_mask} (one empty context span for an empty row).</li>
 *   <li><b>a3</b> (one row per turn): trajectories by {@code traj_uid}, group = {@code uid}; one
 *       policy span per row (valid prefix; span signal {@code turn_index}; token text = the
 *       characters of the token ids) and one context span; the outcome is the episode reward
 *       when it is constant within the trajectory, else every row carries span signal
 *       {@code episode_reward}. Param {@code multi_turn} is dropped, {@code intent_signature} is
 *       taken from the input.</li>
 * </ul>
 * JSON nulls in params mean "the estimator's default" and are left out.
 */
final class VprR3lA3GoldenCases {
    static final String RESOURCE = "/golden/vpr-r3l-a3.jsonl";

    private VprR3lA3GoldenCases() {}

    /** One case as read. */
    record Case(
            String name,
            String estimator,
            Map<String, Object> params,
            JsonNode input,
            JsonNode expected,
            double atol,
            double rtol) {}

    /**
     * A built case.
     *
     * @param tokenIndex global token index of each (row, position)
     * @param rowSpan global index of the row's policy span (vpr, a3), or -1
     * @param params parameters for {@code Params.resolve}
     */
    record Built(Rollouts batch, int[][] tokenIndex, int[] rowSpan, Map<String, Object> params) {}

    static List<Case> read() {
        return GoldenJson.read(
                RESOURCE,
                (c, no) -> new Case(
                        c.path("case").asText("line " + no),
                        c.get("estimator").asText(),
                        GoldenJson.paramsWithoutNulls(c.path("params")),
                        c.get("input"),
                        c.get("expected"),
                        c.path("atol").asDouble(1e-5),
                        c.path("rtol").asDouble(1e-4)));
    }

    static Built build(Case c) {
        switch (c.estimator()) {
            case VprEstimator.ID:
                return vpr(c);
            case R3lEstimator.ID:
                return r3l(c);
            case A3Estimator.ID:
                return a3(c);
            default:
                throw new IllegalArgumentException(c.name() + ": unknown estimator " + c.estimator());
        }
    }

    // ---- vpr -----------------------------------------------------------------------------

    private static Built vpr(Case c) {
        JsonNode in = c.input();
        double[][] mask = GoldenJson.matrix(in.get("response_mask"));
        int rows = mask.length;
        String[] traj = GoldenJson.strings(in.get("traj_uid"));
        Map<String, List<Integer>> byTraj = GoldenJson.groupRows(traj);
        boolean states = in.hasNonNull("state_group_uid");
        RolloutsBuilder b = Rollouts.builder();
        int[] rowTraj = new int[rows];
        int[] rowOrdinal = new int[rows];
        int t = 0;
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            b.trajectory(e.getKey(), e.getKey());
            int ord = 0;
            for (int r : e.getValue()) {
                int valid = GoldenJson.prefixLength(mask[r], c.name() + ": row " + r + " mask");
                b.span(
                        Role.POLICY,
                        valid,
                        in.get("rewards").get(r).asDouble(),
                        states ? in.get("state_group_uid").get(r).asText() : null,
                        null);
                b.spanSignal(
                        VprEstimator.TURN_INDEX, in.get("turn_index").get(r).asDouble());
                b.spanSignal(VprEstimator.IS_PADDING, bool(in.get("is_padding").get(r)));
                b.spanSignal(
                        VprEstimator.IS_TERMINAL, bool(in.get("is_terminal").get(r)));
                b.spanSignal(
                        VprEstimator.TERMINAL_SUCCESS,
                        bool(in.get("terminal_success").get(r)));
                b.span(Role.CONTEXT, mask[r].length - valid);
                rowTraj[r] = t;
                rowOrdinal[r] = ord++;
            }
            t++;
        }
        Rollouts batch = b.build();
        return new Built(
                batch, padded(batch, mask, rowTraj, rowOrdinal), rowSpans(batch, rowTraj, rowOrdinal), c.params());
    }

    // ---- a3 ------------------------------------------------------------------------------

    private static Built a3(Case c) {
        JsonNode in = c.input();
        double[][] mask = GoldenJson.matrix(in.get("response_mask"));
        int[][] ids = GoldenJson.intMatrix(in.get("responses"));
        int rows = mask.length;
        String[] traj = GoldenJson.strings(in.get("traj_uid"));
        String[] uid = GoldenJson.strings(in.get("uid"));
        Map<String, List<Integer>> byTraj = GoldenJson.groupRows(traj);
        RolloutsBuilder b = Rollouts.builder();
        int[] rowTraj = new int[rows];
        int[] rowOrdinal = new int[rows];
        int t = 0;
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            List<Integer> rs = e.getValue();
            String group = uid[rs.get(0)];
            double first = in.get("episode_rewards").get(rs.get(0)).asDouble();
            boolean constant = true;
            for (int r : rs) {
                if (!uid[r].equals(group))
                    throw new IllegalArgumentException(c.name() + ": trajectory " + e.getKey() + " has two uids");
                constant &= in.get("episode_rewards").get(r).asDouble() == first;
            }
            b.trajectory(group, e.getKey());
            if (constant) b.outcome(first);
            List<String> text = new ArrayList<>();
            int ord = 0;
            for (int r : rs) {
                int valid = GoldenJson.prefixLength(mask[r], c.name() + ": row " + r + " mask");
                b.span(Role.POLICY, valid);
                b.spanSignal(VprEstimator.TURN_INDEX, in.get("turn_idx").get(r).asDouble());
                if (!constant)
                    b.spanSignal(
                            A3Estimator.EPISODE_REWARD,
                            in.get("episode_rewards").get(r).asDouble());
                b.span(Role.CONTEXT, mask[r].length - valid);
                for (int j = 0; j < mask[r].length; j++)
                    text.add(j < valid ? new String(Character.toChars(ids[r][j])) : "");
                rowTraj[r] = t;
                rowOrdinal[r] = ord++;
            }
            b.tokenText(text.toArray(new String[0]));
            t++;
        }
        Rollouts batch = b.build();
        Map<String, Object> params = new LinkedHashMap<>(c.params());
        params.remove("multi_turn");
        params.put("intent_signature", in.get("intent_signature").asText());
        return new Built(batch, padded(batch, mask, rowTraj, rowOrdinal), rowSpans(batch, rowTraj, rowOrdinal), params);
    }

    // ---- r3l -----------------------------------------------------------------------------

    static boolean stepWise(String variant) {
        return variant.startsWith("step_wise");
    }

    private static Built r3l(Case c) {
        JsonNode in = c.input();
        double[][] mask = GoldenJson.matrix(in.get("action_mask"));
        int rows = mask.length;
        String[] tid = new String[rows];
        String[] rid = new String[rows];
        for (int r = 0; r < rows; r++) {
            tid[r] = in.get("batch").get(r).asText() + "/"
                    + in.get("task").get(r).asText();
            rid[r] = tid[r] + "/" + in.get("run").get(r).asText();
        }
        boolean steps = stepWise(String.valueOf(c.params().get("variant")));
        Map<String, List<Integer>> byTraj = new LinkedHashMap<>();
        for (int r = 0; r < rows; r++) {
            String key = rid[r];
            if (!steps) { // one trajectory per experience
                int dup = 1;
                while (byTraj.containsKey(key)) key = rid[r] + "#" + (++dup);
            }
            byTraj.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        RolloutsBuilder b = Rollouts.builder();
        int[][] tokenIndex = new int[rows][];
        int base = 0;
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            List<Integer> rs = e.getValue();
            b.trajectory(tid[rs.get(0)], e.getKey());
            b.outcome(in.get("reward").get(rs.get(rs.size() - 1)).asDouble());
            if (!steps)
                b.signal(
                        R3lEstimator.RETRY_STEP,
                        in.get("retry_step").get(rs.get(0)).asDouble());
            int ord = 0;
            for (int r : rs) {
                double[] m = mask[r];
                tokenIndex[r] = GoldenJson.consecutive(base, m.length);
                base += m.length;
                double retry = in.get("retry_step").get(r).asDouble();
                int ordinal = ord;
                Consumer<RolloutsBuilder> signals = steps ? bb -> stepSignals(bb, ordinal, retry) : null;
                if (m.length == 0) {
                    b.span(Role.CONTEXT, 0);
                    if (signals != null) signals.accept(b);
                }
                GoldenJson.spans(b, GoldenJson.nonZero(m), 0, m.length, signals);
                ord++;
            }
        }
        return new Built(b.build(), tokenIndex, null, c.params());
    }

    private static void stepSignals(RolloutsBuilder b, int ordinal, double retry) {
        b.spanSignal(R3lEstimator.STEP, ordinal);
        b.spanSignal(R3lEstimator.RETRY_STEP, retry);
    }

    // ---- shared --------------------------------------------------------------------------

    /** Token index of every padded position when each row is a policy span plus a context span. */
    private static int[][] padded(Rollouts batch, double[][] mask, int[] rowTraj, int[] rowOrdinal) {
        int[][] out = new int[mask.length][];
        for (int r = 0; r < mask.length; r++) {
            int s = batch.spanStart(rowTraj[r]) + 2 * rowOrdinal[r];
            int start = batch.spanTokenStart(s);
            out[r] = GoldenJson.consecutive(start, mask[r].length);
        }
        return out;
    }

    private static int[] rowSpans(Rollouts batch, int[] rowTraj, int[] rowOrdinal) {
        int[] out = new int[rowTraj.length];
        for (int r = 0; r < out.length; r++) out[r] = batch.spanStart(rowTraj[r]) + 2 * rowOrdinal[r];
        return out;
    }

    private static double bool(JsonNode v) {
        return v.asBoolean() ? 1.0 : 0.0;
    }
}
