package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * {@link Rollouts#scores()} bit for bit, with the per-trajectory sums of the token rewards taken four
 * trajectories at a time.
 *
 * <p>Each trajectory's token-reward sum is a sequential chain of double additions in token order
 * (the order that fixes its bits), so one trajectory alone runs at the latency of an addition per
 * token (≈ 4 cycles), several times the cost of reading the rewards. The chains of different
 * trajectories are independent: this kernel advances four of them in one loop over their common
 * length (each lane in its own local, the same additions in the same order), then finishes each
 * lane's remaining tokens alone. Outcomes, outcome components and span rewards are added exactly as
 * {@link Rollouts#scores()} adds them. {@code TrajectoryScoresTest} compares the two bit for bit.
 */
public final class TrajectoryScores {
    private TrajectoryScores() {}

    /** {@link Rollouts#scores()} of {@code batch}: the same values, bit for bit. */
    public static double[] of(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        float[] outcome = batch.outcome();
        if (outcome != null) {
            for (int i = 0; i < n; i++) if (!Float.isNaN(outcome[i])) out[i] += outcome[i];
        } else {
            Map<String, float[]> components = batch.outcomeComponents();
            for (float[] c : components.values()) {
                for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) out[i] += c[i];
            }
        }
        float[] spanReward = batch.spanReward();
        if (spanReward != null) {
            int[] spanOff = batch.trajectorySpanOffsets();
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                    if (!Float.isNaN(spanReward[s])) sum += spanReward[s];
                }
                out[i] += sum;
            }
        }
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        if (r != null) addTokenSums(r, batch.trajectoryTokenOffsets(), out);
        return out;
    }

    /**
     * {@code out[i] += Σ r[t]} over {@code t ∈ [off[i], off[i+1])}, each sum a double chain from 0 in
     * token order (as {@code double sum = 0; for (t …) sum += r[t]; out[i] += sum;}), four trajectories
     * interleaved.
     */
    static void addTokenSums(float[] r, int[] off, double[] out) {
        int n = out.length;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int a0 = off[i];
            int a1 = off[i + 1];
            int a2 = off[i + 2];
            int a3 = off[i + 3];
            int e0 = a1;
            int e1 = a2;
            int e2 = a3;
            int e3 = off[i + 4];
            int common = Math.min(Math.min(e0 - a0, e1 - a1), Math.min(e2 - a2, e3 - a3));
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int j = 0; j < common; j++) {
                s0 += r[a0 + j];
                s1 += r[a1 + j];
                s2 += r[a2 + j];
                s3 += r[a3 + j];
            }
            out[i] += finish(r, a0 + common, e0, s0);
            out[i + 1] += finish(r, a1 + common, e1, s1);
            out[i + 2] += finish(r, a2 + common, e2, s2);
            out[i + 3] += finish(r, a3 + common, e3, s3);
        }
        for (; i < n; i++) out[i] += finish(r, off[i], off[i + 1], 0);
    }

    /** {@code s} after adding {@code r[from..to)} one by one. */
    private static double finish(float[] r, int from, int to, double s) {
        for (int t = from; t < to; t++) s += r[t];
        return s;
    }
}
