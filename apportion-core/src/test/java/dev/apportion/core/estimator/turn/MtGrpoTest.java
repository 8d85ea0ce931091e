package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.testing.RandomBatches;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MtGrpoTest extends EstimatorContract {
    private final MtGrpo est = new MtGrpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(
                4, 2, 6, false, true, true, false); // the reference needs 2+ completions per prompt
    }

    /** Episode: call (2 tokens), tool response (1), answer (2); turn reward t, outcome reward o, result message index r. */
    private static void episode(RolloutsBuilder b, String id, double t, double o, int r) {
        b.trajectory("p", id)
                .outcomeComponent("turn_tool", t)
                .outcomeComponent("outcome_em", o)
                .signal(MtGrpo.RESULT_SEGMENT, r)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2);
    }

    /**
     * T = [1, 0], O = [1, 0] -> z(T) = z(O) = z(C) = +-1/(sqrt(0.5) + 1e-4). Episode a found a result
     * (message 1): its call tokens get z(O) + lambda z(T), its answer z(O); b found none: z(T+O) everywhere
     * (C = [2, 0]: -1/(sqrt(2) + 1e-4), a different scale, as in the reference).
     */
    @Test
    void turnAdvantageBeforeTheFirstResultOnly() {
        RolloutsBuilder b = Rollouts.builder();
        episode(b, "a", 1, 1, 1);
        episode(b, "b", 0, 0, -1);
        Rollouts batch = b.build();
        double z = 0.5 / (Math.sqrt(0.5) + 1e-4);
        Credit c = est.assign(batch, resolved(null, Map.of("turn_advantage_coef", 0.5)));
        float[] a = c.advantages();
        assertEquals(z + 0.5 * z, a[0], TOL);
        assertEquals(z + 0.5 * z, a[1], TOL);
        assertEquals(0f, a[2], 0f);
        assertEquals(z, a[3], TOL);
        double zc = 1.0 / (Math.sqrt(2.0) + 1e-4); // C = T + O = [2, 0]
        assertEquals(-zc, a[5], TOL);
        assertEquals(-zc, a[9], TOL);
        assertEquals(1.0, c.diagnostics().get("trajectories_with_result"));
    }

    /** Weights scale the functions; the span signal tool_result stands in for result_segment. */
    @Test
    void weightsAndToolResultSpans() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("p", "a")
                .outcomeComponent("turn_tool", 1)
                .outcomeComponent("outcome_em", 0)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .spanSignal(MtGrpo.TOOL_RESULT, 1)
                .span(Role.POLICY, 2);
        b.trajectory("p", "b")
                .outcomeComponent("turn_tool", 0)
                .outcomeComponent("outcome_em", 1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .spanSignal(MtGrpo.TOOL_RESULT, 1)
                .span(Role.POLICY, 2);
        Rollouts batch = b.build();
        Params p = resolved(null, Map.of("turn_reward_weights", "2", "outcome_reward_weights", "3"));
        MtGrpo.Components comp = est.components(batch, p);
        assertEquals(1, comp.resultSegment()[0]);
        double z = 1.0 / (Math.sqrt(2.0) + 1e-4);
        assertEquals(z, comp.turnAdvantage()[0], TOL); // T = [2, 0]
        assertEquals(-1.5 / (Math.sqrt(4.5) + 1e-4), comp.outcomeAdvantage()[0], TOL); // O = [0, 3]
        float[] a = est.assign(batch, p).advantages();
        assertEquals(comp.outcomeAdvantage()[0] + comp.turnAdvantage()[0], a[0], TOL);
        assertEquals(comp.outcomeAdvantage()[0], a[3], TOL);
    }

    /** A result index beyond the mask's runs fails the batch (the reference raises); a lone completion too. */
    @Test
    void notEnoughSegmentsAndSingletonGroups() {
        RolloutsBuilder b = Rollouts.builder();
        episode(b, "a", 1, 1, 5);
        episode(b, "b", 0, 0, -1);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("not enough segments"), e.getMessage());
        RolloutsBuilder one = Rollouts.builder();
        episode(one, "a", 1, 1, 1);
        assertThrows(RolloutException.class, () -> est.assign(one.build()));
    }
}
