package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * Per-token output arrays of this package's estimators: the caller's reusable
 * {@link Credit.Buffers} when given (contents unspecified: the estimator writes every token),
 * else fresh arrays.
 */
final class Outputs {
    private Outputs() {}

    /** The advantages array: {@code buffers.advantages(n)}, or a new array when {@code buffers} is null. */
    static float[] advantages(Credit.Buffers buffers, int n) {
        return buffers == null ? new float[n] : buffers.advantages(n);
    }

    /**
     * A second per-token array (returns, or the loss weights of an estimator without returns):
     * {@code buffers.returns(n)}, or a new array when {@code buffers} is null.
     */
    static float[] second(Credit.Buffers buffers, int n) {
        return buffers == null ? new float[n] : buffers.returns(n);
    }

    /**
     * Writes {@code perSpan[s]} on every token of span {@code s} and 0 on tokens outside every
     * span, one ordered pass over the batch.
     *
     * @param out written, every token
     * @return {@code out}
     */
    static float[] spanBroadcast(Rollouts batch, float[] perSpan, float[] out) {
        int[] spanTok = batch.spanTokenOffsets();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int t = batch.tokenStart(i);
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                Arrays.fill(out, t, spanTok[s], 0f);
                t = spanTok[s + 1];
                Arrays.fill(out, spanTok[s], t, perSpan[s]);
            }
            Arrays.fill(out, t, batch.tokenEnd(i), 0f);
        }
        return out;
    }
}
