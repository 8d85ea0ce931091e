package dev.apportion.core.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Rollouts#scores()}, whose token-reward sums advance four trajectories at a time, is the plain
 * restatement below bit for bit (each trajectory's sum one chain of double additions in token order):
 * outcomes or outcome components
 * (with missing values), span rewards (with missing values), token rewards of mixed signs and
 * magnitudes, exact zeros and negative zeros, trajectories of different lengths (empty ones too) and
 * batch sizes that are and are not multiples of the four lanes.
 */
class RolloutsScoresTest {
    @Test
    void sameBitsAsThePlainTokenOrderSums() {
        SplittableRandom r = new SplittableRandom(2026);
        int cases = 0;
        for (int round = 0; round < 400; round++) {
            Rollouts b = randomBatch(r);
            double[] want = plainScores(b);
            double[] got = b.scores();
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

    /** The scores as a plain restatement: outcome (or components), span rewards, then each trajectory's token rewards summed one by one. */
    private static double[] plainScores(Rollouts b) {
        int n = b.trajectoryCount();
        double[] out = new double[n];
        if (b.outcome() != null) {
            for (int i = 0; i < n; i++) if (!Float.isNaN(b.outcome()[i])) out[i] += b.outcome()[i];
        } else {
            for (Map.Entry<String, float[]> c : b.outcomeComponents().entrySet())
                for (int i = 0; i < n; i++) if (!Float.isNaN(c.getValue()[i])) out[i] += c.getValue()[i];
        }
        int[] spanOff = b.trajectorySpanOffsets();
        if (b.spanReward() != null) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int s = spanOff[i]; s < spanOff[i + 1]; s++)
                    if (!Float.isNaN(b.spanReward()[s])) sum += b.spanReward()[s];
                out[i] += sum;
            }
        }
        float[] r = b.tokenSignal(Rollouts.REWARD);
        if (r != null) {
            int[] off = b.trajectoryTokenOffsets();
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int t = off[i]; t < off[i + 1]; t++) sum += r[t];
                out[i] += sum;
            }
        }
        return out;
    }

    /** Values of mixed signs and magnitudes, so that the additions round. */
    private static double value(SplittableRandom r) {
        double v = r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-4, 4));
        return r.nextInt(8) == 0 ? Math.rint(v) : v;
    }
}
