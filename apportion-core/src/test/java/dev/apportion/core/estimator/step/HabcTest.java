package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
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

class HabcTest extends EstimatorContract {
    private final Habc est = new Habc();
    private static final double TOL = 1e-4;

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return List.of(resolved(null, Map.of("viability_signal", "prm", "efficiency_signal", "info_gain")));
    }

    /**
     * Reference notes' examples (k = 5, tau = 0.7, beta = 1, gamma = 0.99, step cost -1).
     * Episode 1 (success), step 0: V_v .3 -> .5, V_e -10 -> -9: A_v = .2, A_e = .09, g = .1192,
     * A = .1869, w = 1.2055. Step 1 is the last: V_v .5 -> 1 (success), V_e -9 -> 0: A_v = .5,
     * A_e = 8, g = sigmoid(-1) = .26894, A = 2.5171, w = 12.392.
     * Episode 2, step 0: V_v .95 flat, V_e -10 -> -10.5: A_v = 0, A_e = -1.395, g = .7773,
     * A = -1.0843, w = .3381 (slow progress is down-weighted once viability is high).
     */
    private static Rollouts episodes() {
        return Rollouts.builder()
                .trajectory("task", "e1")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .spanSignal("viability", 0.3)
                .spanSignal("efficiency", -10)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .spanSignal("viability", 0.5)
                .spanSignal("efficiency", -9)
                .trajectory("task", "e2")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .spanSignal("viability", 0.95)
                .spanSignal("efficiency", -10)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .spanSignal("viability", 0.95)
                .spanSignal("efficiency", -10.5)
                .build();
    }

    @Test
    void workedExamples() {
        Rollouts batch = episodes();
        Credit c = est.assign(batch);
        assertTurns(batch, c.advantages(), 0, TOL, 0.1869, 2.5171);
        assertTurns(batch, c.lossWeights(), 0, 1e-3, 1.2055, 12.392);
        assertTurns(batch, c.advantages(), 1, TOL, -1.0843);
        assertTurns(batch, c.lossWeights(), 1, TOL, 0.3381);
        assertTurnConstant(batch, c.advantages());
        assertTurnConstant(batch, c.lossWeights());
    }

    /** The weight cap, and an intervention step kept as plain BC. */
    @Test
    void capAndIntervention() {
        Rollouts batch = episodes();
        Credit capped = est.assign(batch, resolved(null, Map.of("w_max", 2.0)));
        assertTurns(batch, capped.lossWeights(), 0, 1e-3, 1.2055, 2.0);
        Rollouts human = Rollouts.builder()
                .trajectory("task", "e")
                .outcome(0)
                .span(Role.POLICY, 1)
                .spanSignal("viability", 0.3)
                .spanSignal("efficiency", -10)
                .spanSignal("intervention", 1)
                .span(Role.POLICY, 1)
                .spanSignal("viability", 0.2)
                .spanSignal("efficiency", -9)
                .spanSignal("intervention", 0)
                .build();
        Credit c = est.assign(human);
        assertTurns(human, c.advantages(), 0, 1e-9, 0.0);
        assertTurns(human, c.lossWeights(), 0, 1e-9, 1.0);
        // last step: V_v .2 -> 0 (failure), V_e -9 -> 0: A_v = -.2, A_e = 8, g = sigmoid(-2.5)
        double g = 1 / (1 + Math.exp(2.5));
        assertTurns(human, c.advantages(), 0, TOL, 0.0, (1 - g) * -0.2 + g * 8);
    }

    @Test
    void needsBothHeads() {
        Rollouts batch = Rollouts.builder()
                .trajectory("task", "e")
                .outcome(1)
                .span(Role.POLICY, 1)
                .spanSignal("viability", 0.3)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
    }
}
