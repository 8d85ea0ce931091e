package dev.apportion.core.kernel;

import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * Policy spans as rows: their global indices in batch order, the trajectory of every span, and
 * each row's turn index (the {@code turn_index} span signal where given, else the span's position
 * among its trajectory's policy spans). The row layout of the agentic references (VPR, A3),
 * which keep empty policy spans as rows; {@link TurnTable} is the layout without them.
 */
public final class PolicySpans {
    /** Span signal: the turn's index in its episode. */
    public static final String TURN_INDEX = "turn_index";

    private PolicySpans() {}

    /** Global indices of the batch's policy spans, in batch order. */
    public static int[] indices(Rollouts batch) {
        int n = 0;
        for (int s = 0; s < batch.spanCount(); s++) if (batch.isPolicySpan(s)) n++;
        int[] out = new int[n];
        int k = 0;
        for (int s = 0; s < batch.spanCount(); s++) if (batch.isPolicySpan(s)) out[k++] = s;
        return out;
    }

    /** Trajectory of each span (length spanCount). */
    public static int[] spanTrajectory(Rollouts batch) {
        int[] out = new int[batch.spanCount()];
        for (int i = 0; i < batch.trajectoryCount(); i++) Arrays.fill(out, batch.spanStart(i), batch.spanEnd(i), i);
        return out;
    }

    /**
     * Turn index of each row: span signal {@code turn_index} (must be a whole number where
     * given), or the span's position among its trajectory's policy spans.
     */
    public static int[] turnIndices(Rollouts batch, int[] rowSpan) {
        float[] sig = batch.spanSignal(TURN_INDEX);
        int[] trajOf = spanTrajectory(batch);
        int[] out = new int[rowSpan.length];
        int prevTraj = -1;
        int ordinal = 0;
        for (int k = 0; k < rowSpan.length; k++) {
            int s = rowSpan[k];
            int i = trajOf[s];
            if (i != prevTraj) {
                prevTraj = i;
                ordinal = 0;
            }
            if (sig != null && !Float.isNaN(sig[s])) {
                float v = sig[s];
                if (v != Math.rint(v)) {
                    throw new RolloutException(
                            batch.describe(i) + ": spans[" + (s - batch.spanStart(i)) + "].signals." + TURN_INDEX
                                    + " must be a whole number, got " + v,
                            i,
                            "spans[" + (s - batch.spanStart(i)) + "].signals." + TURN_INDEX);
                }
                out[k] = (int) v;
            } else {
                out[k] = ordinal;
            }
            ordinal++;
        }
        return out;
    }

    /** Token count of the longest policy span of the batch (0 when there is none). */
    public static int maxTokens(Rollouts batch) {
        int[] tok = batch.spanTokenOffsets();
        int m = 0;
        for (int s = 0; s < batch.spanCount(); s++) {
            if (batch.isPolicySpan(s)) m = Math.max(m, tok[s + 1] - tok[s]);
        }
        return m;
    }
}
