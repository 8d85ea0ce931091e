package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.turn.A3Estimator;
import dev.apportion.core.estimator.turn.R3lEstimator;
import dev.apportion.core.estimator.turn.VprEstimator;
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
 * The three row layouts of {@code vpr-r3l-a3.jsonl} (semantics: {@code vpr-r3l-a3.md}), each
 * mapped so that one reference row is one turn (VPR, A³) or one experience (R³L):
 * <ul>
 *   <li><b>vpr</b> (one row per generated turn, right-padded {@code response_mask}):
 *       trajectories by {@code traj_uid} in order of first appearance (rows keep their order;
 *       group = the trajectory uid, as the reference has no prompt group); each row is a policy
 *       span of its valid tokens (reward = {@code rewards[i]}, state = {@code state_group_uid[i]}
 *       when that array is present, span signals {@code turn_index}, {@code is_padding},
 *       {@code is_terminal}, {@code terminal_success} as 0/1) followed by a context span of its
 *       padding. Compared: advantages at every position, the mask after the call against the
 *       loss weights, and {@code vpr_skip_loss} against the rows whose loss weight is 0 plus the
 *       {@code skipped_turns} diagnostic.</li>
 *   <li><b>r3l</b> (one Trinity experience per row, ragged {@code action_mask}): group =
 *       {@code batch/task}; its spans are the runs of the row's mask (an empty row is one empty
 *       context span). The trajectory-level variants ({@code opmd_reweight_adv},
 *       {@code grpo_reweight_adv}, {@code pivot_mask}) make one trajectory per row (id
 *       {@code batch/task/run}, suffixed {@code #2}, … when a run repeats; outcome =
 *       {@code reward}; trajectory signal {@code retry_step}). The step-wise variants make one
 *       trajectory per run ({@code batch/task/run}) whose steps are its rows in input order (span
 *       signals {@code step} = the row's ordinal in its run and {@code retry_step}); the outcome is
 *       the reward of the run's last row in input order, which is the reward the reference uses.
 *       Compared: advantages (every position of kept rows), {@code action_mask} against the loss
 *       weights, and rows with {@code kept = false} must have advantage and loss weight 0.</li>
 *   <li><b>a3</b> (one row per turn, right-padded): trajectories by {@code traj_uid}, group =
 *       {@code uid} (a trajectory must stay in one prompt group); each row is a policy span (span
 *       signal {@code turn_index} = {@code turn_idx}; token text = the character of each token id,
 *       the golden files' placeholder tokenizer) and a context span; the outcome is the episode
 *       reward when it is constant within the trajectory, else every row carries the span signal
 *       {@code episode_reward}. Params: {@code multi_turn} is dropped (the mask is the response
 *       mask either way), {@code intent_signature} is taken from the input. Compared:
 *       advantages, span advantages against {@code scalar_adv}, the debug metrics against the
 *       diagnostics, and the per-row intermediates against {@link A3Estimator#components}
 *       recomputed for the same batch and parameters.</li>
 * </ul>
 * Params otherwise verbatim (JSON nulls left out). Accepts cases whose estimator is one of the
 * three and whose input has that layout's row arrays.
 */
public final class AgenticTurnAdapter extends FamilyAdapter {
    public AgenticTurnAdapter() {
        super(
                "agentic turn rows (vpr, r3l, a3)",
                layout(
                        VprEstimator.ID,
                        List.of("rewards", "turn_index", "response_mask", "traj_uid"),
                        AgenticTurnAdapter::vpr,
                        withAdvantages((c, a, credit, tr) -> compareVpr(c, a, credit, c.expected(), tr))),
                layout(
                        R3lEstimator.ID,
                        List.of("action_mask", "retry_step", "task"),
                        AgenticTurnAdapter::r3l,
                        withAdvantages((c, a, credit, tr) -> compareR3l(a, credit, c.expected(), tr))),
                layout(
                        A3Estimator.ID,
                        List.of("episode_rewards", "turn_idx", "responses"),
                        AgenticTurnAdapter::a3,
                        withAdvantages((c, a, credit, tr) -> compareA3(c, a, credit, c.expected(), tr))));
    }

    // ---- vpr -----------------------------------------------------------------------------

    private static AdaptedCase vpr(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        int rows = mask.length;
        String[] traj = GoldenInputs.strings(c, "traj_uid");
        float[] rewards = GoldenInputs.vector(c, "rewards");
        float[] turn = GoldenInputs.vector(c, "turn_index");
        float[] padding = flags(c, "is_padding", rows);
        float[] terminal = flags(c, "is_terminal", rows);
        float[] success = flags(c, "terminal_success", rows);
        String[] state = GoldenInputs.has(c, "state_group_uid") ? GoldenInputs.strings(c, "state_group_uid") : null;
        GoldenInputs.sameRows("traj_uid", traj.length, "response_mask", rows);
        GoldenInputs.sameRows("rewards", rewards.length, "response_mask", rows);
        GoldenInputs.sameRows("turn_index", turn.length, "response_mask", rows);
        if (state != null) GoldenInputs.sameRows("state_group_uid", state.length, "response_mask", rows);
        Map<String, List<Integer>> byTraj = GoldenInputs.groupRows(traj);
        RolloutsBuilder b = Rollouts.builder();
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            b.trajectory(e.getKey(), e.getKey());
            for (int r : e.getValue()) {
                int valid = GoldenInputs.prefixLength(mask[r], "response_mask", r);
                b.span(Role.POLICY, valid, rewards[r], state == null ? null : state[r], null)
                        .spanSignal(VprEstimator.TURN_INDEX, turn[r])
                        .spanSignal(VprEstimator.IS_PADDING, padding[r])
                        .spanSignal(VprEstimator.IS_TERMINAL, terminal[r])
                        .spanSignal(VprEstimator.TERMINAL_SUCCESS, success[r]);
                b.span(Role.CONTEXT, mask[r].length - valid);
            }
        }
        Rollouts batch = b.build();
        return new AdaptedCase(
                batch,
                paddedIndex(batch, mask, byTraj),
                c.estimator(),
                c.preset(),
                GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareVpr(
            GoldenCase c, AdaptedCase a, Credit credit, JsonNode want, Comparison.Tracker tr) {
        int[][] ti = a.tokenIndex();
        if (credit.lossWeights() == null)
            return tr.problem("the estimator produced no loss weights (the response mask after the call)");
        double[][] adv = c.expectedAdvantages();
        double[][] mask = matrix(want.get("response_mask"));
        if (adv == null || mask == null || adv.length != ti.length || mask.length != ti.length) {
            return tr.problem("expected.advantages and expected.response_mask must have one row per input row");
        }
        for (int r = 0; r < ti.length; r++) {
            if (adv[r].length != ti[r].length || mask[r].length != ti[r].length)
                return tr.problem("row " + r + " has the wrong length");
            for (int j = 0; j < ti[r].length; j++) {
                tr.value("advantages", r, j, adv[r][j], credit.advantages()[ti[r][j]]);
                tr.value("response_mask", r, j, mask[r][j], credit.lossWeights()[ti[r][j]]);
            }
        }
        JsonNode skip = want.get("vpr_skip_loss");
        if (skip != null && !skip.isNull()) {
            int[] rowSpan = rowSpans(a.batch(), GoldenInputs.groupRows(GoldenInputs.strings(c, "traj_uid")), ti.length);
            int skipped = 0;
            for (int r = 0; r < ti.length; r++) {
                boolean w = skip.get(r).asBoolean();
                if (w) skipped++;
                int s = rowSpan[r];
                if (a.batch().spanTokenEnd(s) == a.batch().spanTokenStart(s)) continue; // no token shows the skip
                boolean got = credit.lossWeights()[a.batch().spanTokenStart(s)] == 0f;
                tr.value("vpr_skip_loss", r, 0, w ? 1 : 0, got ? 1 : 0);
            }
            Double d = credit.diagnostics().get("skipped_turns");
            if (d == null) return tr.problem("the estimator reports no skipped_turns diagnostic");
            tr.value("vpr_skip_loss(count)", 0, 0, skipped, d);
        }
        return tr.result();
    }

    // ---- r3l -----------------------------------------------------------------------------

    private static AdaptedCase r3l(GoldenCase c) {
        JsonNode maskNode = GoldenInputs.require(c, "action_mask");
        float[][] mask = GoldenInputs.matrix(c, "action_mask");
        int rows = mask.length;
        String[] batchId = GoldenInputs.strings(c, "batch");
        String[] task = GoldenInputs.strings(c, "task");
        String[] run = GoldenInputs.strings(c, "run");
        float[] reward = GoldenInputs.vector(c, "reward");
        float[] retry = GoldenInputs.vector(c, "retry_step");
        for (String[] col : List.of(batchId, task, run))
            GoldenInputs.sameRows("batch/task/run", col.length, "action_mask", rows);
        GoldenInputs.sameRows("reward", reward.length, "action_mask", rows);
        GoldenInputs.sameRows("retry_step", retry.length, "action_mask", rows);
        boolean steps = String.valueOf(c.params().get("variant")).startsWith("step_wise");
        Map<String, List<Integer>> byTraj = new LinkedHashMap<>();
        String[] tid = new String[rows];
        for (int r = 0; r < rows; r++) {
            tid[r] = batchId[r] + "/" + task[r];
            String rid = tid[r] + "/" + run[r];
            String key = rid;
            if (!steps) {
                int dup = 1;
                while (byTraj.containsKey(key)) key = rid + "#" + (++dup);
            }
            byTraj.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        RolloutsBuilder b = Rollouts.builder();
        int[][] tokenIndex = new int[rows][];
        int base = 0;
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            List<Integer> rs = e.getValue();
            b.trajectory(tid[rs.get(0)], e.getKey()).outcome(reward[rs.get(rs.size() - 1)]);
            if (!steps) b.signal(R3lEstimator.RETRY_STEP, retry[rs.get(0)]);
            int ordinal = 0;
            for (int r : rs) {
                float[] m = mask[r];
                tokenIndex[r] = new int[m.length];
                for (int j = 0; j < m.length; j++) {
                    if (m[j] != 0f && m[j] != 1f) {
                        throw new IllegalArgumentException(
                                "input.action_mask[" + r + "][" + j + "] must be 0 or 1, got "
                                        + Json.show(maskNode.get(r).get(j)));
                    }
                    tokenIndex[r][j] = base + j;
                }
                base += m.length;
                if (m.length == 0) {
                    b.span(Role.CONTEXT, 0);
                    if (steps) b.spanSignal(R3lEstimator.STEP, ordinal).spanSignal(R3lEstimator.RETRY_STEP, retry[r]);
                }
                for (int j = 0; j < m.length; ) {
                    int k = j;
                    while (k < m.length && m[k] == m[j]) k++;
                    b.span(m[j] == 1f ? Role.POLICY : Role.CONTEXT, k - j);
                    if (steps) b.spanSignal(R3lEstimator.STEP, ordinal).spanSignal(R3lEstimator.RETRY_STEP, retry[r]);
                    j = k;
                }
                ordinal++;
            }
        }
        return new AdaptedCase(
                b.build(), tokenIndex, c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareR3l(AdaptedCase a, Credit credit, JsonNode want, Comparison.Tracker tr) {
        int[][] ti = a.tokenIndex();
        double[][] mask = matrix(want.get("action_mask"));
        JsonNode adv = want.get("advantages");
        JsonNode kept = want.get("kept");
        if (mask == null || mask.length != ti.length)
            return tr.problem("expected.action_mask must have one row per input row");
        float[] w = credit.lossWeights();
        if (w == null) return tr.problem("the estimator produced no loss weights (the action mask after pivoting)");
        for (int r = 0; r < ti.length; r++) {
            boolean isKept = kept == null || kept.isNull() || kept.get(r).asBoolean();
            if (mask[r] == null || mask[r].length != ti[r].length)
                return tr.problem("expected.action_mask[" + r + "] has the wrong length");
            JsonNode advRow = adv == null || adv.isNull() ? null : adv.get(r);
            for (int j = 0; j < ti[r].length; j++) {
                int t = ti[r][j];
                if (!isKept) {
                    tr.mustBeZero("advantages(dropped)", r, j, credit.advantages()[t]);
                    tr.mustBeZero("loss_weights(dropped)", r, j, w[t]);
                    continue;
                }
                tr.value("action_mask", r, j, mask[r][j], w[t]);
                if (advRow != null && !advRow.isNull())
                    tr.value("advantages", r, j, advRow.get(j).asDouble(), credit.advantages()[t]);
            }
        }
        return tr.result();
    }

    // ---- a3 ------------------------------------------------------------------------------

    private static AdaptedCase a3(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        float[][] ids = GoldenInputs.matrix(c, "responses");
        int rows = mask.length;
        String[] traj = GoldenInputs.strings(c, "traj_uid");
        String[] uid = GoldenInputs.strings(c, "uid");
        float[] turn = GoldenInputs.vector(c, "turn_idx");
        float[] reward = GoldenInputs.vector(c, "episode_rewards");
        for (Object[] col : new Object[][] {traj, uid})
            GoldenInputs.sameRows("traj_uid/uid", col.length, "response_mask", rows);
        GoldenInputs.sameRows("turn_idx", turn.length, "response_mask", rows);
        GoldenInputs.sameRows("episode_rewards", reward.length, "response_mask", rows);
        GoldenInputs.sameRows("responses", ids.length, "response_mask", rows);
        Map<String, List<Integer>> byTraj = GoldenInputs.groupRows(traj);
        RolloutsBuilder b = Rollouts.builder();
        for (Map.Entry<String, List<Integer>> e : byTraj.entrySet()) {
            List<Integer> rs = e.getValue();
            int first = rs.get(0);
            boolean constant = true;
            for (int r : rs) {
                if (!uid[r].equals(uid[first])) {
                    throw new IllegalArgumentException(
                            "trajectory '" + e.getKey() + "' has rows in two prompt groups: input.uid[" + first
                                    + "] = '" + uid[first] + "' but input.uid[" + r + "] = '" + uid[r] + "'");
                }
                constant &= reward[r] == reward[first];
            }
            b.trajectory(uid[first], e.getKey());
            if (constant) b.outcome(reward[first]);
            List<String> text = new ArrayList<>();
            for (int r : rs) {
                int valid = GoldenInputs.prefixLength(mask[r], "response_mask", r);
                if (ids[r].length != mask[r].length) {
                    throw new IllegalArgumentException("input.responses[" + r + "] has " + ids[r].length
                            + " positions but input.response_mask[" + r + "] has " + mask[r].length);
                }
                b.span(Role.POLICY, valid).spanSignal(VprEstimator.TURN_INDEX, turn[r]);
                if (!constant) b.spanSignal(A3Estimator.EPISODE_REWARD, reward[r]);
                b.span(Role.CONTEXT, mask[r].length - valid);
                for (int j = 0; j < mask[r].length; j++) {
                    int cp = (int) ids[r][j];
                    if (j < valid && (cp != ids[r][j] || !Character.isValidCodePoint(cp))) {
                        throw new IllegalArgumentException("input.responses[" + r + "][" + j + "] = " + ids[r][j]
                                + " is no code point (the golden files' tokenizer maps one id to one character)");
                    }
                    text.add(j < valid ? new String(Character.toChars(cp)) : "");
                }
            }
            b.tokenText(text.toArray(new String[0]));
        }
        Rollouts batch = b.build();
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of("multi_turn"), Map.of()));
        if (GoldenInputs.has(c, "intent_signature"))
            params.put("intent_signature", c.input().get("intent_signature").asText());
        return new AdaptedCase(batch, paddedIndex(batch, mask, byTraj), c.estimator(), c.preset(), params);
    }

    private static Comparison.Result compareA3(
            GoldenCase c, AdaptedCase a, Credit credit, JsonNode want, Comparison.Tracker tr) {
        int[][] ti = a.tokenIndex();
        double[][] adv = c.expectedAdvantages();
        if (adv == null || adv.length != ti.length)
            return tr.problem("expected.advantages must have one row per input row");
        for (int r = 0; r < ti.length; r++) {
            if (adv[r] == null || adv[r].length != ti[r].length)
                return tr.problem("expected.advantages[" + r + "] has the wrong length");
            for (int j = 0; j < ti[r].length; j++)
                tr.value("advantages", r, j, adv[r][j], credit.advantages()[ti[r][j]]);
        }
        int[] rowSpan = rowSpans(a.batch(), GoldenInputs.groupRows(GoldenInputs.strings(c, "traj_uid")), ti.length);
        JsonNode scalar = want.get("scalar_adv");
        if (scalar != null && credit.spanAdvantages() != null) {
            for (int r = 0; r < ti.length; r++)
                tr.value("scalar_adv", r, 0, scalar.get(r).asDouble(), credit.spanAdvantages()[rowSpan[r]]);
        }
        JsonNode dbg = want.get("debug_metrics");
        if (dbg != null && dbg.isObject()) {
            List<String> names = new ArrayList<>();
            dbg.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                Double got = credit.diagnostics().get(n);
                if (got == null) return tr.problem("the estimator reports no diagnostic '" + n + "'");
                tr.value(n, 0, 0, dbg.get(n).asDouble(), got);
            }
        }
        A3Estimator a3 = new A3Estimator();
        A3Estimator.Components comp = a3.components(
                a.batch(), Params.resolve(a3.descriptor(), a.preset(), a.params()), Execution.sequential());
        Map<Integer, Integer> turnOfSpan = new LinkedHashMap<>();
        for (int k = 0; k < comp.spans().length; k++) turnOfSpan.put(comp.spans()[k], k);
        Map<String, double[]> terms = new LinkedHashMap<>();
        terms.put("backbone", comp.backbone());
        terms.put("trie_residual", comp.trieResidual());
        terms.put("trie_bounded", comp.trieBounded());
        terms.put("tree_return", comp.treeReturn());
        terms.put("tree_support", comp.treeSupport());
        for (Map.Entry<String, double[]> e : terms.entrySet()) {
            JsonNode w = want.get(e.getKey());
            if (w == null || !w.isArray()) continue;
            for (int r = 0; r < ti.length; r++)
                tr.value(e.getKey(), r, 0, w.get(r).asDouble(), e.getValue()[turnOfSpan.get(rowSpan[r])]);
        }
        return tr.result();
    }

    // ---- shared --------------------------------------------------------------------------

    /** Global index of each row's policy span when every row is a policy span plus a context span. */
    static int[] rowSpans(Rollouts batch, Map<String, List<Integer>> byTraj, int rows) {
        int[] out = new int[rows];
        int t = 0;
        for (List<Integer> rs : byTraj.values()) {
            int ordinal = 0;
            for (int r : rs) out[r] = batch.spanStart(t) + 2 * ordinal++;
            t++;
        }
        return out;
    }

    private static int[][] paddedIndex(Rollouts batch, float[][] mask, Map<String, List<Integer>> byTraj) {
        int[] rowSpan = rowSpans(batch, byTraj, mask.length);
        int[][] out = new int[mask.length][];
        for (int r = 0; r < mask.length; r++) {
            int start = batch.spanTokenStart(rowSpan[r]);
            out[r] = new int[mask[r].length];
            for (int j = 0; j < out[r].length; j++) out[r][j] = start + j;
        }
        return out;
    }

    /** A per-row boolean (or 0/1) array as 0/1; all zeros when absent. */
    private static float[] flags(GoldenCase c, String field, int rows) {
        float[] out = new float[rows];
        if (!GoldenInputs.has(c, field)) return out;
        JsonNode v = c.input().get(field);
        if (!v.isArray())
            throw new IllegalArgumentException("input." + field + " must be an array, got " + Json.kind(v));
        GoldenInputs.sameRows(field, v.size(), "response_mask", rows);
        for (int r = 0; r < rows; r++) {
            JsonNode x = v.get(r);
            if (x.isBoolean()) out[r] = x.asBoolean() ? 1f : 0f;
            else if (x.isNumber()) out[r] = x.doubleValue() != 0 ? 1f : 0f;
            else
                throw new IllegalArgumentException(
                        "input." + field + "[" + r + "] must be a boolean, got " + Json.kind(x) + " " + Json.show(x));
        }
        return out;
    }

    private static double[][] matrix(JsonNode v) {
        return GoldenCases.matrix(v);
    }
}
