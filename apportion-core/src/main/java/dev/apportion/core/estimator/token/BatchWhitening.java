package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.kernel.BackwardScan;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;
import java.util.List;

/**
 * Token-weighted batch whitening of per-token advantages over every policy token of the batch,
 * as verl ({@code masked_whiten}) and OpenRLHF (global advantage normalisation) apply it after
 * the token-level recursions.
 *
 * <p>The estimators record, per trajectory, the count, a shift {@code c} (near the trajectory's
 * values, so that the one-pass sums do not cancel) and the shifted sums {@code Σ(a−c)},
 * {@code Σ(a−c)²} while they compute the advantages ({@link BackwardScan}, {@link TokenLanes}). The batch
 * mean and sum of squared deviations are then combined trajectory by trajectory in batch order
 * (Chan et al.'s pairwise update), so the result is the same whatever the number of threads.
 * The final {@code (a − μ)·k} is computed in float, as the references do on float32 tensors.
 */
final class BatchWhitening {
    static final ParamSpec WHITEN = ParamSpec.bool(
            "whiten", true, "whiten the advantages over all policy tokens of the batch (token-weighted mean and std)");
    static final ParamSpec WHITEN_VARIANCE = ParamSpec.choice(
            "whiten_variance",
            "unbiased",
            List.of("unbiased", "biased"),
            "variance divisor of the batch whitening: unbiased N-1 (verl masked_whiten) or biased N (OpenRLHF)");
    static final ParamSpec WHITEN_EPSILON = ParamSpec.choice(
            "whiten_epsilon",
            "add",
            List.of("add", "clamp"),
            "where whiten_eps enters: add rsqrt(var + eps) (verl) or clamp rsqrt(max(var, eps)) (OpenRLHF)");
    static final ParamSpec WHITEN_EPS =
            ParamSpec.real("whiten_eps", 1e-8, 0.0, null, "epsilon of the batch whitening (1e-8 in verl and OpenRLHF)");
    static final ParamSpec NO_STD_NORM = ParamSpec.bool(
            "no_std_norm",
            false,
            "whitening only subtracts the batch mean and does not divide by the std (OpenRLHF --algo.advantage.no_std_norm)");

    /** Resolved whitening options. */
    record Settings(
            boolean whiten, Whitening.Variance variance, Whitening.Epsilon epsilon, double eps, boolean noStdNorm) {
        static Settings of(Params p) {
            return new Settings(
                    p.getBoolean(WHITEN.name()),
                    p.getChoice(WHITEN_VARIANCE.name(), Whitening.Variance.class),
                    p.getChoice(WHITEN_EPSILON.name(), Whitening.Epsilon.class),
                    p.getDouble(WHITEN_EPS.name()),
                    p.getBoolean(NO_STD_NORM.name()));
        }
    }

    private final int[] count;
    private final double[] mean;
    private final double[] m2;

    /** Room for one record per trajectory of {@code batch}. */
    BatchWhitening(Rollouts batch) {
        int n = batch.trajectoryCount();
        count = new int[n];
        mean = new double[n];
        m2 = new double[n];
    }

    /**
     * Records trajectory {@code i}: {@code n} policy tokens with shift {@code c} and shifted sums
     * {@code s1 = Σ(a−c)}, {@code s2 = Σ(a−c)²}. Each trajectory is recorded by one thread.
     */
    void record(int i, int n, double c, double s1, double s2) {
        count[i] = n;
        if (n == 0) return;
        mean[i] = c + s1 / n;
        m2[i] = Math.max(0, s2 - s1 * s1 / n);
    }

    /**
     * Whitens {@code adv} in place on every policy token when the settings ask for it, and
     * records the batch statistics as diagnostics.
     *
     * @param adv read and written (policy tokens only; context tokens are left as they are)
     * @throws IllegalArgumentException when the unbiased variance is asked for and the batch has
     *     fewer than 2 policy tokens (verl's {@code masked_var} raises there too)
     */
    void apply(Rollouts batch, float[] adv, Settings s, Execution exec, String estimator, Credit.Builder diag) {
        apply(batch, adv, adv, s, exec, estimator, diag);
    }

    /**
     * As {@link #apply(Rollouts, float[], Settings, Execution, String, Credit.Builder)}, reading
     * the raw values from {@code src} and writing {@code dst} on every policy token (whitened, or
     * copied when the settings do not whiten); context tokens of {@code dst} are not written.
     * Saves the estimator a pass when the raw values are already in another output (REINFORCE++'s
     * returns).
     *
     * @param src read (policy tokens)
     * @param dst written (policy tokens); may be {@code src}
     */
    void apply(
            Rollouts batch,
            float[] src,
            float[] dst,
            Settings s,
            Execution exec,
            String estimator,
            Credit.Builder diag) {
        long n = 0;
        double mu = 0;
        double ss = 0;
        for (int i = 0; i < count.length; i++) {
            int ni = count[i];
            if (ni == 0) continue;
            if (n == 0) {
                n = ni;
                mu = mean[i];
                ss = m2[i];
            } else {
                long nn = n + ni;
                double d = mean[i] - mu;
                mu += d * ni / nn;
                ss += m2[i] + d * d * ((double) n * ni / nn);
                n = nn;
            }
        }
        diag.diagnostic("policy_tokens", n);
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();
        if (!s.whiten()) {
            if (src != dst) copyPolicyTokens(batch, src, dst, exec);
            return;
        }
        boolean unbiased = s.variance() == Whitening.Variance.UNBIASED;
        if (n == 0 || (unbiased && n == 1)) {
            if (!unbiased) { // nothing to whiten; OpenRLHF would produce only NaN at masked slots
                if (src != dst) copyPolicyTokens(batch, src, dst, exec);
                return;
            }
            throw new IllegalArgumentException(
                    "estimator '" + estimator + "': batch whitening with the unbiased variance"
                            + " needs at least 2 policy tokens, the batch has " + n
                            + " (set whiten=false, or whiten_variance=biased as OpenRLHF does)");
        }
        double var = unbiased ? ss / (n - 1) : ss / n;
        double denom = s.epsilon() == Whitening.Epsilon.ADD ? var + s.eps() : Math.max(var, s.eps());
        double k = s.noStdNorm() ? 1.0 : 1.0 / Math.sqrt(denom);
        diag.diagnostic("whiten_mean", mu).diagnostic("whiten_variance", var).diagnostic("whiten_scale", k);
        float muF = (float) mu;
        float kF = (float) k;
        exec.forTrajectories(batch, (c, from, to) -> {
            for (int s0 = spanOff[from], s1 = spanOff[to], sp = s0; sp < s1; sp++) {
                if (!batch.isPolicySpan(sp)) continue;
                for (int t = tok[sp], e = tok[sp + 1]; t < e; t++) dst[t] = (src[t] - muF) * kF;
            }
        });
    }

    private static void copyPolicyTokens(Rollouts batch, float[] src, float[] dst, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();
        exec.forTrajectories(batch, (c, from, to) -> {
            for (int sp = spanOff[from]; sp < spanOff[to]; sp++) {
                if (batch.isPolicySpan(sp)) System.arraycopy(src, tok[sp], dst, tok[sp], tok[sp + 1] - tok[sp]);
            }
        });
    }
}
