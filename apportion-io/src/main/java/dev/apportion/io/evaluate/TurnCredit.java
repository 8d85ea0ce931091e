package dev.apportion.io.evaluate;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;

/**
 * The credit of each turn (policy span), as {@code evaluate}, {@code compare} and {@code doctor}
 * read it: the estimator's span advantage when it reports one per span, otherwise the mean
 * token advantage over the span's tokens. Context spans and policy spans without tokens have no
 * turn credit (NaN). A trajectory-level estimator therefore gives every turn of a trajectory the
 * same credit, which the metrics then count as ties.
 */
public final class TurnCredit {
    private TurnCredit() {}

    /**
     * @return one value per span of the batch (global span index), NaN where the span is not a
     *     turn with tokens
     */
    public static double[] of(Rollouts batch, Credit credit) {
        int spans = batch.spanCount();
        double[] out = new double[spans];
        float[] span = credit.spanAdvantages();
        float[] adv = credit.advantages();
        for (int s = 0; s < spans; s++) {
            int a = batch.spanTokenStart(s);
            int e = batch.spanTokenEnd(s);
            if (!batch.isPolicySpan(s) || e == a) {
                out[s] = Double.NaN;
            } else if (span != null && span.length == spans) {
                out[s] = span[s];
            } else {
                double sum = 0;
                for (int t = a; t < e; t++) sum += adv[t];
                out[s] = sum / (e - a);
            }
        }
        return out;
    }

    /** Global span indices of the policy spans of trajectory {@code i}, in order (the turns the labels count). */
    public static int[] policySpans(Rollouts batch, int i) {
        int n = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) n++;
        int[] out = new int[n];
        n = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) out[n++] = s;
        return out;
    }
}
