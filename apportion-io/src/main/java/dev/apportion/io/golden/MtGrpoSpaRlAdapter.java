package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.turn.MtGrpo;
import dev.apportion.core.estimator.turn.SpaRl;
import dev.apportion.core.estimator.turn.SpaRlStepRewards;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The three layouts of {@code agentic-turn.jsonl} (semantics: {@code agentic-turn.md}):
 * <ul>
 *   <li><b>mt_grpo</b> (TRL/verifiers rows): trajectory {@code row<i>}, group {@code i div
 *       num_generations} (the parameter is consumed here; rows must be a multiple of it); spans =
 *       the maximal runs of {@code completion_mask} (1 → policy, 0 → context, trailing padding
 *       included); outcome components {@code turn_f<k>} from {@code turn_rewards_per_func} and
 *       {@code outcome_f<k>} from {@code outcome_rewards_per_func}; trajectory signal
 *       {@code result_segment} = the reference's {@code _find_result_positions} on
 *       {@code completion_messages} (first assistant message answered by a user message that
 *       contains {@code <result>}: the index of that answer, −1 for none). Null weights → the
 *       default (all ones). Compared: {@code advantages} where the mask is 1, the three per-row
 *       advantages and {@code result_segment_indices} against {@link MtGrpo#components}.</li>
 *   <li><b>spa_rl</b> (TRL PPO rows): trajectory {@code row<i>} of one group; spans = the runs of
 *       {@code masks}; token signals {@code logprob}, {@code ref_logprob}, {@code value}; the
 *       scores are paired with the policy runs from the right (the last score with the rightmost
 *       run) and become those spans' rewards (extra scores on the left are unused, extra runs get
 *       none). Compared: {@code rewards} and {@code non_score_reward} at every position
 *       ({@link SpaRl#components}), {@code advantages} and {@code returns} where the mask is 1.</li>
 *   <li><b>spa_rl_step_rewards</b> (annotation list): one trajectory per annotation
 *       ({@code a<i>}, group = {@code id}, outcome = {@code agent_final_reward}, trajectory signal
 *       {@code turn_value_count} = the length of {@code turn_values}); every message is a span of
 *       one token whose text is the message: even positions (observations) context, odd
 *       (actions) policy, as the script indexes them. Compared: {@code kept} and the step
 *       rewards of each kept rollout ({@link SpaRlStepRewards#steps}); dropped rollouts must
 *       have advantage and loss weight 0.</li>
 * </ul>
 */
public final class MtGrpoSpaRlAdapter extends FamilyAdapter {
    public MtGrpoSpaRlAdapter() {
        super(
                "agentic turn credit rows (mt_grpo, spa_rl, spa_rl_step_rewards)",
                layout(
                        MtGrpo.ID,
                        List.of("completion_mask", "completion_messages"),
                        MtGrpoSpaRlAdapter::mtGrpo,
                        withAdvantages(MtGrpoSpaRlAdapter::compareMtGrpo)),
                layout(
                        SpaRl.ID,
                        List.of("masks", "scores"),
                        MtGrpoSpaRlAdapter::spaRl,
                        withAdvantages(MtGrpoSpaRlAdapter::compareSpaRl)),
                layout(
                        SpaRlStepRewards.ID,
                        List.of("annotations"),
                        MtGrpoSpaRlAdapter::stepRewards,
                        withAdvantages(MtGrpoSpaRlAdapter::compareStepRewards)));
    }

    // ---- mt_grpo ---------------------------------------------------------------------------

    private static AdaptedCase mtGrpo(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "completion_mask");
        float[][] turn = GoldenInputs.matrix(c, "turn_rewards_per_func");
        float[][] out = GoldenInputs.matrix(c, "outcome_rewards_per_func");
        JsonNode msgs = GoldenInputs.require(c, "completion_messages");
        int rows = mask.length;
        GoldenInputs.sameRows("turn_rewards_per_func", turn.length, "completion_mask", rows);
        GoldenInputs.sameRows("outcome_rewards_per_func", out.length, "completion_mask", rows);
        GoldenInputs.sameRows("completion_messages", msgs.size(), "completion_mask", rows);
        Object gObj = c.params().get("num_generations");
        if (!(gObj instanceof Number) || ((Number) gObj).intValue() < 1)
            throw new IllegalArgumentException("params.num_generations must be a positive number, got " + gObj);
        int g = ((Number) gObj).intValue();
        if (rows % g != 0)
            throw new IllegalArgumentException(
                    "input.completion_mask has " + rows + " rows, not a multiple of num_generations " + g);
        RolloutsBuilder b = Rollouts.builder();
        for (int r = 0; r < rows; r++) {
            b.trajectory("prompt" + (r / g), "row" + r);
            for (int f = 0; f < turn[r].length; f++) b.outcomeComponent("turn_f" + f, turn[r][f]);
            for (int f = 0; f < out[r].length; f++) b.outcomeComponent("outcome_f" + f, out[r][f]);
            b.signal(MtGrpo.RESULT_SEGMENT, resultPosition(msgs.get(r), r));
            runs(b, mask[r], "completion_mask", r);
        }
        return new AdaptedCase(
                b.build(),
                rowMajor(mask),
                c.estimator(),
                c.preset(),
                GoldenInputs.params(c, Set.of("num_generations"), Map.of()));
    }

    /** The reference's _find_result_positions for one completion. */
    private static int resultPosition(JsonNode messages, int row) {
        if (messages == null || !messages.isArray())
            throw new IllegalArgumentException("input.completion_messages[" + row + "] must be an array");
        for (int j = 0; j + 1 < messages.size(); j++) {
            JsonNode m = messages.get(j);
            JsonNode next = messages.get(j + 1);
            if ("assistant".equals(m.path("role").asText())
                    && "user".equals(next.path("role").asText())
                    && next.path("content").asText().contains("<result>")) {
                return j + 1;
            }
        }
        return -1;
    }

    private static Comparison.Result compareMtGrpo(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        JsonNode want = c.expected();
        float[][] mask = GoldenInputs.matrix(c, "completion_mask");
        compareWhere("advantages", want.get("advantages"), a.tokenIndex(), mask, credit.advantages(), tr);
        MtGrpo est = new MtGrpo();
        MtGrpo.Components comp = est.components(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        Map<String, double[]> per = new LinkedHashMap<>();
        per.put("turn_advantages", comp.turnAdvantage());
        per.put("outcome_advantages", comp.outcomeAdvantage());
        per.put("combined_advantages", comp.combinedAdvantage());
        for (Map.Entry<String, double[]> e : per.entrySet()) {
            JsonNode w = want.get(e.getKey());
            if (w == null || !w.isArray()) continue;
            for (int r = 0; r < w.size(); r++)
                tr.value(e.getKey(), r, 0, w.get(r).asDouble(), e.getValue()[r]);
        }
        JsonNode rsi = want.get("result_segment_indices");
        if (rsi != null && rsi.isArray()) {
            for (int r = 0; r < rsi.size(); r++)
                tr.value("result_segment_indices", r, 0, rsi.get(r).asInt(), comp.resultSegment()[r]);
        }
        return tr.result();
    }

    // ---- spa_rl ----------------------------------------------------------------------------

    private static AdaptedCase spaRl(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "masks");
        float[][] lp = GoldenInputs.matrix(c, "logprobs");
        float[][] ref = GoldenInputs.matrix(c, "ref_logprobs");
        float[][] val = GoldenInputs.matrix(c, "values");
        JsonNode scores = GoldenInputs.require(c, "scores");
        int rows = mask.length;
        for (Object[] m : new Object[][] {lp, ref, val})
            GoldenInputs.sameRows("logprobs/ref_logprobs/values", m.length, "masks", rows);
        GoldenInputs.sameRows("scores", scores.size(), "masks", rows);
        RolloutsBuilder b = Rollouts.builder();
        for (int r = 0; r < rows; r++) {
            float[] m = mask[r];
            for (float[][] x : new float[][][] {lp, ref, val}) {
                if (x[r].length != m.length)
                    throw new IllegalArgumentException("input row " + r
                            + ": logprobs, ref_logprobs and values must have the mask's " + m.length + " positions");
            }
            JsonNode s = scores.get(r);
            if (s == null || !s.isArray())
                throw new IllegalArgumentException("input.scores[" + r + "] must be an array, got " + Json.show(s));
            // policy runs, counted from the right, pair with the scores from the last one backwards
            int policyRuns = 0;
            for (int j = 0; j < m.length; j++) if (m[j] == 1f && (j == 0 || m[j - 1] != 1f)) policyRuns++;
            b.trajectory("batch", "row" + r);
            int run = 0;
            for (int j = 0; j < m.length; ) {
                int k = j;
                while (k < m.length && m[k] == m[j]) k++;
                if (m[j] == 1f) {
                    int fromRight = policyRuns - 1 - run++;
                    int idx = s.size() - 1 - fromRight;
                    double reward = idx >= 0 ? number(s.get(idx), "scores[" + r + "][" + idx + "]") : Double.NaN;
                    b.span(Role.POLICY, k - j, reward, null, null);
                } else if (m[j] == 0f) {
                    b.span(Role.CONTEXT, k - j);
                } else {
                    throw new IllegalArgumentException("input.masks[" + r + "][" + j + "] must be 0 or 1, got " + m[j]);
                }
                j = k;
            }
            b.tokenSignal(Rollouts.LOGPROB, lp[r])
                    .tokenSignal(Rollouts.REF_LOGPROB, ref[r])
                    .tokenSignal(Rollouts.VALUE, val[r]);
        }
        return new AdaptedCase(
                b.build(), rowMajor(mask), c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareSpaRl(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        JsonNode want = c.expected();
        float[][] mask = GoldenInputs.matrix(c, "masks");
        SpaRl est = new SpaRl();
        SpaRl.Components comp = est.components(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        compareWhere("rewards", want.get("rewards"), a.tokenIndex(), null, comp.rewards(), tr);
        compareWhere("non_score_reward", want.get("non_score_reward"), a.tokenIndex(), null, comp.nonScoreReward(), tr);
        compareWhere("advantages", want.get("advantages"), a.tokenIndex(), mask, credit.advantages(), tr);
        if (want.has("returns")) {
            if (credit.returns() == null) return tr.problem("the estimator produced no returns");
            compareWhere("returns", want.get("returns"), a.tokenIndex(), mask, credit.returns(), tr);
        }
        return tr.result();
    }

    // ---- spa_rl_step_rewards ---------------------------------------------------------------

    private static AdaptedCase stepRewards(GoldenCase c) {
        JsonNode ann = GoldenInputs.require(c, "annotations");
        if (!ann.isArray())
            throw new IllegalArgumentException("input.annotations must be an array, got " + Json.kind(ann));
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < ann.size(); i++) {
            JsonNode a = ann.get(i);
            JsonNode conv = a.get("conversations");
            JsonNode tv = a.get("turn_values");
            if (conv == null || !conv.isArray())
                throw new IllegalArgumentException("input.annotations[" + i + "].conversations must be an array");
            if (tv == null || !tv.isArray())
                throw new IllegalArgumentException("input.annotations[" + i + "].turn_values must be an array");
            JsonNode id = a.get("id");
            if (id == null || id.isNull())
                throw new IllegalArgumentException("input.annotations[" + i + "].id is missing");
            b.trajectory(id.isValueNode() ? id.asText() : id.toString(), "a" + i)
                    .outcome(number(a.get("agent_final_reward"), "annotations[" + i + "].agent_final_reward"))
                    .signal(SpaRlStepRewards.TURN_VALUE_COUNT, tv.size());
            String[] text = new String[conv.size()];
            for (int j = 0; j < conv.size(); j++) {
                b.span(j % 2 == 0 ? Role.CONTEXT : Role.POLICY, 1);
                text[j] = conv.get(j).path("value").asText();
            }
            b.tokenText(text);
        }
        return new AdaptedCase(
                b.build(), new int[0][], c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareStepRewards(
            GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        Rollouts batch = a.batch();
        SpaRlStepRewards est = new SpaRlStepRewards();
        SpaRlStepRewards.Steps st = est.steps(batch, Params.resolve(est.descriptor(), a.preset(), a.params()));
        JsonNode kept = c.expected().get("kept");
        JsonNode reward = c.expected().get("reward");
        if (kept == null || reward == null || kept.size() != reward.size())
            return tr.problem("expected kept and reward of the same length");
        boolean[] want = new boolean[batch.trajectoryCount()];
        for (int j = 0; j < kept.size(); j++) want[kept.get(j).asInt()] = true;
        for (int i = 0; i < want.length; i++) tr.value("kept", i, 0, want[i] ? 1 : 0, st.kept()[i] ? 1 : 0);
        for (int j = 0; j < kept.size(); j++) {
            int i = kept.get(j).asInt();
            int k = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                if (k >= reward.get(j).size())
                    return tr.problem("rollout " + i + " has more steps than expected.reward[" + j + "]");
                tr.value("reward", j, k, reward.get(j).get(k).asDouble(), st.reward()[s]);
                tr.value(
                        "advantages",
                        j,
                        k,
                        reward.get(j).get(k).asDouble(),
                        credit.advantages()[batch.spanTokenStart(s)]);
                k++;
            }
            if (k != reward.get(j).size())
                return tr.problem("rollout " + i + " has " + k + " steps, expected.reward[" + j + "] "
                        + reward.get(j).size());
        }
        for (int i = 0; i < want.length; i++) {
            if (want[i]) continue;
            for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                tr.mustBeZero("advantages(dropped)", i, t - batch.tokenStart(i), credit.advantages()[t]);
                if (credit.lossWeights() != null)
                    tr.mustBeZero("loss_weights(dropped)", i, t - batch.tokenStart(i), credit.lossWeights()[t]);
            }
        }
        return tr.result();
    }

    // ---- shared ----------------------------------------------------------------------------

    /** Compares a rows × L expectation with per-token values, where mask == 1 (mask null: everywhere). */
    private static void compareWhere(
            String name, JsonNode want, int[][] ti, float[][] mask, float[] got, Comparison.Tracker tr) {
        if (want == null || !want.isArray() || want.size() != ti.length) {
            tr.problem("expected." + name + " must have one row per input row");
            return;
        }
        for (int r = 0; r < ti.length; r++) {
            JsonNode row = want.get(r);
            if (row.size() != ti[r].length) {
                tr.problem("expected." + name + "[" + r + "] has " + row.size() + " values, the input row "
                        + ti[r].length);
                return;
            }
            for (int j = 0; j < ti[r].length; j++) {
                if (mask != null && mask[r][j] != 1f) continue;
                tr.value(name, r, j, row.get(j).asDouble(), got[ti[r][j]]);
            }
        }
    }

    /** Spans of one row: the maximal runs of its 0/1 mask. */
    private static void runs(RolloutsBuilder b, float[] m, String field, int row) {
        if (m.length == 0) b.span(Role.CONTEXT, 0);
        for (int j = 0; j < m.length; ) {
            if (m[j] != 0f && m[j] != 1f)
                throw new IllegalArgumentException(
                        "input." + field + "[" + row + "][" + j + "] must be 0 or 1, got " + m[j]);
            int k = j;
            while (k < m.length && m[k] == m[j]) k++;
            b.span(m[j] == 1f ? Role.POLICY : Role.CONTEXT, k - j);
            j = k;
        }
    }

    /** Token index when row r is trajectory r holding all of its positions. */
    private static int[][] rowMajor(float[][] mask) {
        int[][] out = new int[mask.length][];
        int base = 0;
        for (int r = 0; r < mask.length; r++) {
            out[r] = new int[mask[r].length];
            for (int j = 0; j < out[r].length; j++) out[r][j] = base + j;
            base += mask[r].length;
        }
        return out;
    }

    private static double number(JsonNode x, String where) {
        if (x == null || !x.isNumber())
            throw new IllegalArgumentException(
                    "input." + where + " must be a number, got " + (x == null ? "nothing" : Json.show(x)));
        return x.doubleValue();
    }
}
