package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator.ScheduleMode;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemporalScheduleEstimatorTest extends EstimatorContract {
    private static final TemporalScheduleEstimator EST = new TemporalScheduleEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                params(Map.of("global_steps", 150, "schedule_mode", "sigmoid")),
                params(Map.of("strategy", "forking_tok_schedule", "global_steps", 100, "schedule_mode", "gamma")),
                params(Map.of("strategy", "entropy_adv_schedule", "global_steps", 50)));
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    static double ratio(ScheduleMode mode, int step) {
        return TemporalScheduleEstimator.schedule(mode, true, 0.99, 0.0, 0.8, 2.0, 500, step)
                .ratio();
    }

    /** methods-reasoning.md §12: T = 500, linear, window [0, 400], |o| = 1000. */
    @Test
    void workedExampleTrainedSuffix() {
        int[] steps = {0, 100, 200, 400, 450};
        int[] trained = {10, 258, 505, 1000, 1000};
        for (int k = 0; k < steps.length; k++) {
            double rho = ratio(ScheduleMode.LINEAR, steps[k]);
            assertEquals(trained[k], 1000 - TemporalScheduleEstimator.prefixLength(1000, rho), "step " + steps[k]);
        }
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 3)
                .span(Role.POLICY, 1000)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.CONTEXT, 3)
                .span(Role.POLICY, 1000)
                .build();
        Credit c = EST.assign(b, params(Map.of("global_steps", 100)));
        assertEquals(0.7425, c.diagnostics().get("prefix_ratio"), 1e-12);
        assertEquals(2 * 258.0, c.diagnostics().get("trained_tokens"));
        float[] w = c.lossWeights();
        assertEquals(0f, w[3 + 741], 0f);
        assertEquals(1f, w[3 + 742], 0f);
        // GRPO base: ±0.7071 on the trained suffix only
        assertEquals(0f, c.advantages()[3 + 741], 0f);
        assertEquals(0.70711f, c.advantages()[3 + 742], 1e-5f);
        assertEquals(-0.70711f, c.advantages()[1003 + 3 + 999], 1e-5f);
    }

    @Test
    void scheduleModes() {
        // sigmoid starts at mag and ends at 0; halfway it is mag/2
        assertEquals(0.99, ratio(ScheduleMode.SIGMOID, 0), 1e-12);
        assertEquals(0.495, ratio(ScheduleMode.SIGMOID, 200), 1e-12);
        assertEquals(0.0, ratio(ScheduleMode.SIGMOID, 400), 1e-12);
        // gamma: the reference raises the scaled ratio, (0.99 * 0.5)^2; the alternative is 0.99 * 0.5^2
        assertEquals(0.495 * 0.495, ratio(ScheduleMode.GAMMA, 200), 1e-12);
        assertEquals(
                0.99 * 0.25,
                TemporalScheduleEstimator.schedule(ScheduleMode.GAMMA, false, 0.99, 0.0, 0.8, 2.0, 500, 200)
                        .ratio(),
                1e-12);
        // window with a late start
        TemporalScheduleEstimator.Schedule s =
                TemporalScheduleEstimator.schedule(ScheduleMode.LINEAR, true, 0.99, 0.1, 0.8, 2.0, 300, 20);
        assertEquals(30, s.minStep());
        assertEquals(240, s.maxStep());
        assertEquals(0.99, s.ratio(), 0.0);
        assertThrows(
                IllegalArgumentException.class,
                () -> TemporalScheduleEstimator.schedule(ScheduleMode.LINEAR, true, 0.99, 0.5, 0.5, 2.0, 300, 20));
    }

    @Test
    void forkingKeepsTheHighestEntropyTokensWithAFloat32Budget() {
        assertEquals(1, TemporalScheduleEstimator.forkingBudget(100, 0.99), "float32 (1 - 0.99) * 100 = 1, not 2");
        float[] entropy = {0f, 0f, 0.5f, 3f, 1f, 3f, 2f, 0f};
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 4)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.ENTROPY, entropy)
                .build();
        // 5 policy tokens (entropies 0.5, 3, 1, 3, 0); rho = 0.495 → budget ceil(5 * 0.505) = 3: the two 3s and the 1;
        // the context token with entropy 2 is never picked
        Credit c = EST.assign(b, params(Map.of("strategy", "forking_tok_schedule", "global_steps", 200)));
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 0, 0}, c.lossWeights(), 0f);
        // ties: with a budget of 1 (rho 0.8 → ceil(5 * 0.2) = 1) the earlier of the two 3s wins
        Credit one = EST.assign(b, params(Map.of("strategy", "forking_tok_schedule", "global_steps", 76)));
        assertArrayEquals(new float[] {0, 0, 0, 1, 0, 0, 0, 0}, one.lossWeights(), 0f);
        assertEquals(3.0, c.diagnostics().get("trained_tokens"));
    }

    /** methods-reasoning.md §12: A = 0.5, rho = 0.5, alpha 0.4, kappa 2: H = 0.1 → 0.52; H = 2.0 → 0.625. */
    @Test
    void entropyBonusWorkedExample() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(TemporalScheduleEstimator.ADVANTAGE_SIGNAL, new float[] {9f, 0.5f, 0.5f})
                .tokenSignal(Rollouts.ENTROPY, new float[] {5f, 0.1f, 2.0f})
                .build();
        Credit c = EST.assign(
                b,
                params(Map.of(
                        "strategy",
                        "entropy_adv_schedule",
                        "base_advantage",
                        "token_signal",
                        "initial_schedule_magnitude",
                        1.0,
                        "global_steps",
                        200,
                        "entropy_adv_schedule_alpha",
                        0.4,
                        "entropy_adv_schedule_kappa",
                        2.0)));
        assertArrayEquals(new float[] {0f, 0.52f, 0.625f}, c.advantages(), 1e-6f);
        assertNull(c.lossWeights());
    }

    @Test
    void refusesMissingInputs() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(
                RolloutException.class, () -> EST.assign(b, params(Map.of("strategy", "forking_tok_schedule"))));
        assertTrue(e.getMessage().contains("entropy"), e.getMessage());
        assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of("base_advantage", "token_signal"))));
    }

    @Test
    void oneTokenResponsesAlwaysKeepTheirToken() {
        assertEquals(0, TemporalScheduleEstimator.prefixLength(1, 0.99));
        assertEquals(0, TemporalScheduleEstimator.prefixLength(0, 0.99));
        assertArrayEquals(new int[] {20, 6}, TemporalScheduleEstimator.stepLengths(6, 20, 0.7425));
    }
}
