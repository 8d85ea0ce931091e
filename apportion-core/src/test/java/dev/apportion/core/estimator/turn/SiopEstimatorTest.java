package dev.apportion.core.estimator.turn;

import static dev.apportion.core.estimator.turn.TurnTestBatches.turnValue;
import static dev.apportion.core.estimator.turn.TurnTestBatches.turns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SiopEstimatorTest extends EstimatorContract {
    private final SiopEstimator est = new SiopEstimator();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** framework-estimators.md §5.5, checked on the reference: rewards (.3,.5) and (-.1,.1). */
    @Test
    void twoRolloutsTwoTurns() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "a", 3, 0.3, 0.5);
        turns(b, "q", "b", 2, -0.1, 0.1);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        assertEquals(1.549, turnValue(batch, c.advantages(), 0, 0), 1e-3);
        assertEquals(1.162, turnValue(batch, c.advantages(), 0, 1), 1e-3);
        assertEquals(-1.549, turnValue(batch, c.advantages(), 1, 0), 1e-3);
        assertEquals(-0.387, turnValue(batch, c.advantages(), 1, 1), 1e-3);
        TurnTestBatches.assertTurnConstant(batch, c.advantages());
        assertArrayEquals(c.advantages(), c.returns());
    }

    /** methods-agentic.md §7 worked example: pool [0.4159, 0.8498, -0.1, 0.05], gamma 1. */
    @Test
    void pooledGroupExample() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "a", 1, 0.4159, 0.8498);
        turns(b, "q", "b", 1, -0.1, 0.05);
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        assertEquals(1.5532, turnValue(batch, a, 0, 0), 1e-4);
        assertEquals(1.2888, turnValue(batch, a, 0, 1), 1e-4);
        assertEquals(-1.5532, turnValue(batch, a, 1, 0), 1e-4);
        assertEquals(-0.5995, turnValue(batch, a, 1, 1), 1e-4);
    }

    @Test
    void discountAndNoStd() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "a", 1, 1.0, 0.0);
        turns(b, "q", "b", 1, 0.0, 0.0);
        Rollouts batch = b.build();
        Params p = resolved(null, Map.of("gamma", 0.5, "normalize_by_std", false));
        float[] a = est.assign(batch, p).advantages();
        // pool mean 0.25: z = (0.75, -0.25) and (-0.25, -0.25); A_0 = z_0 + 0.5*z_1
        assertEquals(0.75 - 0.125, turnValue(batch, a, 0, 0), 1e-6);
        assertEquals(-0.25, turnValue(batch, a, 0, 1), 1e-6);
        assertEquals(-0.375, turnValue(batch, a, 1, 0), 1e-6);
    }

    @Test
    void singleRewardGroupAndConstantPoolGiveZero() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "alone", "a", 2, 0.7);
        turns(b, "flat", "b", 1, 0.5, 0.5);
        turns(b, "flat", "c", 1, 0.5);
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        for (float v : a) assertEquals(0f, v, 0f);
    }
}
