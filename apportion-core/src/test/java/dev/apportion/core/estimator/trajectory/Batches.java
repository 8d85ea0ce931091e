package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.Map;

/** Small hand-made batches and assertions for the worked examples. */
final class Batches {
    private Batches() {}

    /**
     * One trajectory per entry: a 2-token context prompt, then {@code policy[i]} policy tokens,
     * then a 1-token context tail; outcome {@code outcome[i]}.
     */
    static Rollouts outcomes(String[] groups, double[] outcome, int[] policy) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < groups.length; i++) {
            b.trajectory(groups[i], "t" + i)
                    .outcome(outcome[i])
                    .span(Role.CONTEXT, 2)
                    .span(Role.POLICY, policy[i])
                    .span(Role.CONTEXT, 1);
        }
        return b.build();
    }

    /** Like {@link #outcomes(String[], double[], int[])} with 3 policy tokens each. */
    static Rollouts outcomes(String[] groups, double... outcome) {
        int[] len = new int[groups.length];
        java.util.Arrays.fill(len, 3);
        return outcomes(groups, outcome, len);
    }

    static String[] groups(String... g) {
        return g;
    }

    static Credit run(Estimator e, Rollouts b, String preset, Map<String, ?> overrides) {
        return e.assign(b, Params.resolve(e.descriptor(), preset, overrides));
    }

    /** The value on trajectory {@code i}'s policy tokens, checking they all carry the same value and context carries 0. */
    static double valueOf(Rollouts b, float[] adv, int i) {
        Float v = null;
        byte[] m = b.mask();
        for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
            if (m[t] == 0) {
                assertEquals(0f, adv[t], 0f, "context token " + t + " of trajectory " + i);
            } else if (v == null) {
                v = adv[t];
            } else if (v != adv[t]) {
                fail("trajectory " + i + " has different values on its policy tokens: " + v + " and " + adv[t]);
            }
        }
        return v == null ? 0.0 : v;
    }

    static void assertPerTrajectory(Rollouts b, Credit c, double tol, double... want) {
        assertEquals(b.trajectoryCount(), want.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], valueOf(b, c.advantages(), i), tol, "trajectory " + i);
        }
    }
}
