package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.util.Map;

/** Small helpers shared by this package's tests. */
final class TokenTesting {
    private TokenTesting() {}

    static Params params(Estimator e, String preset, Map<String, ?> overrides) {
        return Params.resolve(e.descriptor(), preset, overrides);
    }

    /** Asserts {@code got[from + k] ≈ want[k]} for every k. */
    static void assertValues(double[] want, float[] got, int from, String what) {
        assertValues(want, got, from, 1e-5, what);
    }

    /** As {@link #assertValues(double[], float[], int, String)} with absolute tolerance {@code tol}. */
    static void assertValues(double[] want, float[] got, int from, double tol, String what) {
        for (int k = 0; k < want.length; k++) {
            assertEquals(want[k], got[from + k], tol + 1e-5 * Math.abs(want[k]), what + " at token " + (from + k));
        }
    }

    /**
     * A batch big enough that every parallel loop splits into two chunks; the credit with two
     * threads must be bit-identical to the sequential one (fixed combination order).
     */
    static void assertParallelBitIdentical(Estimator e, Params p) {
        Rollouts b = RandomBatches.build(
                RandomBatches.trajectories(11, new RandomBatches.Options(80, 1, 6, false, true, true, true)));
        Credit seq = e.assign(b, p, Execution.sequential());
        try (Execution two = Execution.threads(2)) {
            Credit par = e.assign(b, p, two);
            assertArrayEquals(seq.advantages(), par.advantages(), p + ": advantages, 2 threads vs 1");
            assertArrayEquals(seq.returns(), par.returns(), p + ": returns, 2 threads vs 1");
        }
    }
}
