package dev.apportion.core.stats;

import java.util.Locale;

/**
 * Per-token KL estimates between the policy and a reference model, as the frameworks put a
 * KL penalty into the token rewards.
 *
 * <p>With {@code d = logprob − ref_logprob}: {@code k1 = d}; {@code k2 = d²/2};
 * {@code k3 = exp(−d) − 1 + d} (Schulman's low-variance estimator); {@code abs = |d|}.
 * Sources: verl {@code kl_penalty_forward} (b178a3c; k3 clamps the log-ratio to ±20 and the
 * result to ±10) and OpenRLHF {@code compute_approx_kl} (v0.11.0; the result is clamped to
 * ±10 by {@code compute_reward}).
 */
public final class KlPenalty {
    private KlPenalty() {}

    /** KL estimator. */
    public enum Kind {
        K1,
        K2,
        K3,
        ABS;

        public static Kind parse(String s) {
            switch (s.toLowerCase(Locale.ROOT)) {
                case "k1":
                case "kl":
                    return K1;
                case "k2":
                case "mse":
                    return K2;
                case "k3":
                case "low_var_kl":
                    return K3;
                case "abs":
                    return ABS;
                default:
                    throw new IllegalArgumentException("unknown KL estimator '" + s + "' (k1, k2, k3, abs)");
            }
        }
    }

    /** The KL estimate of one token, before any clamp. */
    public static double estimate(Kind kind, double logprob, double refLogprob) {
        double d = logprob - refLogprob;
        switch (kind) {
            case K1:
                return d;
            case K2:
                return 0.5 * d * d;
            case K3:
                return Math.exp(-d) - 1 + d;
            case ABS:
            default:
                return Math.abs(d);
        }
    }

    /**
     * Writes {@code out[t] += −coef · clamp(KL_t, −clamp, clamp)} for every token {@code t}
     * with {@code mask[t] != 0}.
     *
     * @param logprob read
     * @param refLogprob read
     * @param mask read
     * @param out read and written
     * @param clamp absolute bound on each KL estimate (10 in OpenRLHF); {@code Double.POSITIVE_INFINITY} for none
     */
    public static void addPenalty(
            Kind kind, double coef, double clamp, float[] logprob, float[] refLogprob, byte[] mask, float[] out) {
        if (coef == 0) return;
        for (int t = 0; t < out.length; t++) {
            if (mask[t] == 0) continue;
            double kl = estimate(kind, logprob[t], refLogprob[t]);
            kl = Math.max(-clamp, Math.min(clamp, kl));
            out[t] = (float) (out[t] - coef * kl);
        }
    }
}
