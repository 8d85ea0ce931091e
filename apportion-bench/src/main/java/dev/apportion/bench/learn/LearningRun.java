package dev.apportion.bench.learn;

/**
 * One learning run: the exact success probability of the policy before training and after
 * every update, plus statistics of the sampled training episodes (for bsuite's scores).
 *
 * @param success exact success probability at evaluation points 0..updates (read-only)
 * @param episodesPerUpdate episodes consumed by each update
 * @param optimalSuccess best achievable success probability
 * @param trainSuccessRate share of sampled training episodes that succeeded
 * @param trainAverageReturn mean total return of the sampled training episodes
 * @param threshold success probability that counts as solved (threshold × optimum)
 * @param expectedReturn exact expected total return at the same evaluation points (read-only)
 * @param updatesRun updates actually made: fewer than the points when extra rollouts used up the
 *        episode budget (the curve then holds the last policy's value to the end of the budget)
 */
public record LearningRun(
        double[] success,
        int episodesPerUpdate,
        double optimalSuccess,
        double trainSuccessRate,
        double trainAverageReturn,
        double threshold,
        double[] expectedReturn,
        int updatesRun) {
    /** Mean exact expected return over the evaluation points after each update (the oracle's own target). */
    public double returnAuc() {
        double sum = 0;
        for (int u = 1; u < expectedReturn.length; u++) sum += expectedReturn[u];
        return sum / (expectedReturn.length - 1);
    }

    /** Episodes consumed before reaching the threshold (censored at the budget), and whether it was reached. */
    public double episodesToThreshold() {
        for (int u = 0; u < success.length; u++) if (success[u] >= threshold) return (double) u * episodesPerUpdate;
        return (double) (success.length - 1) * episodesPerUpdate;
    }

    public boolean reached() {
        for (double s : success) if (s >= threshold) return true;
        return false;
    }

    /** Mean exact success probability over the evaluation points after each update. */
    public double auc() {
        double sum = 0;
        for (int u = 1; u < success.length; u++) sum += success[u];
        return sum / (success.length - 1);
    }

    public double finalSuccess() {
        return success[success.length - 1];
    }
}
