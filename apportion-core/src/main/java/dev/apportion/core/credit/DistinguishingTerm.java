package dev.apportion.core.credit;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cheap check for a silent degeneration: an estimator whose advantage is a baseline term plus
 * a <em>distinguishing</em> term (GiGPO's anchor-state step advantage, a process-reward term,
 * a counterfactual correction) reduces to a simpler method when that term is identically zero
 * on a batch — e.g. GiGPO becomes GRPO-like when no step return differs within an anchor-state
 * group. Estimators keep the largest |term| they computed (no extra pass, no allocation),
 * record the diagnostic {@code <term>_all_zero} (1 or 0) and call {@link #report}, which
 * writes one line to stderr the first time a given estimator/term pair is degenerate in this
 * process (once, so a benchmark with thousands of batches is not flooded).
 */
public final class DistinguishingTerm {
    /** |term| at or below this counts as zero (float rounding of exact zeros). */
    public static final double TOLERANCE = 1e-9;

    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private DistinguishingTerm() {}

    /** The diagnostic name for {@code term}. */
    public static String diagnostic(String term) {
        return term + "_all_zero";
    }

    /**
     * Reports whether the term was identically zero on the batch.
     *
     * @param estimator estimator id, for the message
     * @param term name of the term, e.g. {@code step_term}
     * @param maxAbs largest |term| over the batch
     * @param weight the weight the estimator gives the term (no warning when it is 0: the user turned it off)
     * @param why a short hint about the likely cause, for the message
     * @return 1 when the term was identically zero, else 0 (the diagnostic value)
     */
    public static double report(String estimator, String term, double maxAbs, double weight, String why) {
        boolean zero = !(maxAbs > TOLERANCE);
        if (zero && weight != 0 && WARNED.add(estimator + "\u0000" + term)) {
            System.err.println("apportion: warning: estimator '" + estimator + "': its " + term
                    + " is identically zero on this batch, so it gives the same credit as without it (" + why
                    + "); further batches are not reported");
        }
        return zero ? 1.0 : 0.0;
    }
}
