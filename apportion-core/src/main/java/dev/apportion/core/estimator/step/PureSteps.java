package dev.apportion.core.estimator.step;

import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;

/**
 * Reasoning steps and their PRM scores for the PURE estimators ({@link PureRewardEstimator},
 * {@link PureEstimator}).
 *
 * <p>A <b>step</b> is a policy span with at least one token; its last token is the step end
 * (PURE's {@code "\n\n"} separator, or the EOS / truncation point for the last step). Policy
 * spans without tokens are not steps. The PRM's verdict on a step is read from span signals:
 * <ul>
 *   <li>{@code prm_logit0} and {@code prm_logit1}: the 2-class logits of a discriminative PRM
 *       (class 1 = the step is correct); the step score is
 *       {@code p1 − p0 = tanh((l1 − l0)/2)} with {@code p = softmax(l0, l1)};</li>
 *   <li>{@code prm}: the PRM's probability that the step is correct; the score is
 *       {@code 2·prm − 1} (the same {@code p1 − p0}).</li>
 * </ul>
 * Step scores lie in [−1, 1].
 */
public final class PureSteps {
    public static final String LOGIT0 = "prm_logit0";
    public static final String LOGIT1 = "prm_logit1";
    static final String PRM = "prm";

    /** Values of the {@code step_score} parameter (lower-case names on the wire). */
    enum Source {
        AUTO,
        LOGITS,
        PROBABILITY
    }

    /**
     * Values of the {@code credit_form} parameter (lower-case names on the wire): PURE's min-form
     * (soft-min or uniform weights) or the summation form it argues against.
     */
    enum CreditForm {
        MIN,
        SUM
    }

    static final String FORM_HELP = "min: PURE's min-form step rewards w_k·r_k (soft-min weights, or 1/K with "
            + "disable_weighted_reward); sum: the summation form r'_k = r_k, whose return is the cumulative sum of the "
            + "step scores (PURE verl branch credit_assignment 'gamma-decay' with gamma = 1; ignores temperature and "
            + "disable_weighted_reward)";

    private PureSteps() {}

    /** Where step scores come from, resolved against a batch. */
    static final class Scores {
        private final float[] l0;
        private final float[] l1;
        private final float[] p;
        private final String estimator;

        private Scores(float[] l0, float[] l1, float[] p, String estimator) {
            this.l0 = l0;
            this.l1 = l1;
            this.p = p;
            this.estimator = estimator;
        }

        /**
         * Resolves the source: {@code logits} needs both logit signals, {@code probability}
         * needs {@code prm}, {@code auto} takes the logits when the batch has both, else
         * {@code prm}.
         */
        static Scores of(Rollouts batch, Source source, String estimator) {
            float[] l0 = batch.spanSignal(LOGIT0);
            float[] l1 = batch.spanSignal(LOGIT1);
            float[] p = batch.spanSignal(PRM);
            boolean logits = source == Source.LOGITS || (source == Source.AUTO && l0 != null && l1 != null);
            if (logits) {
                if (l0 == null || l1 == null) {
                    throw new RolloutException(
                            "estimator '" + estimator + "' needs the span signals '" + LOGIT0 + "' and '"
                                    + LOGIT1
                                    + "' (the process reward model's 2-class logits per step), which the batch lacks (spans[].signals."
                                    + (l0 == null ? LOGIT0 : LOGIT1) + ")",
                            -1,
                            "spans.signals." + (l0 == null ? LOGIT0 : LOGIT1));
                }
                return new Scores(l0, l1, null, estimator);
            }
            if (p == null) {
                throw new RolloutException(
                        "estimator '" + estimator + "' needs a process reward per step: span signals '"
                                + LOGIT0 + "'/'" + LOGIT1 + "' (2-class PRM logits) or '" + PRM
                                + "' (PRM probability that the step is correct); the batch has neither (spans[].signals)",
                        -1,
                        "spans.signals." + PRM);
            }
            return new Scores(null, null, p, estimator);
        }

        /** Score of step span {@code s} of trajectory {@code i}, in [−1, 1]. */
        double score(Rollouts batch, int i, int s) {
            if (p == null) {
                float a = l0[s];
                float b = l1[s];
                if (Float.isNaN(a) || Float.isNaN(b)) throw missing(batch, i, s, Float.isNaN(a) ? LOGIT0 : LOGIT1);
                return Math.tanh(0.5 * ((double) b - a));
            }
            float v = p[s];
            if (Float.isNaN(v)) throw missing(batch, i, s, PRM);
            if (v < 0f || v > 1f) {
                throw new RolloutException(
                        batch.describe(i) + ": spans[" + (s - batch.spanStart(i)) + "].signals." + PRM
                                + " must be a probability in [0, 1], got " + v,
                        i,
                        "spans[" + (s - batch.spanStart(i)) + "].signals." + PRM);
            }
            return 2.0 * v - 1.0;
        }

        private RolloutException missing(Rollouts batch, int i, int s, String name) {
            String f = "spans[" + (s - batch.spanStart(i)) + "].signals." + name;
            return new RolloutException(
                    batch.describe(i) + ": step span " + (s - batch.spanStart(i)) + " has no " + f
                            + ", which estimator '" + estimator + "' needs on every step (policy span)",
                    i,
                    f);
        }
    }

    /** True when span {@code s} is a step: a policy span with at least one token. */
    static boolean isStep(Rollouts batch, int s) {
        return batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s);
    }

    /**
     * The summation form PURE contrasts with its min-form: every step keeps its score,
     * {@code out[j] = r[j]}, so the return of step k is {@code Σ_{j ≥ k} r_j} (the paper's sum-form
     * value with γ = 1; PURE's verl branch {@code credit_assignment: gamma-decay}). Returns the sum.
     *
     * @param r read
     * @param out written, {@code out[0..k)}
     */
    static double sumForm(double[] r, int k, double[] out) {
        double sum = 0;
        for (int j = 0; j < k; j++) {
            out[j] = r[j];
            sum += r[j];
        }
        return sum;
    }

    /**
     * PURE's soft-min transform of the step scores {@code r[0..k)}: {@code out[j] = w_j·r_j}
     * with {@code w = softmax(−r/T)} ({@code weighted}) or {@code w_j = 1/k}; returns their sum,
     * the smooth minimum of the scores.
     *
     * @param r read
     * @param out written, {@code out[0..k)}
     */
    static double softMin(double[] r, int k, double temperature, boolean weighted, double[] out) {
        if (k == 0) return 0;
        double sum = 0;
        if (!weighted) {
            for (int j = 0; j < k; j++) {
                out[j] = r[j] / k;
                sum += out[j];
            }
            return sum;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) max = Math.max(max, -r[j] / temperature);
        double z = 0;
        for (int j = 0; j < k; j++) {
            out[j] = Math.exp(-r[j] / temperature - max);
            z += out[j];
        }
        for (int j = 0; j < k; j++) {
            out[j] = out[j] / z * r[j];
            sum += out[j];
        }
        return sum;
    }
}
