package dev.apportion.core.estimator.trajectory;

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

class LscTransformTest extends EstimatorContract {
    private final LscTransform est = new LscTransform();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("reference_signal", "reward_baseline")),
                resolved(null, Map.of("reference_signal", "reward_baseline", "baseline", "group_mean")),
                resolved("group_median_rloo", Map.of()),
                resolved(null, Map.of("reference", "group_quantile", "quantile", 0.85)));
    }

    /** A trajectory: a context token and two policy tokens. */
    private static RolloutsBuilder traj(RolloutsBuilder b, String group, String id) {
        return b.trajectory(group, id).span(Role.CONTEXT, 1).span(Role.POLICY, 2);
    }

    @Test
    void notesSinglePropertyExamples() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "q", "a").outcome(1.5).signal("reward_reference", 0.5); // r − r_ref = 1
        traj(b, "q", "b").outcome(-1.5).signal("reward_reference", 0.5); // r − r_ref = −2
        Credit c = est.assign(b.build());
        assertEquals(0f, c.advantages()[0], 0f);
        assertEquals(-0.31326, c.advantages()[1], 1e-5);
        assertEquals(-0.31326, c.advantages()[2], 1e-5);
        assertEquals(-2.12693, c.advantages()[4], 1e-5);
        assertEquals(c.advantages()[4], c.returns()[4], 0f);
    }

    @Test
    void notesCombinedPropertiesAreALogicalAnd() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "q", "a")
                .outcomeComponent("helpful", 2.0)
                .outcomeComponent("harmless", -1.0)
                .signal("reward_reference.helpful", 1.0)
                .signal("reward_reference.harmless", 1.0);
        float[] a = est.assign(b.build()).advantages();
        // log σ(1) + log σ(−2) = log(0.08714) = −2.44019
        assertEquals(-2.44019, a[1], 1e-5);
        double p = 1 / (1 + Math.exp(-1)) * (1 / (1 + Math.exp(2)));
        assertEquals(Math.log(p), a[1], 1e-6);
    }

    @Test
    void aSharedReferenceSignalServesEveryComponent() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "q", "a").outcomeComponent("x", 1.0).outcomeComponent("y", 1.0).signal("reward_reference", 1.0);
        assertEquals(2 * Math.log(0.5), est.assign(b.build()).advantages()[1], 1e-6);
    }

    @Test
    void groupQuantileReferenceAndBaselines() {
        RolloutsBuilder b = Rollouts.builder();
        double[] r = {0.0, 1.0, 3.0};
        for (int i = 0; i < 3; i++) traj(b, "q", "t" + i).outcome(r[i]);
        Rollouts batch = b.build();
        Params median = resolved(null, Map.of("reference", "group_quantile"));
        float[] a = est.assign(batch, median).advantages();
        double[] u = {LscTransform.logSigmoid(-1), Math.log(0.5), LscTransform.logSigmoid(2)};
        for (int i = 0; i < 3; i++) assertEquals(u[i], a[1 + 3 * i], 1e-6);
        // quantile 0.75 of {0, 1, 3} by linear interpolation: 1 + 0.5·2 = 2
        float[] q = est.assign(batch, resolved(null, Map.of("reference", "group_quantile", "quantile", 0.75)))
                .advantages();
        assertEquals(LscTransform.logSigmoid(1.0), q[1 + 3 * 2], 1e-6);
        float[] loo = est.assign(batch, resolved("group_median_rloo", Map.of())).advantages();
        assertEquals(u[0] - (u[1] + u[2]) / 2, loo[1], 1e-6);
        float[] mean = est.assign(
                        batch, resolved(null, Map.of("reference", "group_quantile", "baseline", "group_mean")))
                .advantages();
        assertEquals(u[2] - (u[0] + u[1] + u[2]) / 3, mean[7], 1e-6);
    }

    @Test
    void logSigmoidIsStableAndSingletonLeaveOneOutIsZero() {
        assertEquals(-1000.0, LscTransform.logSigmoid(-1000), 1e-9);
        assertEquals(0.0, LscTransform.logSigmoid(1000), 1e-12);
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "alone", "a").outcome(1.0).signal("reward_reference", 0.0);
        float[] a = est.assign(b.build(), resolved(null, Map.of("baseline", "leave_one_out")))
                .advantages();
        assertEquals(0f, a[1], 0f);
    }

    @Test
    void missingInputsAreNamed() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "q", "a").outcome(1.0);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("reward_reference"), e.getMessage());
        RolloutsBuilder c = Rollouts.builder();
        traj(c, "q", "a")
                .outcomeComponent("x", 1.0)
                .outcomeComponent("y", Double.NaN)
                .signal("reward_reference", 0.0);
        RolloutException f = assertThrows(RolloutException.class, () -> est.assign(c.build()));
        assertTrue(f.getMessage().contains("outcome.y"), f.getMessage());
    }
}
