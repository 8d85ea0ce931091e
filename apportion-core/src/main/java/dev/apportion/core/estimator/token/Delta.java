package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.credit.WireName;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * DelTA's discriminative token weights ({@code delta}): a per-token multiplier of a
 * sequence-level advantage, from how well the token's hidden-state feature separates the
 * positive from the negative responses of the batch.
 *
 * <h2>Formula</h2>
 * Token set {@code T}: per trajectory, the tokens the reference's response attention mask covers
 * ({@code token_set = response}: from the first policy token to the trajectory's end, tool
 * results included) or only the policy tokens ({@code policy}). Row advantage {@code a_i}: verl's
 * GRPO z-score of the trajectory score ({@code base_advantage = grpo}), or the token signal
 * {@code advantage} at the trajectory's first policy token ({@code token_signal}; the reference
 * reads column 0 of the advantage tensor). With {@code p_i = max(a_i,0)}, {@code n_i = max(−a_i,0)}:
 * <ol>
 *   <li>feature {@code v_t = (1 − exp ℓ_t)·h_t} ({@code ℓ} = the {@code logprob_signal},
 *       {@code h} = the token vector signal {@code hidden}, width H);</li>
 *   <li>centres {@code μ± = Σ p_i(n_i)·v_t / max(Σ p_i(n_i), ε)}, ε = 1e-8 (0 for an empty class);</li>
 *   <li>margin {@code d_t = |v_t − c₋|² − |v_t − c₊|²} (plain squared distance; under
 *       {@code impl = Memory_efficient} each distance is {@code Σv² − 2v·c + Σc²} clamped at 0);
 *       margin₊ = d, margin₋ = −d;</li>
 *   <li>scale {@code γ = sqrt(max(popvar(margins over the class's tokens), ε))} (1e-4 for an empty
 *       or constant class);</li>
 *   <li>K refinement steps: {@code w± = σ(margin±/γ±)·p_i(n_i)}, {@code c± ← Σ w±·v/max(Σ w±, ε)},
 *       and γ± from the step's margins (against the centres before the update: γ lags one
 *       update, as in the reference);</li>
 *   <li>{@code ω_t = λmin + (λmax − λmin)·σ(margin±/γ±)} on positive / negative rows against the
 *       final centres, {@code λmin} on rows with {@code a_i = 0};</li>
 *   <li>{@code g = |T| / max(Σ ω, 1e-8)}; weight {@code g·ω_t}; advantage {@code g·a_i·ω_t}.</li>
 * </ol>
 * Side outputs ({@link #components}): the discriminant {@code W = c₊ − c₋},
 * {@code b = −½ Σ (c₊² − c₋²)} and {@code preds_t = sign(a_i)·(W·v_t + b)}.
 *
 * <h2>Source</h2>
 * DelTA, arXiv 2605.21467; code RUCBM/DelTA @ cf048bd11f72f12f2feaea84e2b8d328fdd6fdda,
 * {@code verl-DelTA/verl/workers/actor/dp_actor.py} {@code DataParallelPPOActor.compute_log_prob_h};
 * defaults from {@code recipe/dapo/srcs/run_DelTA.sh}. Fidelity {@code reference}: the golden
 * vectors of {@code delta-at2po-archer.jsonl} pass. The reference's per-dimension variance is
 * computed and then replaced by ones, so the distance is plain Euclidean here too.
 *
 * <h2>Parameters</h2>
 * {@code K} = 1, {@code impl} = Normal, {@code lam_min} = 0.8, {@code lam_max} = 1.2 (the
 * script), {@code base_advantage} = grpo with {@code epsilon} = 1e-6 and
 * {@code norm_adv_by_std} = true (verl's GRPO, which the DAPO recipe runs), {@code token_set} =
 * response, {@code logprob_signal} = old_logprob (the actor's log-probs before the update).
 * Preset {@code verl} = the defaults (the verl-DelTA recipe).
 *
 * <h2>Edge cases</h2>
 * Statistics are over the whole batch (the reference: one data-parallel shard), so the estimator
 * is not group-local. Rows with {@code a_i = 0} get {@code λmin} before the renormalisation and
 * shift {@code g}; an empty class has centre 0 and enters {@code W}, {@code b}. A trajectory without
 * policy tokens has no token in {@code T} and gets nothing. Context tokens in {@code T} shape the
 * centres and {@code g} but get advantage 0 (their weights are in {@link #components}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Delta implements Estimator {
    public static final String ID = "delta";
    /** Name of the token vector signal with the hidden states. */
    public static final String HIDDEN = "hidden";
    /** Name of the token signal read by {@code base_advantage = token_signal}. */
    public static final String ADVANTAGE = "advantage";

    private static final double EPS = 1e-8;

    /** How squared distances are computed ({@code impl}), written as the reference spells it. */
    enum Impl implements WireName {
        /** {@code |v - c|²} */
        NORMAL("Normal"),
        /** {@code Σv² − 2 v·c + Σc²}, clamped at 0 */
        MEMORY_EFFICIENT("Memory_efficient");

        private final String wire;

        Impl(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    /** The row advantage ({@code base_advantage}). */
    enum BaseAdvantage {
        /** verl GRPO of the trajectory score */
        GRPO,
        /** the token signal 'advantage' at the first policy token */
        TOKEN_SIGNAL
    }

    /** Tokens in the statistics ({@code token_set}). */
    enum TokenSet {
        /** the response attention mask, from the first policy token on */
        RESPONSE,
        /** policy tokens only */
        POLICY
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("DelTA discriminative token weights from hidden states")
            .source("DelTA, arXiv 2605.21467; RUCBM/DelTA@cf048bd verl-DelTA/verl/workers/actor/dp_actor.py "
                    + "DataParallelPPOActor.compute_log_prob_h")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(
                    SignalRequirement.token(HIDDEN, "the policy's hidden states (token vector signal, width H)"),
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the actor's log-probs before the update"),
                    SignalRequirement.token(Rollouts.REWARD, "an outcome or rewards (base_advantage = grpo)"))
            .parameters(
                    ParamSpec.integer("K", 1, 0, 100, "centre-refinement steps"),
                    ParamSpec.choice(
                            "impl",
                            Impl.NORMAL,
                            "squared distance as |v-c|^2 (Normal) or as sum v^2 - 2 v.c + sum c^2 clamped at 0"),
                    ParamSpec.real("lam_min", 0.8, null, null, "smallest weight before renormalisation"),
                    ParamSpec.real("lam_max", 1.2, null, null, "largest weight before renormalisation"),
                    ParamSpec.choice(
                            "base_advantage",
                            BaseAdvantage.GRPO,
                            "row advantage: verl GRPO of the trajectory score, or the token signal 'advantage' at the first policy token"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std (base_advantage = grpo)"),
                    ParamSpec.bool("norm_adv_by_std", true, "divide by the group std (base_advantage = grpo)"),
                    ParamSpec.choice(
                            "token_set",
                            TokenSet.RESPONSE,
                            "tokens in the statistics: the response attention mask (from the first policy token on) or policy tokens only"),
                    ParamSpec.string(
                            "logprob_signal",
                            Rollouts.OLD_LOGPROB,
                            "token signal with the log-probs l of the feature (1-exp l) h"))
            .preset("verl", Map.of("K", 1, "impl", Impl.NORMAL.wire(), "lam_min", 0.8, "lam_max", 1.2))
            .summary("A_t = g*a_i*(lam_min + (lam_max-lam_min)*sigmoid(margin_t/gamma)); margin from distances of "
                    + "(1-p_t)h_t to positive/negative centres; g renormalises weights to mean 1")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * Everything the reference returns, over the token set.
     *
     * @param tokens global token indices of the token set, in batch order
     * @param weights {@code g·ω} per token of the set
     * @param weightedAdvantages {@code g·a_i·ω} per token of the set
     * @param preds {@code sign(a_i)·(W·v + b)} per token of the set
     * @param rowAdvantage {@code a_i} per trajectory
     * @param w the discriminant direction {@code c₊ − c₋} (length H)
     * @param b the discriminant offset
     * @param scale the renormalisation {@code g}
     */
    public record Components(
            int[] tokens,
            double[] weights,
            double[] weightedAdvantages,
            double[] preds,
            double[] rowAdvantage,
            double[] w,
            double b,
            double scale) {}

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        Components c = components(batch, params);
        float[] adv = new float[batch.tokenCount()];
        byte[] mask = batch.mask();
        for (int k = 0; k < c.tokens.length; k++) {
            int t = c.tokens[k];
            if (mask[t] == 1) adv[t] = (float) c.weightedAdvantages[k];
        }
        return Credit.builder(adv)
                .diagnostic("delta_scale", c.scale)
                .diagnostic("delta_bias", c.b)
                .diagnostic("delta_tokens", c.tokens.length)
                .build();
    }

    /** Computes the weights, advantages and discriminant for {@code batch}. */
    public Components components(Rollouts batch, Params params) {
        int steps = params.getInt("K");
        boolean memEff = params.getChoice("impl", Impl.class) == Impl.MEMORY_EFFICIENT;
        double lamMin = params.getDouble("lam_min");
        double lamMax = params.getDouble("lam_max");
        boolean policyOnly = params.getChoice("token_set", TokenSet.class) == TokenSet.POLICY;
        String lpName = params.getString("logprob_signal");

        float[] hidden = batch.requireTokenVector(HIDDEN, ID, "the policy's hidden states, width H");
        int h = batch.tokenVectorWidth(HIDDEN);
        float[] lp = batch.requireTokenSignal(lpName, ID, "the policy's log-probs");
        int n = batch.trajectoryCount();
        double[] a = rowAdvantages(batch, params);

        // token set and its row
        byte[] mask = batch.mask();
        int count = 0;
        for (int i = 0; i < n; i++) count += setSize(batch, i, policyOnly, mask);
        int[] tok = new int[count];
        int[] row = new int[count];
        int k = 0;
        for (int i = 0; i < n; i++) {
            int first = firstPolicyToken(batch, i);
            if (first < 0) continue;
            for (int t = first; t < batch.tokenEnd(i); t++) {
                if (policyOnly && mask[t] == 0) continue;
                tok[k] = t;
                row[k++] = i;
            }
        }
        double[] f = new double[count];
        for (k = 0; k < count; k++) f[k] = 1.0 - Math.exp(lp[tok[k]]);

        double[] pos = new double[count];
        double[] neg = new double[count];
        int nPos = 0;
        int nNeg = 0;
        for (k = 0; k < count; k++) {
            double ai = a[row[k]];
            pos[k] = Math.max(ai, 0);
            neg[k] = Math.max(-ai, 0);
            if (ai > 0) nPos++;
            else if (ai < 0) nNeg++;
        }
        double[] cPos = centre(hidden, h, tok, f, pos);
        double[] cNeg = centre(hidden, h, tok, f, neg);
        double[] d = new double[count];
        margins(hidden, h, tok, f, cPos, cNeg, memEff, d);
        double gPos = scale(d, a, row, true, nPos);
        double gNeg = scale(d, a, row, false, nNeg);
        double[] wPos = new double[count];
        double[] wNeg = new double[count];
        for (int step = 0; step < steps; step++) {
            if (step > 0) margins(hidden, h, tok, f, cPos, cNeg, memEff, d);
            for (k = 0; k < count; k++) {
                wPos[k] = sigmoid(d[k] / gPos) * pos[k];
                wNeg[k] = sigmoid(-d[k] / gNeg) * neg[k];
            }
            cPos = centre(hidden, h, tok, f, wPos);
            cNeg = centre(hidden, h, tok, f, wNeg);
            gPos = scale(d, a, row, true, nPos);
            gNeg = scale(d, a, row, false, nNeg);
        }
        margins(hidden, h, tok, f, cPos, cNeg, memEff, d);
        double[] omega = new double[count];
        double sumOmega = 0;
        for (k = 0; k < count; k++) {
            double ai = a[row[k]];
            double o;
            if (ai > 0) o = lamMin + (lamMax - lamMin) * sigmoid(d[k] / gPos);
            else if (ai < 0) o = lamMin + (lamMax - lamMin) * sigmoid(-d[k] / gNeg);
            else o = lamMin;
            omega[k] = o;
            sumOmega += o;
        }
        double g = count / Math.max(sumOmega, 1e-8);
        double[] w = new double[h];
        double b = 0;
        for (int j = 0; j < h; j++) {
            w[j] = cPos[j] - cNeg[j];
            b -= 0.5 * (cPos[j] * cPos[j] - cNeg[j] * cNeg[j]);
        }
        double[] weights = new double[count];
        double[] wadv = new double[count];
        double[] preds = new double[count];
        for (k = 0; k < count; k++) {
            double ai = a[row[k]];
            weights[k] = g * omega[k];
            wadv[k] = g * ai * omega[k];
            int base = tok[k] * h;
            double dot = 0;
            for (int j = 0; j < h; j++) dot += w[j] * f[k] * hidden[base + j];
            preds[k] = Math.signum(ai) * (dot + b);
        }
        return new Components(tok, weights, wadv, preds, a, w, b, g);
    }

    private static int setSize(Rollouts batch, int i, boolean policyOnly, byte[] mask) {
        int first = firstPolicyToken(batch, i);
        if (first < 0) return 0;
        if (!policyOnly) return batch.tokenEnd(i) - first;
        int c = 0;
        for (int t = first; t < batch.tokenEnd(i); t++) c += mask[t];
        return c;
    }

    private static int firstPolicyToken(Rollouts batch, int i) {
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s))
                return batch.spanTokenStart(s);
        }
        return -1;
    }

    /** Row advantage per trajectory. */
    private static double[] rowAdvantages(Rollouts batch, Params params) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        if (params.getChoice("base_advantage", BaseAdvantage.class) == BaseAdvantage.TOKEN_SIGNAL) {
            float[] adv = batch.requireTokenSignal(ADVANTAGE, ID, "the sequence-level advantage to reweight");
            for (int i = 0; i < n; i++) {
                int first = firstPolicyToken(batch, i);
                out[i] = first < 0 ? 0.0 : adv[first];
            }
            return out;
        }
        if (!batch.hasAnyReward()) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs rewards (an outcome, span or token rewards) for its GRPO base "
                            + "advantage, the batch has none (or set base_advantage=token_signal)",
                    -1,
                    "outcome");
        }
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("norm_adv_by_std");
        double[] s = batch.scores();
        GroupStats st = GroupStats.of(s, batch.trajectoryGroups(), batch.groupCount());
        for (int i = 0; i < n; i++) {
            int gi = batch.trajectoryGroup(i);
            boolean single = st.count(gi) == 1;
            double mean = single ? 0.0 : st.mean(gi);
            double std = single ? 1.0 : Math.sqrt(st.unbiasedVariance(gi));
            out[i] = byStd ? (s[i] - mean) / (std + eps) : s[i] - mean;
        }
        return out;
    }

    /** Σ w·v / max(Σ w, ε) with v = f·h. */
    private static double[] centre(float[] hidden, int h, int[] tok, double[] f, double[] weight) {
        double[] c = new double[h];
        double total = 0;
        for (int k = 0; k < tok.length; k++) {
            double wk = weight[k];
            if (wk == 0) continue;
            total += wk;
            double s = wk * f[k];
            int base = tok[k] * h;
            for (int j = 0; j < h; j++) c[j] += s * hidden[base + j];
        }
        double den = Math.max(total, EPS);
        for (int j = 0; j < h; j++) c[j] /= den;
        return c;
    }

    /** d = D₋ − D₊ per token of the set. */
    private static void margins(
            float[] hidden, int h, int[] tok, double[] f, double[] cPos, double[] cNeg, boolean memEff, double[] d) {
        double cp2 = 0;
        double cn2 = 0;
        for (int j = 0; j < h; j++) {
            cp2 += cPos[j] * cPos[j];
            cn2 += cNeg[j] * cNeg[j];
        }
        for (int k = 0; k < tok.length; k++) {
            int base = tok[k] * h;
            double dp;
            double dn;
            if (memEff) {
                double v2 = 0;
                double vp = 0;
                double vn = 0;
                for (int j = 0; j < h; j++) {
                    double v = f[k] * hidden[base + j];
                    v2 += v * v;
                    vp += v * cPos[j];
                    vn += v * cNeg[j];
                }
                dp = Math.max(v2 - 2 * vp + cp2, 0);
                dn = Math.max(v2 - 2 * vn + cn2, 0);
            } else {
                dp = 0;
                dn = 0;
                for (int j = 0; j < h; j++) {
                    double v = f[k] * hidden[base + j];
                    double x = v - cPos[j];
                    double y = v - cNeg[j];
                    dp += x * x;
                    dn += y * y;
                }
            }
            d[k] = dn - dp;
        }
    }

    /** sqrt(max(population variance of the class's margins, ε)); 1e-4 for an empty class. */
    private static double scale(double[] d, double[] a, int[] row, boolean positive, int members) {
        double sum = 0;
        double sq = 0;
        for (int k = 0; k < d.length; k++) {
            double ai = a[row[k]];
            if (positive ? ai > 0 : ai < 0) {
                double m = positive ? d[k] : -d[k];
                sum += m;
                sq += m * m;
            }
        }
        int cnt = Math.max(members, 1);
        double mean = sum / cnt;
        return Math.sqrt(Math.max(sq / cnt - mean * mean, EPS));
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
