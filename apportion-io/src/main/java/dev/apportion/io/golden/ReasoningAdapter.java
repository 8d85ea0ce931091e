package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.estimator.trajectory.AdoraVlEstimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layouts of {@code reasoning.jsonl} (semantics: {@code reasoning.md}): PURE, MA-RLHF,
 * A-GRAE, ADORA, ADORA-VL and RLVR-Schedule cases, run with preset {@code reference} (the
 * reference code's quirks; the estimators' defaults correct some of them) unless the case names
 * a preset.
 *
 * <h2>Layouts</h2>
 * <ul>
 *   <li>{@code pure_reward} ({@code logits [B,S,2]}, {@code reward_mask [B,S]}): row b →
 *       trajectory {@code row<b>}; slot s → one token: a policy span (a step, span signals
 *       {@code prm_logit0}/{@code prm_logit1}) where the mask is 1, a context span where it is
 *       0. Param {@code return_outcome_reward} dropped. Compared: {@code process_reward[b][s]}
 *       = the step's return minus the next step's return, {@code outcome_reward[b]} = the first
 *       step's return (the estimator's credit is the min-form return), 0 at masked slots.</li>
 *   <li>{@code pure} ({@code action_mask}, {@code separator_mask}, {@code step_logits},
 *       {@code action_log_probs}, {@code ref_log_probs}, {@code solved}): row i → trajectory of
 *       group {@code i / n_samples_per_prompt}; its valid tokens cut into step spans ending at
 *       every separator and at the last valid token, step k carrying {@code step_logits[i][k]}
 *       (checked against {@code num_steps}); padding → a context span; outcome =
 *       {@code solved}; log-probs → {@code logprob}/{@code ref_logprob}. Params
 *       {@code n_samples_per_prompt}, {@code micro_rollout_batch_size} dropped. Compared:
 *       {@code advantages} and {@code returns} (standard).</li>
 *   <li>{@code ma_rlhf} (DeepSpeed-Chat: {@code prompt_length} P, {@code attention_mask [B,S]},
 *       {@code logprobs}/{@code ref_logprobs}/{@code values [B,S−1]}, {@code reward_score}):
 *       row → trajectory: the prompt as a context span of P tokens, the response positions by
 *       runs of {@code attention_mask}; token j's signals are entry j − 1 (0 for j = 0);
 *       outcome = {@code reward_score}. Compared: {@code token_advantages} and
 *       {@code token_returns} (column k = token P + k) on policy tokens, 0 on the others.</li>
 *   <li>{@code a_grae}, {@code adora}: the verl layout with {@code eos_mask} as the response
 *       mask. Compared: {@code advantages} (standard).</li>
 *   <li>{@code adora_vl} ({@code reward}, {@code response_length} per row): row i → one policy
 *       span of {@code response_length[i]} tokens, outcome {@code reward[i]}, group
 *       {@code i / n_samples_per_prompt} (param dropped). Compared: {@code shaped_reward[i]} =
 *       the advantage of the row's tokens, {@code weights[i]} =
 *       {@link AdoraVlEstimator#groupWeights}.</li>
 *   <li>{@code temporal_schedule}: {@code tp_schedule} ({@code prompt_lengths},
 *       {@code response_lengths}): a context span and a policy span per row;
 *       {@code forking_tok_schedule} ({@code prompt_width} P, {@code attention_mask [B,P+R]},
 *       {@code response_mask}, {@code entropys [B,R]}): a P-token context span, then response
 *       positions by runs of {@code attention_mask[P+t]·response_mask[t]}, token signal
 *       {@code entropy}; {@code entropy_adv_schedule} ({@code advantages}, {@code response_mask},
 *       {@code entropys}): spans by runs of the mask, token signals {@code advantage} and
 *       {@code entropy}, param {@code base_advantage = token_signal}. Params
 *       {@code prompt_length}/{@code response_length} dropped (they size only the reference's
 *       padded prompt; checked through {@link TemporalScheduleEstimator#stepLengths}).
 *       Compared: diagnostics {@code prefix_ratio}, {@code min_schedule_step},
 *       {@code max_schedule_step}; tp: the loss weights against {@code prefix_length},
 *       {@code response_mask} and the step lengths; forking: the loss weights against
 *       {@code response_mask}; entropy: {@code advantages} (standard).</li>
 * </ul>
 * Not compared here (no place in apportion's credit): PURE's {@code kl}/{@code shaped_reward}/
 * {@code process_reward} of the pipeline and MA-RLHF's macro-level arrays; this module's tests
 * {@code ReasoningIntermediatesTest} and {@code MaRlhfMacrosGoldenTest} check those.
 */
public abstract sealed class ReasoningAdapter implements GoldenAdapter
        permits PureRewardAdapter,
                PureAdapter,
                MaRlhfAdapter,
                GroupRunsAdapter,
                AdoraVlAdapter,
                TemporalScheduleAdapter {
    /** The preset the cases run with when they name none. */
    public static final String PRESET = "reference";

    /** Estimator ids whose cases this adapter knows. */
    public static final Set<String> ESTIMATORS =
            Set.of("pure_reward", "pure", "ma_rlhf", "a_grae", "adora", "adora_vl", "temporal_schedule");

    /** One layout per family of reference code: these are the subclasses, each in its own file. */
    ReasoningAdapter() {}

    /** The estimator ids whose cases this layout holds. */
    abstract Set<String> estimators();

    /** True when the case has this layout's input arrays. */
    abstract boolean hasInputs(GoldenCase c);

    /**
     * The batch of a case; removes from {@code params} the inputs that size the reference's
     * tensors and are not estimator parameters (and adds what the layout implies).
     */
    abstract Built build(GoldenCase c, Map<String, Object> params);

    @Override
    public String name() {
        return "reasoning";
    }

    @Override
    public final boolean accepts(GoldenCase c) {
        return estimators().contains(c.estimator()) && hasInputs(c);
    }

    static boolean has(GoldenCase c, String... fields) {
        return GoldenInputs.hasAll(c, List.of(fields));
    }

    @Override
    public final AdaptedCase adapt(GoldenCase c) {
        String preset = c.preset() == null ? PRESET : c.preset();
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of(), Map.of()));
        Built b = build(c, params);
        return new AdaptedCase(b.batch, b.tokenIndex, c.estimator(), preset, Map.copyOf(params));
    }

    record Built(Rollouts batch, int[][] tokenIndex) {}

    static int groupSize(Object n) {
        if (!(n instanceof Number) || ((Number) n).intValue() < 1) {
            throw new IllegalArgumentException("params.n_samples_per_prompt must be a whole number >= 1, got " + n);
        }
        return ((Number) n).intValue();
    }

    static String[] rowKeys(int rows) {
        String[] k = new String[rows];
        for (int i = 0; i < rows; i++) k[i] = "row" + i;
        return k;
    }

    static JsonNode row(GoldenCase c, String field, int i, int width) {
        JsonNode r = GoldenInputs.require(c, field).get(i);
        if (r == null || !r.isArray() || r.size() < width) {
            throw new IllegalArgumentException(
                    "input." + field + "[" + i + "] must be an array of at least " + width + " entries, got " + r);
        }
        return r;
    }

    static double num(JsonNode x, String where) {
        if (x == null || !x.isNumber())
            throw new IllegalArgumentException("input." + where + " must be a number, got " + x);
        return x.doubleValue();
    }

    /** Appends spans for the runs of {@code valid[from..to)}. */
    static void runs(RolloutsBuilder b, boolean[] valid, int from, int to) {
        int k = from;
        while (k < to) {
            int e = k;
            while (e < to && valid[e] == valid[k]) e++;
            b.span(valid[k] ? Role.POLICY : Role.CONTEXT, e - k);
            k = e;
        }
    }

    /** One trajectory per row, spans by runs of {@code mask}, the given token signals (rows × L). */
    static Built byRuns(GoldenCase c, float[][] mask, String[] groups, Map<String, float[][]> signals) {
        GoldenInputs.sameRows("index", groups.length, "mask", mask.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[mask.length][];
        int token = 0;
        for (int i = 0; i < mask.length; i++) {
            int l = mask[i].length;
            b.trajectory(groups[i], "row" + i);
            boolean[] valid = new boolean[l];
            for (int t = 0; t < l; t++) valid[t] = mask[i][t] != 0f;
            runs(b, valid, 0, l);
            for (Map.Entry<String, float[][]> e : signals.entrySet()) {
                float[][] v = e.getValue();
                GoldenInputs.sameRows(e.getKey(), v.length, "mask", mask.length);
                if (v[i].length != l)
                    throw new IllegalArgumentException(
                            "input row " + i + ": " + e.getKey() + " has " + v[i].length + " values, the mask " + l);
                b.tokenSignal(e.getKey(), v[i]);
            }
            ti[i] = new int[l];
            for (int t = 0; t < l; t++) ti[i][t] = token++;
        }
        return new Built(b.build(), ti);
    }

    static Built pureReward(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "reward_mask");
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[mask.length][];
        int token = 0;
        for (int i = 0; i < mask.length; i++) {
            JsonNode logits = row(c, "logits", i, mask[i].length);
            b.trajectory("row" + i, "row" + i);
            ti[i] = new int[mask[i].length];
            for (int s = 0; s < mask[i].length; s++) {
                boolean real = mask[i][s] != 0f;
                b.span(real ? Role.POLICY : Role.CONTEXT, 1);
                if (real) {
                    JsonNode l = logits.get(s);
                    b.spanSignal("prm_logit0", num(l.get(0), "logits[" + i + "][" + s + "][0]"))
                            .spanSignal("prm_logit1", num(l.get(1), "logits[" + i + "][" + s + "][1]"));
                }
                ti[i][s] = token++;
            }
        }
        return new Built(b.build(), ti);
    }

    static Built pure(GoldenCase c, int n) {
        float[][] am = GoldenInputs.matrix(c, "action_mask");
        float[][] sep = GoldenInputs.matrix(c, "separator_mask");
        float[][] lp = GoldenInputs.matrix(c, "action_log_probs");
        float[][] ref = GoldenInputs.matrix(c, "ref_log_probs");
        float[] solved = GoldenInputs.vector(c, "solved");
        GoldenInputs.sameRows("solved", solved.length, "action_mask", am.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[am.length][];
        int token = 0;
        for (int i = 0; i < am.length; i++) {
            int width = am[i].length;
            int len = 0;
            while (len < width && am[i][len] != 0f) len++;
            for (int t = len; t < width; t++) {
                if (am[i][t] != 0f)
                    throw new IllegalArgumentException(
                            "input.action_mask[" + i + "] must be a prefix of ones; 1 at " + t + " after 0 at " + len);
            }
            b.trajectory("prompt" + (i / n), "row" + i).outcome(solved[i]);
            int k = 0;
            int begin = 0;
            for (int t = 0; t < len; t++) {
                if (sep[i][t] != 0f || t == len - 1) {
                    JsonNode l = row(c, "step_logits", i, k + 1).get(k);
                    b.span(Role.POLICY, t - begin + 1)
                            .spanSignal("prm_logit0", num(l.get(0), "step_logits[" + i + "][" + k + "][0]"))
                            .spanSignal("prm_logit1", num(l.get(1), "step_logits[" + i + "][" + k + "][1]"));
                    k++;
                    begin = t + 1;
                }
            }
            if (GoldenInputs.has(c, "num_steps")
                    && k != (int) num(c.input().get("num_steps").get(i), "num_steps[" + i + "]")) {
                throw new IllegalArgumentException(
                        "input row " + i + ": the separators give " + k + " steps but num_steps[" + i + "] is "
                                + c.input().get("num_steps").get(i));
            }
            b.span(Role.CONTEXT, width - len);
            b.tokenSignal(Rollouts.LOGPROB, lp[i]).tokenSignal(Rollouts.REF_LOGPROB, ref[i]);
            ti[i] = new int[width];
            for (int t = 0; t < width; t++) ti[i][t] = token++;
        }
        return new Built(b.build(), ti);
    }

    static Built maRlhf(GoldenCase c) {
        int p = (int) num(c.input().get("prompt_length"), "prompt_length");
        float[][] att = GoldenInputs.matrix(c, "attention_mask");
        float[][] lp = GoldenInputs.matrix(c, "logprobs");
        float[][] ref = GoldenInputs.matrix(c, "ref_logprobs");
        float[][] val = GoldenInputs.matrix(c, "values");
        float[] score = GoldenInputs.vector(c, "reward_score");
        GoldenInputs.sameRows("reward_score", score.length, "attention_mask", att.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[att.length][];
        int token = 0;
        for (int i = 0; i < att.length; i++) {
            int s = att[i].length;
            if (p < 1 || p >= s)
                throw new IllegalArgumentException("input.prompt_length " + p + " must lie in [1, " + (s - 1) + "]");
            b.trajectory("row" + i, "row" + i).outcome(score[i]).span(Role.CONTEXT, p);
            boolean[] valid = new boolean[s];
            for (int j = p; j < s; j++) valid[j] = att[i][j] != 0f;
            runs(b, valid, p, s);
            b.tokenSignal(Rollouts.LOGPROB, shift(lp[i], s, "logprobs", i))
                    .tokenSignal(Rollouts.REF_LOGPROB, shift(ref[i], s, "ref_logprobs", i))
                    .tokenSignal(Rollouts.VALUE, shift(val[i], s, "values", i));
            ti[i] = new int[s - p];
            for (int k = 0; k < s - p; k++) ti[i][k] = token + p + k;
            token += s;
        }
        return new Built(b.build(), ti);
    }

    /** DeepSpeed-Chat's entry t (length S − 1) scores token t + 1. */
    static float[] shift(float[] x, int s, String field, int row) {
        if (x.length != s - 1)
            throw new IllegalArgumentException(
                    "input." + field + "[" + row + "] has " + x.length + " values, expected " + (s - 1));
        float[] out = new float[s];
        System.arraycopy(x, 0, out, 1, s - 1);
        return out;
    }

    static Built adoraVl(GoldenCase c, int n) {
        float[] reward = GoldenInputs.vector(c, "reward");
        float[] len = GoldenInputs.vector(c, "response_length");
        GoldenInputs.sameRows("response_length", len.length, "reward", reward.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[reward.length][1];
        int token = 0;
        for (int i = 0; i < reward.length; i++) {
            int l = (int) len[i];
            if (l != len[i] || l < 0)
                throw new IllegalArgumentException(
                        "input.response_length[" + i + "] must be a whole number >= 0, got " + len[i]);
            b.trajectory("prompt" + (i / n), "row" + i).outcome(reward[i]).span(Role.POLICY, l);
            ti[i][0] = l == 0 ? -1 : token;
            token += l;
        }
        return new Built(b.build(), ti);
    }

    static Built tp(GoldenCase c) {
        float[] pl = GoldenInputs.vector(c, "prompt_lengths");
        float[] rl = GoldenInputs.vector(c, "response_lengths");
        GoldenInputs.sameRows("response_lengths", rl.length, "prompt_lengths", pl.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[pl.length][];
        int token = 0;
        for (int i = 0; i < pl.length; i++) {
            int p = (int) pl[i];
            int r = (int) rl[i];
            b.trajectory("row" + i, "row" + i).span(Role.CONTEXT, p).span(Role.POLICY, r);
            ti[i] = new int[r];
            for (int k = 0; k < r; k++) ti[i][k] = token + p + k;
            token += p + r;
        }
        return new Built(b.build(), ti);
    }

    static Built forking(GoldenCase c) {
        int p = (int) num(c.input().get("prompt_width"), "prompt_width");
        float[][] att = GoldenInputs.matrix(c, "attention_mask");
        float[][] resp = GoldenInputs.matrix(c, "response_mask");
        float[][] ent = GoldenInputs.matrix(c, "entropys");
        GoldenInputs.sameRows("attention_mask", att.length, "response_mask", resp.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[resp.length][];
        int token = 0;
        for (int i = 0; i < resp.length; i++) {
            int r = resp[i].length;
            if (att[i].length != p + r) {
                throw new IllegalArgumentException("input.attention_mask[" + i + "] has " + att[i].length
                        + " values, expected prompt_width + " + r + " = " + (p + r));
            }
            b.trajectory("row" + i, "row" + i).span(Role.CONTEXT, p);
            boolean[] valid = new boolean[r];
            for (int t = 0; t < r; t++) valid[t] = att[i][p + t] != 0f && resp[i][t] != 0f;
            runs(b, valid, 0, r);
            float[] e = new float[p + r];
            System.arraycopy(ent[i], 0, e, p, r);
            b.tokenSignal(Rollouts.ENTROPY, e);
            ti[i] = new int[r];
            for (int t = 0; t < r; t++) ti[i][t] = token + p + t;
            token += p + r;
        }
        return new Built(b.build(), ti);
    }

    // ---- comparison ------------------------------------------------------------------------

    /** {@code want[row][col]} against {@code got[tokenIndex[row][col]]} on policy tokens; 0 elsewhere when asked. */
    static void tokens(
            Comparison.Tracker tr, String array, JsonNode want, float[] got, AdaptedCase a, boolean zeroElsewhere) {
        Comparison.tokens(tr, array, (r, col) -> want.get(r).get(col).asDouble(), got, a, zeroElsewhere);
    }

    static Comparison.Result pureReward(Comparison.Tracker tr, JsonNode e, AdaptedCase a, Credit credit) {
        float[] g = credit.returns();
        if (g == null) return tr.problem("pure_reward produced no returns (the min-form return per step)");
        byte[] mask = a.batch().mask();
        int[][] ti = a.tokenIndex();
        for (int r = 0; r < ti.length; r++) {
            int first = -1;
            for (int s = 0; s < ti[r].length; s++) {
                double want = e.get("process_reward").get(r).get(s).asDouble();
                if (mask[ti[r][s]] == 0) {
                    tr.value("process_reward", r, s, want, credit.advantages()[ti[r][s]]);
                    continue;
                }
                if (first < 0) first = s;
                int next = s + 1;
                while (next < ti[r].length && mask[ti[r][next]] == 0) next++;
                tr.value("process_reward", r, s, want, g[ti[r][s]] - (next < ti[r].length ? g[ti[r][next]] : 0.0));
            }
            if (first >= 0)
                tr.value("outcome_reward", r, 0, e.get("outcome_reward").get(r).asDouble(), g[ti[r][first]]);
        }
        return tr.result();
    }

    static Comparison.Result adoraVl(Comparison.Tracker tr, JsonNode e, AdaptedCase a, Credit credit) {
        Rollouts b = a.batch();
        for (int r = 0; r < a.tokenIndex().length; r++) {
            int t = a.tokenIndex()[r][0];
            if (t >= 0)
                tr.value("shaped_reward", r, 0, e.get("shaped_reward").get(r).asDouble(), credit.advantages()[t]);
        }
        if (e.has("weights")) {
            AdoraVlEstimator est = (AdoraVlEstimator)
                    EstimatorRegistry.global().get(AdoraVlEstimator.ID).unwrap();
            Params p = Params.resolve(est.descriptor(), a.preset(), a.params());
            if (p.getBoolean("use_adora")) {
                double[] w = AdoraVlEstimator.groupWeights(
                        b,
                        b.scores(),
                        p.getDouble("adora_lamda"),
                        p.getDouble("correct_threshold"),
                        p.getDouble("max_length_threshold"),
                        p.getChoice("empty_other", AdoraVlEstimator.EmptyOther.class)
                                == AdoraVlEstimator.EmptyOther.LAMDA);
                for (int r = 0; r < b.trajectoryCount(); r++)
                    tr.value("weights", r, 0, e.get("weights").get(r).asDouble(), w[b.trajectoryGroup(r)]);
            }
        }
        return tr.result();
    }

    static Comparison.Result temporal(Comparison.Tracker tr, GoldenCase c, AdaptedCase a, Credit credit) {
        JsonNode e = c.expected();
        for (String d : new String[] {"prefix_ratio", "min_schedule_step", "max_schedule_step"}) {
            Double got = credit.diagnostics().get(d);
            if (got == null) return tr.problem("temporal_schedule reported no diagnostic '" + d + "'");
            tr.value(d, 0, 0, e.get(d).asDouble(), got);
        }
        float[] w = credit.lossWeights();
        int[][] ti = a.tokenIndex();
        if (GoldenInputs.has(c, "prompt_lengths")) {
            if (w == null) return tr.problem("tp_schedule produced no loss weights");
            double rho = credit.diagnostics().get("prefix_ratio");
            Object pl = c.params().get("prompt_length");
            Object rl = c.params().get("response_length");
            int[] lengths = null;
            if (pl instanceof Number && rl instanceof Number) {
                lengths =
                        TemporalScheduleEstimator.stepLengths(((Number) pl).intValue(), ((Number) rl).intValue(), rho);
                tr.value("step_prompt_length", 0, 0, e.get("step_prompt_length").asDouble(), lengths[0]);
                tr.value(
                        "step_response_length",
                        0,
                        0,
                        e.get("step_response_length").asDouble(),
                        lengths[1]);
            }
            for (int r = 0; r < ti.length; r++) {
                int prefix = 0;
                for (int t : ti[r]) if (w[t] == 0f) prefix++;
                tr.value("prefix_length", r, 0, e.get("prefix_length").get(r).asDouble(), prefix);
                JsonNode rm = e.get("response_mask").get(r);
                // the reference's response after the split: the suffix from token `prefix` on, right-padded
                for (int k = 0; k < rm.size(); k++) {
                    double got = prefix + k < ti[r].length ? w[ti[r][prefix + k]] : 0.0;
                    tr.value("response_mask", r, k, rm.get(k).asDouble(), got);
                }
            }
            return tr.result();
        }
        if (GoldenInputs.has(c, "prompt_width")) {
            if (w == null) return tr.problem("forking_tok_schedule produced no loss weights");
            JsonNode rm = e.get("response_mask");
            for (int r = 0; r < ti.length; r++) {
                for (int col = 0; col < ti[r].length; col++)
                    tr.value("response_mask", r, col, rm.get(r).get(col).asDouble(), w[ti[r][col]]);
            }
            return tr.result();
        }
        tokens(tr, "advantages", e.get("advantages"), credit.advantages(), a, true);
        return tr.result();
    }
}
