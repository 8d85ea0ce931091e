package dev.apportion.core.estimator.turn;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PbsdTest extends EstimatorContract {
    private final Pbsd est = new Pbsd();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                resolved(null, Map.of("mode", "additive", "final_turn", "neutral")),
                resolved(null, Map.of("evidence_aggregation", "mean", "final_turn", "neutral")));
    }

    /**
     * Reference notes' example: teacher [[-.2, -.3], [-1.0], [-.1, -.1, -.1]] and student
     * [[-.4, -.4], [-.5], [-.2, -.1, -.1]] -> c = [+0.3, -0.5, +0.1] (outcome 1); a second
     * trajectory (outcome 0) with one turn, teacher [-1.0] vs student [-0.5] -> c = -0.5.
     * A_grpo = +-0.7071.
     */
    private static Rollouts example() {
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3)
                .tokenSignal(
                        Rollouts.TEACHER_LOGPROB, new float[] {0f, -0.2f, -0.3f, 0f, -1.0f, 0f, -0.1f, -0.1f, -0.1f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -0.4f, -0.4f, 0f, -0.5f, 0f, -0.2f, -0.1f, -0.1f})
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.TEACHER_LOGPROB, new float[] {0f, -1.0f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -0.5f})
                .build();
    }

    /**
     * Reweight: w = clip(exp(sign(A)*c), 0.5, 2). Success: w = [e^0.3, e^-0.5, e^0.1] =
     * [1.3499, 0.6065, 1.1052] -> A = [0.9545, 0.4289, 0.7815]. Failure: w = e^0.5 = 1.6487 ->
     * A = -1.1658 (the failed turn undermined the answer, so it takes more blame).
     */
    @Test
    void reweightWorkedExample() {
        Rollouts batch = example();
        float[] a = est.assign(batch).advantages();
        assertTurns(batch, a, 0, TOL, 0.9544930, 0.4288813, 0.7814727);
        assertTurns(batch, a, 1, TOL, -1.1658203);
        assertTurnConstant(batch, a);
    }

    /** Additive, lambda 1: z of the pool [.3, -.5, .1, -.5] (mean -.15, unbiased std .41231) added to A. */
    @Test
    void additiveWorkedExample() {
        Rollouts batch = example();
        float[] a =
                est.assign(batch, resolved(null, Map.of("mode", "additive"))).advantages();
        assertTurns(batch, a, 0, TOL, 1.7985134, -0.1417668, 1.3134434);
        assertTurns(batch, a, 1, TOL, -1.5559784);
    }

    /** final_turn = neutral: the last turn keeps the plain GRPO advantage; clipping at w_max. */
    @Test
    void neutralFinalTurnAndClipping() {
        Rollouts batch = example();
        float[] a = est.assign(batch, resolved(null, Map.of("final_turn", "neutral")))
                .advantages();
        assertTurns(batch, a, 0, TOL, 0.9544930, 0.4288813, 0.7071058);
        assertTurns(batch, a, 1, TOL, -0.7071058);
        float[] tight = est.assign(batch, resolved(null, Map.of("w_min", 0.9, "w_max", 1.2)))
                .advantages();
        assertTurns(batch, tight, 0, TOL, 0.7071058 * 1.2, 0.7071058 * 0.9, 0.7071058 * Math.exp(0.1));
        assertThrows(
                IllegalArgumentException.class,
                () -> est.assign(batch, resolved(null, Map.of("w_min", 2.0, "w_max", 1.0))));
    }

    /** All outcomes equal (or one trajectory): A_grpo = 0, so reweighting gives 0. */
    @Test
    void noOutcomeContrastGivesZero() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.TEACHER_LOGPROB, new float[] {-0.1f})
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f})
                .build();
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 0.0);
    }

    @Test
    void needsTheTeacher() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2f})
                .build();
        assertThrows(RolloutException.class, () -> est.assign(batch));
    }
}
