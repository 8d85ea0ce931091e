package dev.apportion.core.stats;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;

/** Laying per-trajectory or per-span values over tokens. */
public final class Broadcast {
    private Broadcast() {}

    /**
     * Writes {@code perTrajectory[i]} on every policy token of trajectory {@code i} and 0 on
     * its context tokens.
     *
     * @param perTrajectory read, one per trajectory
     * @param out written, one per token (may hold garbage before)
     */
    public static void trajectories(Rollouts batch, double[] perTrajectory, float[] out, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                float v = (float) perTrajectory[i];
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    java.util.Arrays.fill(out, tokOff[s], tokOff[s + 1], batch.isPolicySpan(s) ? v : 0f);
                }
            }
        });
    }

    /**
     * Writes {@code perSpan[s]} on every token of policy span {@code s} and 0 on context spans.
     *
     * @param perSpan read, one per span
     * @param out written, one per token
     */
    public static void spans(Rollouts batch, double[] perSpan, float[] out) {
        int[] tokOff = batch.spanTokenOffsets();
        for (int s = 0; s < batch.spanCount(); s++) {
            java.util.Arrays.fill(out, tokOff[s], tokOff[s + 1], batch.isPolicySpan(s) ? (float) perSpan[s] : 0f);
        }
    }

    /** Sets every context token of {@code out} to 0. */
    public static void zeroContext(Rollouts batch, float[] out) {
        byte[] m = batch.mask();
        for (int t = 0; t < out.length; t++) if (m[t] == 0) out[t] = 0f;
    }
}
