package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TrajectoryScores#of} is {@link Rollouts#scores()} bit for bit: outcomes or outcome components
 * (with missing values), span rewards (with missing values), token rewards of mixed signs and
 * magnitudes, exact zeros and negative zeros, trajectories of different lengths (empty ones too) and
 * batch sizes that are and are not multiples of the four lanes.
 */
class TrajectoryScoresTest {
    @Test
    void sameBitsAsRolloutsScores() {
        SplittableRandom r = new SplittableRandom(2026);
        int cases = 0;
        for (int round = 0; round < 400; round++) {
            Rollouts b = randomBatch(r);
            double[] want = b.scores();
            double[] got = TrajectoryScores.of(b);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(
                        Double.doubleToRawLongBits(want[i]),
                        Double.doubleToRawLongBits(got[i]),
                        "round " + round + " trajectory " + i + ": " + want[i] + " vs " + got[i]);
                cases++;
            }
        }
        assertEquals(true, cases > 1000);
    }

    private static Rollouts randomBatch(SplittableRandom r) {
        RolloutsBuilder b = Rollouts.builder();
        int n = 1 + r.nextInt(11);
        int outcomes = r.nextInt(3); // 0: outcome, 1: components, 2: neither
        boolean spanRewards = r.nextBoolean();
        boolean tokenRewards = r.nextInt(4) > 0;
        for (int i = 0; i < n; i++) {
            b.trajectory("g" + (i % 3), "t" + i);
            if (outcomes == 0 && r.nextInt(5) > 0) b.outcome(value(r));
            if (outcomes == 1) {
                b.outcomeComponent("a", r.nextInt(4) == 0 ? Double.NaN : value(r));
                b.outcomeComponent("b", r.nextInt(4) == 0 ? Double.NaN : value(r));
            }
            int spans = r.nextInt(5) == 0 ? 1 : 1 + r.nextInt(6);
            int tokens = 0;
            for (int s = 0; s < spans; s++) {
                int len = r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 8 : 300);
                Role role = r.nextInt(3) > 0 ? Role.POLICY : Role.CONTEXT;
                double reward = spanRewards && role == Role.POLICY && r.nextInt(3) > 0 ? value(r) : Double.NaN;
                b.span(role, len, reward, null, null);
                tokens += len;
            }
            if (tokenRewards && r.nextInt(6) > 0) {
                float[] t = new float[tokens];
                for (int k = 0; k < tokens; k++) {
                    int kind = r.nextInt(10);
                    t[k] = kind == 0 ? -0f : kind < 5 ? 0f : (float) value(r);
                }
                b.tokenSignal(Rollouts.REWARD, t);
            }
        }
        return b.build();
    }

    /** Values of mixed signs and magnitudes, so that the additions round. */
    private static double value(SplittableRandom r) {
        double v = r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-4, 4));
        return r.nextInt(8) == 0 ? Math.rint(v) : v;
    }
}
