package dev.apportion.core.estimator.turn;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;

/** Small hand-made multi-turn batches for the worked examples of this package's tests. */
final class TurnTestBatches {
    private TurnTestBatches() {}

    /**
     * Adds a trajectory: one context token (the prompt), then per turn a policy span of
     * {@code turnTokens} tokens whose last token carries {@code turnRewards[j]} as token reward,
     * followed by a one-token context span (the observation, or padding after the last turn).
     */
    static RolloutsBuilder turns(RolloutsBuilder b, String group, String id, int turnTokens, double... turnRewards) {
        b.trajectory(group, id).span(Role.CONTEXT, 1);
        int n = 1 + turnRewards.length * (turnTokens + 1);
        float[] r = new float[n];
        int t = 1;
        for (double reward : turnRewards) {
            b.span(Role.POLICY, turnTokens).span(Role.CONTEXT, 1);
            t += turnTokens;
            r[t - 1] = (float) reward;
            t += 1;
        }
        return b.tokenSignal(Rollouts.REWARD, r);
    }

    /** The advantage of turn {@code j} of trajectory {@code i} (read at the turn's last token). */
    static float turnValue(Rollouts batch, float[] perToken, int i, int j) {
        int k = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s)) {
                if (k++ == j) return perToken[batch.spanTokenEnd(s) - 1];
            }
        }
        throw new IllegalArgumentException("trajectory " + i + " has no turn " + j);
    }

    /** Asserts every policy token of each turn carries the same value and context tokens 0. */
    static void assertTurnConstant(Rollouts batch, float[] perToken) {
        for (int s = 0; s < batch.spanCount(); s++) {
            int from = batch.spanTokenStart(s);
            for (int t = from; t < batch.spanTokenEnd(s); t++) {
                float want = batch.isPolicySpan(s) ? perToken[from] : 0f;
                if (perToken[t] != want)
                    throw new AssertionError("token " + t + " of span " + s + ": " + perToken[t] + " vs " + want);
            }
        }
    }
}
