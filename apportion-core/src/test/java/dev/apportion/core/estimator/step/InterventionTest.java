package dev.apportion.core.estimator.step;

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

class InterventionTest extends EstimatorContract {
    private final Intervention est = new Intervention();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Random batches: info_gain (signed) as the error flag, reward_baseline as the intervention's success rate. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("error_signal", "info_gain")),
                resolved(
                        "paper",
                        Map.of(
                                "error_signal",
                                "info_gain",
                                "intervention_signal",
                                "reward_baseline",
                                "failure_threshold",
                                1.0)),
                resolved(null, Map.of("error_signal", "info_gain", "error_step_credit", -1.0)));
    }

    private static RolloutsBuilder steps(RolloutsBuilder b, int... errorFlags) {
        for (int f : errorFlags)
            b.span(Role.POLICY, 2).spanSignal("first_error", f).span(Role.CONTEXT, 1);
        return b;
    }

    /**
     * The notes' example: trace s1..s5 with the first error at s3 → the SFT sample keeps s1, s2
     * (advantage 1, weight 1) and drops s3..s5. A later flag (s5) does not move k*. A successful
     * trace and a failed trace with no error found are skipped.
     */
    @Test
    void workedExample() {
        RolloutsBuilder b =
                Rollouts.builder().trajectory("q", "fail").outcome(0).span(Role.CONTEXT, 1);
        steps(b, 0, 0, 1, 0, 1);
        steps(b.trajectory("q", "win").outcome(1), 1, 0);
        steps(b.trajectory("q", "nofind").outcome(0), 0, 0);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        float[] want = new float[batch.tokenCount()];
        // fail: context(1), s1(2) ctx(1), s2(2) ctx(1), ...
        want[1] = want[2] = 1;
        want[4] = want[5] = 1;
        assertClose(want, c.advantages(), "advantages");
        assertClose(want, c.lossWeights(), "loss weights");
        assertEquals(1.0, c.diagnostics().get("intervened_trajectories"));

        Credit neg = est.assign(batch, resolved(null, Map.of("error_step_credit", -1.0)));
        assertEquals(-1f, neg.advantages()[7]);
        assertEquals(1f, neg.lossWeights()[7]);
        assertEquals(0f, neg.lossWeights()[10]);
    }

    /** An intervention that never led to success is not trained on; NaN (not measured) is kept. */
    @Test
    void interventionOutcomeFilters() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b.trajectory("q", "bad").outcome(0).signal("intervention_success", 0.0), 0, 1);
        steps(b.trajectory("q", "good").outcome(0).signal("intervention_success", 0.25), 0, 1);
        steps(b.trajectory("q", "unknown").outcome(0), 0, 1); // not measured: absent, read as NaN
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        assertEquals(0f, a[0]);
        assertEquals(1f, a[6]);
        assertEquals(1f, a[12]);
        assertEquals(0f, a[9]);
    }

    @Test
    void missingSignalIsNamed() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .outcome(0)
                .span(Role.POLICY, 1)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("first_error"), e.getMessage());
    }
}
