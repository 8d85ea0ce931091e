package dev.apportion.core.estimator.turn;

import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;

/**
 * The steps of R³L's step-wise variants on apportion's model (see {@link R3lEstimator}): with
 * the span signal {@code step}, a step is a maximal run of consecutive spans with the same
 * value (every span must carry one); without it, each policy span opens a step, context spans
 * belong to the step before them and leading context to the first step. A trajectory without
 * spans has no step.
 */
final class R3lSteps {
    private R3lSteps() {}

    /** Receives one step: trajectory {@code i}, spans {@code [firstSpan, endSpan)}. */
    @FunctionalInterface
    interface StepBody {
        void step(int i, int firstSpan, int endSpan);
    }

    /** Calls {@code body} for every step of every trajectory, in batch order. */
    static void forEachStep(Rollouts batch, StepBody body) {
        float[] step = batch.spanSignal(R3lEstimator.STEP);
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int s0 = batch.spanStart(i);
            int s1 = batch.spanEnd(i);
            if (s0 == s1) continue;
            int first = s0;
            boolean seenPolicy = false;
            for (int s = s0; s < s1; s++) {
                boolean opens;
                if (step != null) {
                    if (Float.isNaN(step[s])) {
                        throw new RolloutException(
                                batch.describe(i) + ": spans[" + (s - s0) + "].signals." + R3lEstimator.STEP
                                        + " is missing; when the batch numbers steps, every span needs its step",
                                i,
                                "spans[" + (s - s0) + "].signals." + R3lEstimator.STEP);
                    }
                    opens = s > s0 && Float.compare(step[s], step[s - 1]) != 0;
                } else {
                    opens = batch.isPolicySpan(s) && seenPolicy;
                    if (batch.isPolicySpan(s)) seenPolicy = true;
                }
                if (opens) {
                    body.step(i, first, s);
                    first = s;
                }
            }
            body.step(i, first, s1);
        }
    }

    /** Number of steps per trajectory, at least 1. */
    static int[] count(Rollouts batch) {
        int[] out = new int[batch.trajectoryCount()];
        forEachStep(batch, (i, a, b) -> out[i]++);
        for (int i = 0; i < out.length; i++) if (out[i] == 0) out[i] = 1;
        return out;
    }
}
