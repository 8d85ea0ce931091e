package dev.apportion.core.estimator.turn;

import static dev.apportion.core.estimator.turn.TurnTestBatches.turnValue;
import static dev.apportion.core.estimator.turn.TurnTestBatches.turns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IgpoEstimatorTest extends EstimatorContract {
    private final IgpoEstimator est = new IgpoEstimator();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Two rollouts, two IG turns and an answer turn; IG of row b's first turn stored as 1e-10. */
    private static Rollouts docBatch(double firstIgOfB) {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "a", 2, 0.2, 0.1, 1.0);
        turns(b, "q", "b", 2, firstIgOfB, -0.1, 0.0);
        return b.build();
    }

    @Test
    void separateModeByHand() {
        Rollouts batch = docBatch(1e-10);
        Credit c = est.assign(batch);
        // IG pool {0.2, 0.1, 1e-10, -0.1}: mean 0.05, population var 0.0125
        double sigma = Math.sqrt(0.0125 + 1e-8) + 1e-6;
        double[] zA = {(0.2 - 0.05) / sigma, (0.1 - 0.05) / sigma};
        double o = 0.5 / (Math.sqrt(0.25 + 1e-8) + 1e-6);
        assertEquals(zA[0] + zA[1] + o, turnValue(batch, c.advantages(), 0, 0), 1e-5);
        assertEquals(zA[1] + o, turnValue(batch, c.advantages(), 0, 1), 1e-5);
        assertEquals(o, turnValue(batch, c.advantages(), 0, 2), 1e-5);
        assertEquals(-o, turnValue(batch, c.advantages(), 1, 2), 1e-5);
        TurnTestBatches.assertTurnConstant(batch, c.advantages());
        assertArrayEquals(c.advantages(), c.returns());
        assertNull(c.clipScales());
    }

    @Test
    void exactZeroIgMergesTurnsUnlessBoundariesComeFromPolicySpans() {
        Rollouts batch = docBatch(0.0);
        float[] ref = est.assign(batch).advantages();
        // reference: row b's first turn has no boundary and takes the second turn's value
        assertEquals(turnValue(batch, ref, 1, 1), turnValue(batch, ref, 1, 0), 0f);
        Params spans = resolved("corrected", Map.of());
        float[] fixed = est.assign(batch, spans).advantages();
        assertNotEquals(turnValue(batch, fixed, 1, 1), turnValue(batch, fixed, 1, 0));
        // with every IG non-zero the two rules agree
        Rollouts clean = docBatch(1e-10);
        assertArrayEquals(
                est.assign(clean).advantages(), est.assign(clean, spans).advantages(), 0f);
    }

    @Test
    void igAsSpanRewardsAndOutcomeAsTrajectoryOutcome() {
        RolloutsBuilder b = Rollouts.builder();
        double[][] ig = {{0.2, 0.1}, {1e-10, -0.1}};
        double[] outcome = {1.0, 0.0};
        for (int i = 0; i < 2; i++) {
            b.trajectory("q", i == 0 ? "a" : "b").outcome(outcome[i]).span(Role.CONTEXT, 1);
            for (double g : ig[i]) b.span(Role.POLICY, 2, g, null, null).span(Role.CONTEXT, 1);
            b.span(Role.POLICY, 2).span(Role.CONTEXT, 1);
        }
        assertArrayEquals(
                est.assign(docBatch(1e-10)).advantages(), est.assign(b.build()).advantages(), 1e-6f);
    }

    @Test
    void curriculumWeightsCancelInSeparateButNotInJoint() {
        Rollouts batch = docBatch(1e-10);
        Map<String, Object> w = Map.of("curriculum_f1_weight", 0.5, "curriculum_ig_weight", 2.0);
        float[] sepPlain = est.assign(batch).advantages();
        float[] sepWeighted = est.assign(batch, resolved(null, w)).advantages();
        assertArrayEquals(sepPlain, sepWeighted, 1e-3f);
        float[] jointPlain = est.assign(batch, resolved("joint", Map.of())).advantages();
        float[] jointWeighted = est.assign(batch, resolved("joint", w)).advantages();
        assertNotEquals(jointPlain[1], jointWeighted[1], 1e-3f);
    }

    @Test
    void singletonGroupOutcomeIsZeroInSeparateOnly() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "alone", "a", 1, 0.3, 0.8);
        Rollouts batch = b.build();
        assertEquals(0f, turnValue(batch, est.assign(batch).advantages(), 0, 1), 0f);
        float joint =
                turnValue(batch, est.assign(batch, resolved("joint", Map.of())).advantages(), 0, 1);
        assertEquals(0.25 / (0.25 + 1e-6), joint, 1e-5); // pool {0.3, 0.8}: mean 0.55, population std 0.25
    }
}
