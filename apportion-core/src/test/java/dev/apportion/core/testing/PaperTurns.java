package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.rollout.Rollouts;

/** Reading per-turn values back from per-token credit, for the worked examples. */
public final class PaperTurns {
    private PaperTurns() {}

    /** Value of turn {@code j} (the {@code j}-th non-empty policy span) of trajectory {@code i}, read at its last token. */
    public static double turn(Rollouts batch, float[] perToken, int i, int j) {
        int k = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s)) {
                if (k++ == j) return perToken[batch.spanTokenEnd(s) - 1];
            }
        }
        throw new IllegalArgumentException("trajectory " + i + " has no turn " + j);
    }

    /** Asserts the turns of trajectory {@code i} carry {@code want} (in order) within {@code tol}. */
    public static void assertTurns(Rollouts batch, float[] perToken, int i, double tol, double... want) {
        for (int j = 0; j < want.length; j++) {
            assertEquals(want[j], turn(batch, perToken, i, j), tol, "trajectory " + i + " turn " + j);
        }
    }

    /** Asserts every token of a policy span carries the same value and every context token 0. */
    public static void assertTurnConstant(Rollouts batch, float[] perToken) {
        for (int s = 0; s < batch.spanCount(); s++) {
            int from = batch.spanTokenStart(s);
            for (int t = from; t < batch.spanTokenEnd(s); t++) {
                float want = batch.isPolicySpan(s) ? perToken[from] : 0f;
                if (perToken[t] != want) {
                    throw new AssertionError("token " + t + " of span " + s + ": " + perToken[t] + " vs " + want);
                }
            }
        }
    }
}
