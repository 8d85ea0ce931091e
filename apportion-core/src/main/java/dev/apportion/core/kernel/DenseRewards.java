package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * {@link Rollouts#denseTokenRewards()} without a fresh token array: the same float values,
 * computed in the same order of additions (token reward, then the span reward on the span's last
 * token, then the outcome on the trajectory's last policy token), either into an array the
 * caller reuses or only at the tokens the caller reads.
 */
public final class DenseRewards {
    private DenseRewards() {}

    /**
     * Writes {@code batch.denseTokenRewards()} into {@code out} (every token is overwritten).
     *
     * @param out written, one per token
     * @return {@code out}
     */
    public static float[] into(Rollouts batch, float[] out) {
        int n = batch.tokenCount();
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        if (r == null) java.util.Arrays.fill(out, 0, n, 0f);
        else System.arraycopy(r, 0, out, 0, n);
        float[] spanReward = batch.spanReward();
        int[] spanTok = batch.spanTokenOffsets();
        if (spanReward != null) {
            for (int s = 0; s < spanReward.length; s++) {
                if (!Float.isNaN(spanReward[s]) && spanTok[s + 1] > spanTok[s])
                    out[spanTok[s + 1] - 1] += spanReward[s];
            }
        }
        double[] outcome = outcomes(batch);
        if (outcome != null) {
            for (int i = 0; i < outcome.length; i++) {
                int last = batch.lastPolicyToken(i);
                if (last >= 0) out[last] += (float) outcome[i];
            }
        }
        return out;
    }

    /**
     * {@code batch.denseTokenRewards()[tokens[j]]} for every {@code j}, where token
     * {@code tokens[j]} belongs to trajectory {@code trajectory[j]}.
     *
     * @return a fresh array, one per entry of {@code tokens}
     */
    public static double[] at(Rollouts batch, int[] tokens, int[] trajectory) {
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        float[] spanReward = batch.spanReward();
        int[] spanTok = batch.spanTokenOffsets();
        double[] outcome = outcomes(batch);
        double[] out = new double[tokens.length];
        int lastI = -1;
        int lastTok = -1;
        for (int j = 0; j < tokens.length; j++) {
            int t = tokens[j];
            int i = trajectory[j];
            float v = r == null ? 0f : r[t];
            if (spanReward != null) {
                int s = spanContaining(spanTok, batch.spanStart(i), batch.spanEnd(i), t);
                if (s >= 0 && spanTok[s + 1] == t + 1 && !Float.isNaN(spanReward[s])) v += spanReward[s];
            }
            if (outcome != null) {
                if (i != lastI) {
                    lastI = i;
                    lastTok = batch.lastPolicyToken(i);
                }
                if (t == lastTok) v += (float) outcome[i];
            }
            out[j] = v;
        }
        return out;
    }

    /** The non-empty span of {@code [from, to)} holding token {@code t}, or -1. */
    private static int spanContaining(int[] spanTok, int from, int to, int t) {
        int lo = from;
        int hi = to - 1;
        int found = -1;
        while (lo <= hi) { // last span whose first token is <= t
            int mid = (lo + hi) >>> 1;
            if (spanTok[mid] <= t) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && t < spanTok[found + 1] ? found : -1;
    }

    /** The outcome term of every trajectory as {@link Rollouts#denseTokenRewards()} adds it, or null when none. */
    private static double[] outcomes(Rollouts batch) {
        float[] outcome = batch.outcome();
        Map<String, float[]> comps = batch.outcomeComponents();
        if (outcome == null && comps.isEmpty()) return null;
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        if (outcome != null) {
            for (int i = 0; i < n; i++) if (!Float.isNaN(outcome[i])) out[i] = outcome[i];
        } else {
            for (float[] c : comps.values()) {
                for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) out[i] += c[i];
            }
        }
        return out;
    }
}
