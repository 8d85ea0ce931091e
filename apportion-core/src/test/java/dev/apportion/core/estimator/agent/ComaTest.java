package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

class ComaTest extends EstimatorContract {
    private final Coma est = Coma.withSignals();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batches carry no q_value: read Q from 'prm' and the baseline from 'info_gain'. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(resolved(null, Map.of("q_signal", "prm", "baseline_signal", "info_gain")));
    }

    /** A = Q - sum pi Q: (0.8 - 0.5, 0.2 - 0.6) for the leader and the follower. */
    @Test
    void advantageIsQMinusCounterfactualBaseline() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, "s0", "leader")
                .spanSignal("q_value", 0.8)
                .spanSignal("counterfactual_baseline", 0.5)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3, Double.NaN, "s1", "follower")
                .spanSignal("q_value", 0.2)
                .spanSignal("counterfactual_baseline", 0.6)
                .trajectory("h", "b")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, "s0", "leader")
                .spanSignal("q_value", -0.25)
                .spanSignal("counterfactual_baseline", 0.25)
                .build();
        Credit c = est.assign(batch);
        assertTurns(batch, c.advantages(), 0, 1e-6, 0.3, -0.4);
        assertTurns(batch, c.advantages(), 1, 1e-6, -0.5);
        assertTurnConstant(batch, c.advantages());
    }

    @Test
    void missingSignalsAreNamed() {
        Rollouts none = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(none));
        assertTrue(e.getMessage().contains("q_value") && e.getMessage().contains("coma"), e.getMessage());
        Rollouts gap = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .spanSignal("q_value", 1)
                .spanSignal("counterfactual_baseline", 0)
                .span(Role.POLICY, 2)
                .spanSignal("q_value", 1)
                .build();
        RolloutException e2 = assertThrows(RolloutException.class, () -> est.assign(gap));
        assertTrue(
                e2.getMessage().contains("policy span 1") && e2.getMessage().contains("counterfactual_baseline"),
                e2.getMessage());
    }
}
