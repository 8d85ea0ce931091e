package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GdpoEstimatorTest extends EstimatorContract {
    private final GdpoEstimator est = new GdpoEstimator();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Four rollouts of one prompt with two components, two policy tokens each. */
    private static Rollouts components(boolean withNaN) {
        double[] fmt = {1, 1, 0, 1};
        double[] acc = {1, 0, 0, 0.5};
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 4; i++) {
            b.trajectory("p", "r" + i)
                    .outcomeComponent("format", fmt[i])
                    .outcomeComponent("accuracy", withNaN && i == 2 ? Double.NaN : acc[i])
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 2);
        }
        return b.build();
    }

    @Test
    void perComponentGrpoWeightedThenWhitened() {
        Rollouts batch = components(false);
        Params p = resolved(
                null, Map.of("reward_keys", List.of("format", "accuracy"), "reward_weights", List.of(0.5, 1.0)));
        Credit c = est.assign(batch, p);
        double[] fmt = {1, 1, 0, 1};
        double[] acc = {1, 0, 0, 0.5};
        double[] a = new double[4];
        double[] zf = z(fmt);
        double[] za = z(acc);
        for (int i = 0; i < 4; i++) a[i] = 0.5 * zf[i] + za[i];
        // whitening: every row has 2 tokens, so token-weighted mean = row mean; variance x 8/7
        double m = (a[0] + a[1] + a[2] + a[3]) / 4;
        double ss = 0;
        for (double v : a) ss += 2 * (v - m) * (v - m);
        double var = ss / 7;
        for (int i = 0; i < 4; i++) {
            float want = (float) ((a[i] - m) / Math.sqrt(var + 1e-8));
            assertEquals(want, c.advantages()[batch.tokenStart(i) + 1], 1e-5);
            assertEquals(want, c.advantages()[batch.tokenStart(i) + 2], 1e-5);
            assertEquals(0f, c.advantages()[batch.tokenStart(i)], 0f);
        }
        assertArrayEquals(c.advantages(), c.returns());
    }

    private static double[] z(double[] s) {
        double mean = 0;
        for (double v : s) mean += v / s.length;
        double ss = 0;
        for (double v : s) ss += (v - mean) * (v - mean);
        double std = Math.sqrt(ss / (s.length - 1));
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) out[i] = (s[i] - mean) / (std + 1e-6);
        return out;
    }

    @Test
    void emptyKeysUseEveryComponentInBatchOrder() {
        Rollouts batch = components(false);
        float[] all = est.assign(batch).advantages();
        float[] named = est.assign(batch, resolved(null, Map.of("reward_keys", "format, accuracy")))
                .advantages();
        assertArrayEquals(named, all, 0f);
        float[] one = est.assign(batch, resolved(null, Map.of("reward_keys", "[\"accuracy\"]")))
                .advantages();
        assertTrue(Math.abs(one[1] - all[1]) > 1e-3, "one dimension differs from two");
    }

    @Test
    void fallsBackToTheSummedRewardWithoutComponents() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a").outcome(1).span(Role.POLICY, 2);
        b.trajectory("p", "b").outcome(0).span(Role.POLICY, 2);
        float[] a = est.assign(b.build()).advantages();
        // scores 1, 0 -> GRPO +-a; whitening over 4 tokens: mean 0, variance 4a^2/3 -> +-sqrt(3)/2
        assertEquals(-a[2], a[0], 1e-6);
        assertEquals(Math.sqrt(3.0 / 4), a[0], 1e-5);
    }

    @Test
    void inputErrorsNameTheirCause() {
        Rollouts batch = components(false);
        RolloutException missing = assertThrows(
                RolloutException.class, () -> est.assign(batch, resolved(null, Map.of("reward_keys", "format,speed"))));
        assertTrue(
                missing.getMessage().contains("'speed'") && missing.getMessage().contains("format, accuracy"),
                missing.getMessage());
        RolloutException nan = assertThrows(RolloutException.class, () -> est.assign(components(true)));
        assertTrue(
                nan.getMessage().contains("trajectory 2") && nan.getMessage().contains("outcome.accuracy"),
                nan.getMessage());
        IllegalArgumentException weights = assertThrows(
                IllegalArgumentException.class,
                () -> est.assign(batch, resolved(null, Map.of("reward_weights", List.of(1.0)))));
        assertTrue(weights.getMessage().contains("1 entries but there are 2"), weights.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> est.assign(batch, resolved(null, Map.of("reward_keys", "format,format"))));
    }

    @Test
    void singlePolicyTokenCannotBeWhitened() {
        Rollouts one = Rollouts.builder()
                .trajectory("p", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 1)
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> est.assign(one));
        assertTrue(e.getMessage().contains("gdpo") && e.getMessage().contains("at least 2"), e.getMessage());
    }

    @Test
    void keyParsing() {
        assertEquals(List.of("a", "b"), GdpoEstimator.parseKeys("[a, b]"));
        assertEquals(List.of("a", "b"), GdpoEstimator.parseKeys(" a,b "));
        assertEquals(List.of("x"), GdpoEstimator.parseKeys("[\"x\"]"));
        assertEquals(List.of(), GdpoEstimator.parseKeys(""));
    }
}
