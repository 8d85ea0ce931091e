package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DurationAwareTest extends EstimatorContract {
    private final DurationAware est = new DurationAware();
    private static final double TOL = 1e-6;

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("duration_source", "turn", "duration_signal", "prm")),
                resolved(null, Map.of("duration_source", "turn", "duration_signal", "prm", "normalizer", "batch_sum")));
    }

    /**
     * Reference notes' example: durations [10, 10, 100], advantages [-.5, -.5, 1] (scores [0, 0, 1.5],
     * mean-centred without std). Mean normalizer (40): weights [.25, .25, 2.5] -> [-.125, -.125, 2.5];
     * sum normalizer (120): [-.0417, -.0417, .8333].
     */
    private static Rollouts example() {
        double[] score = {0, 0, 1.5};
        double[] dt = {10, 10, 100};
        var b = Rollouts.builder();
        for (int i = 0; i < 3; i++) {
            b.trajectory("task", "run" + i)
                    .outcome(score[i])
                    .signal("duration", dt[i])
                    .span(Role.CONTEXT, 2)
                    .span(Role.POLICY, 3)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 1);
        }
        return b.build();
    }

    @Test
    void workedExample() {
        Rollouts batch = example();
        Credit c = est.assign(batch, resolved(null, Map.of("normalize_by_std", false)));
        assertTurns(batch, c.advantages(), 0, TOL, -0.125, -0.125);
        assertTurns(batch, c.advantages(), 1, TOL, -0.125);
        assertTurns(batch, c.advantages(), 2, TOL, 2.5, 2.5);
        assertEquals(40.0, c.diagnostics().get("duration_normalizer"), 1e-9);
        float[] s = est.assign(batch, resolved(null, Map.of("normalize_by_std", false, "normalizer", "batch_sum")))
                .advantages();
        assertTurns(batch, s, 0, TOL, -0.5 / 12, -0.5 / 12);
        assertTurns(batch, s, 2, TOL, 100.0 / 120);
    }

    /** Per-turn durations weight each action separately (normalizer = mean over the batch's turns). */
    @Test
    void perTurnDurations() {
        Rollouts batch = Rollouts.builder()
                .trajectory("task", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal("duration", 1)
                .span(Role.POLICY, 1)
                .spanSignal("duration", 5)
                .trajectory("task", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .spanSignal("duration", 3)
                .build();
        Params p = resolved(null, Map.of("duration_source", "turn", "normalize_by_std", false));
        float[] a = est.assign(batch, p).advantages();
        assertTurns(batch, a, 0, TOL, 0.5 * 1 / 3.0, 0.5 * 5 / 3.0);
        assertTurns(batch, a, 1, TOL, -0.5 * 3 / 3.0);
    }

    @Test
    void badDurations() {
        Rollouts negative = Rollouts.builder()
                .trajectory("task", "a")
                .outcome(1)
                .signal("duration", -1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(negative));
        Rollouts missing = Rollouts.builder()
                .trajectory("task", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(missing));
        Rollouts zero = Rollouts.builder()
                .trajectory("task", "a")
                .outcome(1)
                .signal("duration", 0)
                .span(Role.POLICY, 1)
                .trajectory("task", "b")
                .outcome(0)
                .signal("duration", 0)
                .span(Role.POLICY, 1)
                .build();
        assertTurns(zero, est.assign(zero).advantages(), 0, 0.0, 0.0);
    }
}
