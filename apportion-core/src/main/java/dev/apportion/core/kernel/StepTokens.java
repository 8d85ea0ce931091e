package dev.apportion.core.kernel;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;
import java.util.Arrays;

/**
 * Per-step values laid over tokens in one pass, for estimators that write into reused
 * {@link dev.apportion.core.credit.Credit.Buffers} (arrays of unspecified contents), and the batch
 * whitening of such span-constant values computed from the steps instead of the tokens, with the
 * same numbers as {@link PaperSteps#whitenUnbiased} on the broadcast tokens.
 */
public final class StepTokens {
    private StepTokens() {}

    /**
     * Writes {@code (float) perStep[k]} on every token of step {@code k} and 0 on every other token
     * of the batch: every element of {@code out} is written, so it may hold anything before.
     *
     * @param perStep read, one per step of {@code steps}
     * @param out written, one per token
     */
    public static void write(Rollouts batch, PaperSteps steps, double[] perStep, float[] out, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int k = steps.start(i);
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    float v = batch.isPolicySpan(s) ? (float) perStep[k++] : 0f;
                    Arrays.fill(out, tokOff[s], tokOff[s + 1], v);
                }
            }
        });
    }

    /** As {@link #write(Rollouts, PaperSteps, double[], float[], Execution)} for float values. */
    public static void write(Rollouts batch, PaperSteps steps, float[] perStep, float[] out, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int k = steps.start(i);
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    float v = batch.isPolicySpan(s) ? perStep[k++] : 0f;
                    Arrays.fill(out, tokOff[s], tokOff[s + 1], v);
                }
            }
        });
    }

    /**
     * Writes {@code (float) perTurn[j]} on every token of turn {@code j} of {@code turns} and 0 on
     * every other token of the batch: every element of {@code out} is written.
     *
     * @param perTurn read, one per turn
     * @param out written, one per token
     */
    public static void write(Rollouts batch, TurnTable turns, double[] perTurn, float[] out, Execution exec) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        int size = turns.size();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int j = turns.start(i);
                for (int s = spanOff[i], e = spanOff[i + 1]; s < e; s++) {
                    float v = 0f;
                    if (j < size && turns.span(j) == s) v = (float) perTurn[j++];
                    Arrays.fill(out, tokOff[s], tokOff[s + 1], v);
                }
            }
        });
    }

    /** {@code (float) perStep[k]} for every step (a fresh array). */
    public static float[] floats(double[] perStep) {
        float[] out = new float[perStep.length];
        for (int k = 0; k < out.length; k++) out[k] = (float) perStep[k];
        return out;
    }

    /**
     * Batch whitening of step values over the tokens they cover, bit for bit what
     * {@link PaperSteps#whitenUnbiased}{@code (tokens, mask, eps)} computes on the tokens when
     * {@code tokens} holds {@code perStep[k]} on the tokens of step {@code k} and {@code mask} selects
     * the policy tokens of the trajectories not skipped: the same token-order sums (each step's run of
     * equal terms added by {@link RepeatedSum}), the same mean, unbiased variance and
     * {@code rsqrt(var + eps)}, and the same float result per token, here written back per step.
     *
     * @param perStep read and, when whitening applies, written (the whitened value of each step of a
     *     kept trajectory; the steps of skipped trajectories keep theirs)
     * @param skip trajectories left out of the statistics and of the rewrite, or null for none
     * @return the statistics, or null when fewer than two tokens are selected (values unchanged)
     */
    public static Whitening.Stats whitenUnbiased(
            Rollouts batch, PaperSteps steps, float[] perStep, boolean[] skip, double eps) {
        int[] tokOff = batch.spanTokenOffsets();
        int n = batch.trajectoryCount();
        long count = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (skip != null && skip[i]) continue;
            for (int k = steps.start(i), e = steps.end(i); k < e; k++) {
                int s = steps.span(k);
                int len = tokOff[s + 1] - tokOff[s];
                count += len;
                sum = RepeatedSum.add(sum, perStep[k], len);
            }
        }
        if (count < 2) return null;
        double mean = sum / count;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            if (skip != null && skip[i]) continue;
            for (int k = steps.start(i), e = steps.end(i); k < e; k++) {
                int s = steps.span(k);
                double d = perStep[k] - mean;
                ss = RepeatedSum.add(ss, d * d, tokOff[s + 1] - tokOff[s]);
            }
        }
        double var = ss / (count - 1);
        double scale = 1.0 / Math.sqrt(var + eps);
        for (int i = 0; i < n; i++) {
            if (skip != null && skip[i]) continue;
            for (int k = steps.start(i), e = steps.end(i); k < e; k++)
                perStep[k] = (float) ((perStep[k] - mean) * scale);
        }
        return new Whitening.Stats(count, mean, var, scale);
    }
}
