package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.agent.AtGrpo;
import dev.apportion.core.estimator.agent.C3;
import dev.apportion.core.estimator.agent.Ccpo;
import dev.apportion.core.estimator.agent.DrMas;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The four layouts of {@code multi-agent.jsonl} and {@code at_grpo-pending.jsonl} (semantics:
 * {@code multi-agent.md}):
 * <ul>
 *   <li><b>dr_mas</b> (one verl row per agent turn): trajectories by {@code traj_uid} (first
 *       appearance; rows keep their order inside), group = {@code uid}; each row is a policy span
 *       of its leading 1s (agent = {@code agent_id}) and a context span of its padding;
 *       {@code token_level_rewards} → token signal {@code reward} over the whole row.</li>
 *   <li><b>at_grpo</b> (one row per agent action): trajectory = {@code env_idx} (the rollout),
 *       group = {@code env_idx div sample_num}, or {@code env_idx} itself in design-tree mode
 *       ({@code design_idx} present and {@code execute_sample_num > 1}: there env_idx is the
 *       problem); each row is a policy span (agent = {@code agent_idx}, span reward =
 *       {@code reward}, span signals {@code turn_idx}, {@code design_idx}) and a context span.
 *       Params: {@code sample_num} and {@code design_sample_num} are consumed here; null
 *       {@code executor_group_mode} = {@code auto}. Compared: advantages of the kept rows,
 *       {@code kept_rows} (dropped rows must have advantage and loss weight 0) and {@code group}
 *       against {@link AtGrpo#grouping}.</li>
 *   <li><b>ccpo</b> (one row per rollout): trajectory {@code row<i>}, group =
 *       {@code prompt_group} (null → the row alone); outcome = {@code joint_score}, trajectory
 *       signal {@code solo_score} (booleans → ±1); spans: thinker (agent {@code thinker}), its
 *       padding, solver (agent {@code solver}), its padding. Compared: both advantage matrices and
 *       the per-row outcomes and role rewards against {@link Ccpo#components}.</li>
 *   <li><b>c3</b> (tree nodes over experiences): one trajectory of one policy token per node row
 *       {@code e/row}, group = its sibling group ({@code g<k>}, input order), outcome =
 *       {@code node_rewards}, trajectory signals {@code q_value} (when given) and {@code depth};
 *       a row no group names becomes a trajectory without outcome (the estimator refuses it, as
 *       the reference does). Compared: {@code advantages[e][row]}.</li>
 * </ul>
 */
public final class MultiAgentAdapter extends FamilyAdapter {
    public MultiAgentAdapter() {
        super(
                "multi-agent rows (dr_mas, at_grpo, ccpo, c3)",
                layout(
                        DrMas.ID,
                        List.of("agent_id", "traj_uid", "uid"),
                        MultiAgentAdapter::drMas,
                        withAdvantages(MultiAgentAdapter::compareAdvantages)),
                layout(
                        AtGrpo.ID,
                        List.of("env_idx", "agent_idx", "reward"),
                        MultiAgentAdapter::atGrpo,
                        withAdvantages(MultiAgentAdapter::compareAtGrpo)),
                layout(
                        Ccpo.ID,
                        List.of("joint_score", "thinker_response_mask"),
                        MultiAgentAdapter::ccpo,
                        withAdvantages(MultiAgentAdapter::compareCcpo)),
                layout(
                        C3.ID,
                        List.of("groups", "exp_sizes"),
                        MultiAgentAdapter::c3,
                        withAdvantages(MultiAgentAdapter::compareAdvantages)));
    }

    /** {@code expected.advantages} at every padded position of every row. */
    private static Comparison.Result compareAdvantages(
            GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        return comparePadded(
                "advantages", c.expected().get("advantages"), a.tokenIndex(), 0, a.tokenIndex().length, credit, tr);
    }

    // ---- dr_mas ----------------------------------------------------------------------------

    private static AdaptedCase drMas(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        float[][] rew = GoldenInputs.matrix(c, "token_level_rewards");
        int rows = mask.length;
        String[] uid = GoldenInputs.strings(c, "uid");
        String[] agent = GoldenInputs.strings(c, "agent_id");
        String[] traj = GoldenInputs.strings(c, "traj_uid");
        GoldenInputs.sameRows("uid", uid.length, "response_mask", rows);
        GoldenInputs.sameRows("agent_id", agent.length, "response_mask", rows);
        GoldenInputs.sameRows("traj_uid", traj.length, "response_mask", rows);
        GoldenInputs.sameRows("token_level_rewards", rew.length, "response_mask", rows);
        Map<String, List<Integer>> byTraj = GoldenInputs.groupRows(traj);
        RolloutsBuilder b = Rollouts.builder();
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            int first = e.getValue().get(0);
            b.trajectory(uid[first], e.getKey());
            List<Float> r = new ArrayList<>();
            for (int row : e.getValue()) {
                if (!uid[row].equals(uid[first])) {
                    throw new IllegalArgumentException(
                            "trajectory '" + e.getKey() + "' has rows in two questions: input.uid[" + first + "] = '"
                                    + uid[first] + "' but input.uid[" + row + "] = '" + uid[row] + "'");
                }
                if (rew[row].length != mask[row].length) {
                    throw new IllegalArgumentException("input.token_level_rewards[" + row + "] has " + rew[row].length
                            + " positions but input.response_mask[" + row + "] has " + mask[row].length);
                }
                int valid = GoldenInputs.prefixLength(mask[row], "response_mask", row);
                b.span(Role.POLICY, valid, Double.NaN, null, agent[row]);
                b.span(Role.CONTEXT, mask[row].length - valid);
                for (float x : rew[row]) r.add(x);
            }
            float[] tok = new float[r.size()];
            for (int j = 0; j < tok.length; j++) tok[j] = r.get(j);
            b.tokenSignal(Rollouts.REWARD, tok);
        }
        Rollouts batch = b.build();
        return new AdaptedCase(
                batch, rowIndex(mask, byTraj), c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    // ---- at_grpo ---------------------------------------------------------------------------

    private static AdaptedCase atGrpo(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        int rows = mask.length;
        float[] env = GoldenInputs.vector(c, "env_idx");
        float[] turn = GoldenInputs.vector(c, "turn_idx");
        float[] agent = GoldenInputs.vector(c, "agent_idx");
        float[] reward = GoldenInputs.vector(c, "reward");
        float[] design = GoldenInputs.has(c, "design_idx") ? GoldenInputs.vector(c, "design_idx") : null;
        GoldenInputs.sameRows("env_idx", env.length, "response_mask", rows);
        GoldenInputs.sameRows("turn_idx", turn.length, "response_mask", rows);
        GoldenInputs.sameRows("agent_idx", agent.length, "response_mask", rows);
        GoldenInputs.sameRows("reward", reward.length, "response_mask", rows);
        if (design != null) GoldenInputs.sameRows("design_idx", design.length, "response_mask", rows);
        int sampleNum = intParam(c, "sample_num", 1);
        int exec = intParam(c, "execute_sample_num", 0);
        boolean designMode = design != null && exec > 1;
        String[] traj = new String[rows];
        for (int r = 0; r < rows; r++) traj[r] = Long.toString((long) env[r]);
        Map<String, List<Integer>> byTraj = GoldenInputs.groupRows(traj);
        RolloutsBuilder b = Rollouts.builder();
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            long envIdx = Long.parseLong(e.getKey());
            b.trajectory(
                    designMode ? "problem" + envIdx : "problem" + Math.floorDiv(envIdx, (long) sampleNum),
                    "env" + envIdx);
            for (int r : e.getValue()) {
                int valid = GoldenInputs.prefixLength(mask[r], "response_mask", r);
                b.span(Role.POLICY, valid, reward[r], null, Long.toString((long) agent[r]))
                        .spanSignal(AtGrpo.TURN_IDX, turn[r]);
                if (design != null) b.spanSignal(AtGrpo.DESIGN_IDX, design[r]);
                b.span(Role.CONTEXT, mask[r].length - valid);
            }
        }
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(
                c, Set.of("sample_num", "design_sample_num"), Map.of("norm_adv_by_std_in_grpo", "normalize_by_std")));
        return new AdaptedCase(b.build(), rowIndex(mask, byTraj), c.estimator(), c.preset(), params);
    }

    private static Comparison.Result compareAtGrpo(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        JsonNode want = c.expected();
        int[][] ti = a.tokenIndex();
        AtGrpo est = new AtGrpo();
        AtGrpo.Grouping g = est.grouping(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        // the estimator's rows are in batch order: trajectories (env_idx, first appearance), rows in input order inside
        int[] estRow = new int[ti.length];
        int k = 0;
        for (List<Integer> rs : GoldenInputs.groupRows(rowsAsStrings(c)).values()) for (int r : rs) estRow[r] = k++;
        JsonNode kept = want.get("kept_rows");
        JsonNode group = want.get("group");
        JsonNode adv = want.get("advantages");
        if (kept == null || group == null || adv == null) return tr.problem("expected kept_rows, group and advantages");
        boolean[] isKept = new boolean[ti.length];
        for (int j = 0; j < kept.size(); j++) isKept[kept.get(j).asInt()] = true;
        for (int r = 0; r < ti.length; r++) {
            boolean got = g.group()[estRow[r]] >= 0;
            tr.value("kept_rows", r, 0, isKept[r] ? 1 : 0, got ? 1 : 0);
        }
        boolean advPerKept = adv.size() == kept.size() && kept.size() != ti.length;
        for (int j = 0; j < kept.size(); j++) {
            int r = kept.get(j).asInt();
            tr.value("group", j, 0, group.get(j).asInt(), g.group()[estRow[r]]);
        }
        float[] w = credit.lossWeights();
        for (int r = 0; r < ti.length; r++) {
            if (!isKept[r]) {
                for (int col = 0; col < ti[r].length; col++) {
                    tr.mustBeZero("advantages(dropped)", r, col, credit.advantages()[ti[r][col]]);
                    if (w != null) tr.mustBeZero("loss_weights(dropped)", r, col, w[ti[r][col]]);
                }
            }
        }
        if (advPerKept) {
            for (int j = 0; j < kept.size(); j++) {
                int r = kept.get(j).asInt();
                JsonNode row = adv.get(j);
                if (row.size() != ti[r].length)
                    return tr.problem("expected.advantages[" + j + "] has the wrong length");
                for (int col = 0; col < ti[r].length; col++)
                    tr.value("advantages", j, col, row.get(col).asDouble(), credit.advantages()[ti[r][col]]);
            }
            return tr.result();
        }
        return comparePadded("advantages", adv, ti, 0, ti.length, credit, tr);
    }

    private static String[] rowsAsStrings(GoldenCase c) {
        float[] env = GoldenInputs.vector(c, "env_idx");
        String[] out = new String[env.length];
        for (int r = 0; r < env.length; r++) out[r] = Long.toString((long) env[r]);
        return out;
    }

    // ---- ccpo ------------------------------------------------------------------------------

    private static AdaptedCase ccpo(GoldenCase c) {
        float[][] tm = GoldenInputs.matrix(c, "thinker_response_mask");
        float[][] sm = GoldenInputs.matrix(c, "solver_response_mask");
        int rows = tm.length;
        GoldenInputs.sameRows("solver_response_mask", sm.length, "thinker_response_mask", rows);
        double[] joint = scores(c, "joint_score", rows);
        double[] solo = scores(c, "solo_score", rows);
        JsonNode pg = c.input().get("prompt_group");
        if (pg != null && !pg.isNull()) GoldenInputs.sameRows("prompt_group", pg.size(), "thinker_response_mask", rows);
        RolloutsBuilder b = Rollouts.builder();
        int[][] index = new int[2 * rows][];
        int base = 0;
        for (int r = 0; r < rows; r++) {
            JsonNode g = pg == null || pg.isNull() ? null : pg.get(r);
            String group = g == null || g.isNull() ? "row" + r : (g.isValueNode() ? g.asText() : g.toString());
            b.trajectory(group, "row" + r).outcome(joint[r]).signal(Ccpo.SOLO_SCORE, solo[r]);
            int tv = GoldenInputs.prefixLength(tm[r], "thinker_response_mask", r);
            int sv = GoldenInputs.prefixLength(sm[r], "solver_response_mask", r);
            b.span(Role.POLICY, tv, Double.NaN, null, "thinker").span(Role.CONTEXT, tm[r].length - tv);
            b.span(Role.POLICY, sv, Double.NaN, null, "solver").span(Role.CONTEXT, sm[r].length - sv);
            index[r] = range(base, tm[r].length);
            index[rows + r] = range(base + tm[r].length, sm[r].length);
            base += tm[r].length + sm[r].length;
        }
        Map<String, Object> params = GoldenInputs.params(c, Set.of(), Map.of());
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), params);
    }

    private static Comparison.Result compareCcpo(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        int rows = a.tokenIndex().length / 2;
        JsonNode want = c.expected();
        comparePadded("advantages_thinker", want.get("advantages_thinker"), a.tokenIndex(), 0, rows, credit, tr);
        comparePadded("advantages_solver", want.get("advantages_solver"), a.tokenIndex(), rows, rows, credit, tr);
        Ccpo est = new Ccpo();
        Ccpo.Components comp = est.components(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        Map<String, double[]> per = new LinkedHashMap<>();
        per.put("joint_outcome", comp.jointOutcome());
        per.put("solo_outcome", comp.soloOutcome());
        per.put("reward_thinker", comp.rewardThinker());
        per.put("reward_solver", comp.rewardSolver());
        for (Map.Entry<String, double[]> e : per.entrySet()) {
            JsonNode w = want.get(e.getKey());
            if (w == null || !w.isArray()) continue;
            for (int r = 0; r < rows; r++) tr.value(e.getKey(), r, 0, w.get(r).asDouble(), e.getValue()[r]);
        }
        return tr.result();
    }

    private static double[] scores(GoldenCase c, String field, int rows) {
        JsonNode v = GoldenInputs.require(c, field);
        if (!v.isArray())
            throw new IllegalArgumentException("input." + field + " must be an array, got " + Json.kind(v));
        GoldenInputs.sameRows(field, v.size(), "thinker_response_mask", rows);
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            JsonNode x = v.get(r);
            if (x.isBoolean()) out[r] = x.asBoolean() ? 1.0 : -1.0;
            else if (x.isNumber()) out[r] = x.doubleValue();
            else
                throw new IllegalArgumentException("input." + field + "[" + r + "] must be a number or boolean, got "
                        + Json.kind(x) + " " + Json.show(x));
        }
        return out;
    }

    // ---- c3 --------------------------------------------------------------------------------

    private static AdaptedCase c3(GoldenCase c) {
        JsonNode sizes = GoldenInputs.require(c, "exp_sizes");
        JsonNode groups = GoldenInputs.require(c, "groups");
        if (!sizes.isArray() || !groups.isArray())
            throw new IllegalArgumentException("input.exp_sizes and input.groups must be arrays");
        int[][] index = new int[sizes.size()][];
        for (int e = 0; e < index.length; e++) {
            index[e] = new int[sizes.get(e).asInt()];
            java.util.Arrays.fill(index[e], -1);
        }
        RolloutsBuilder b = Rollouts.builder();
        int token = 0;
        for (int k = 0; k < groups.size(); k++) {
            JsonNode g = groups.get(k);
            JsonNode rows = g.get("rows");
            JsonNode rewards = g.get("node_rewards");
            JsonNode q = g.get("q_values");
            if (rows == null || rewards == null || rows.size() != rewards.size()) {
                throw new IllegalArgumentException(
                        "input.groups[" + k + "] needs rows and node_rewards of the same length");
            }
            for (int j = 0; j < rows.size(); j++) {
                int e = rows.get(j).get(0).asInt();
                int r = rows.get(j).get(1).asInt();
                if (e < 0 || e >= index.length || r < 0 || r >= index[e].length) {
                    throw new IllegalArgumentException("input.groups[" + k + "].rows[" + j + "] = " + rows.get(j)
                            + " is outside exp_sizes " + sizes);
                }
                if (index[e][r] >= 0)
                    throw new IllegalArgumentException(
                            "input.groups[" + k + "].rows[" + j + "]: row " + rows.get(j) + " is in two groups");
                b.trajectory("g" + k, e + "/" + r)
                        .outcome(rewards.get(j).asDouble())
                        .signal(C3.DEPTH, g.path("depth").asDouble());
                if (q != null && !q.isNull() && !q.get(j).isNull())
                    b.signal(C3.Q_VALUE, q.get(j).asDouble());
                b.span(Role.POLICY, 1);
                index[e][r] = token++;
            }
        }
        for (int e = 0; e < index.length; e++) {
            for (int r = 0; r < index[e].length; r++) {
                if (index[e][r] >= 0) continue;
                b.trajectory("unrouted " + e + "/" + r, e + "/" + r).span(Role.POLICY, 1);
                index[e][r] = token++;
            }
        }
        Map<String, Object> params = GoldenInputs.params(c, Set.of(), Map.of());
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), params);
    }

    // ---- shared ----------------------------------------------------------------------------

    private static Comparison.Result comparePadded(
            String name, JsonNode want, int[][] ti, int from, int rows, Credit credit, Comparison.Tracker tr) {
        if (want == null || !want.isArray() || want.size() != rows)
            return tr.problem("expected." + name + " must have " + rows + " rows");
        for (int r = 0; r < rows; r++) {
            JsonNode row = want.get(r);
            int[] idx = ti[from + r];
            if (row.size() != idx.length)
                return tr.problem(
                        "expected." + name + "[" + r + "] has " + row.size() + " values, the input row " + idx.length);
            for (int j = 0; j < idx.length; j++)
                tr.value(name, r, j, row.get(j).asDouble(), credit.advantages()[idx[j]]);
        }
        return tr.result();
    }

    private static int intParam(GoldenCase c, String name, int def) {
        Object v = c.params().get(name);
        if (v == null) return def;
        if (!(v instanceof Number))
            throw new IllegalArgumentException("params." + name + " must be a number, got " + v);
        return ((Number) v).intValue();
    }

    /** Token index of each padded position when every row is a policy span plus a context span, rows grouped by trajectory. */
    private static int[][] rowIndex(float[][] mask, Map<String, List<Integer>> byTraj) {
        int[][] out = new int[mask.length][];
        int base = 0;
        for (List<Integer> rs : byTraj.values()) {
            for (int r : rs) {
                out[r] = range(base, mask[r].length);
                base += mask[r].length;
            }
        }
        return out;
    }

    private static int[] range(int start, int n) {
        int[] out = new int[n];
        for (int j = 0; j < n; j++) out[j] = start + j;
        return out;
    }
}
