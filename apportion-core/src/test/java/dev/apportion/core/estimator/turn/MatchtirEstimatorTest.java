package dev.apportion.core.estimator.turn;

import static dev.apportion.core.estimator.turn.TurnTestBatches.turnValue;
import static dev.apportion.core.estimator.turn.TurnTestBatches.turns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatchtirEstimatorTest extends EstimatorContract {
    private final MatchtirEstimator est = new MatchtirEstimator();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** methods-agentic.md §4 worked example: G = 3, three turns each. */
    @Test
    void workedExampleThreeRolloutsThreeTurns() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "p", "a", 2, 1, 2.0 / 3, 1);
        turns(b, "p", "b", 3, 1, 0, 0);
        turns(b, "p", "c", 1, 0, 0, 0);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        double[] turn0 = {1.0619, -0.1389, -0.9230};
        double[] turn12 = {1.1135, -0.3712, -0.7423};
        for (int i = 0; i < 3; i++) {
            assertEquals(turn0[i], turnValue(batch, c.advantages(), i, 0), 1e-4);
            assertEquals(turn12[i], turnValue(batch, c.advantages(), i, 1), 1e-4);
            assertEquals(turn12[i], turnValue(batch, c.advantages(), i, 2), 1e-4);
        }
        TurnTestBatches.assertTurnConstant(batch, c.advantages());
        assertArrayEquals(c.advantages(), c.returns());
        assertEquals(c.advantages()[batch.spanTokenEnd(1) - 1], c.spanAdvantages()[1]);
        assertEquals(0f, c.spanAdvantages()[0]);
    }

    /** framework-estimators.md §5.3, checked on the reference: two samples, two turns. */
    @Test
    void twoSamplesTwoTurnsGivePlusMinusOneOverRootTwo() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "p", "a", 2, 0.5, 1.0);
        turns(b, "p", "b", 2, 0.0, 0.2);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        for (int j = 0; j < 2; j++) {
            assertEquals(0.7071, turnValue(batch, c.advantages(), 0, j), 1e-4);
            assertEquals(-0.7071, turnValue(batch, c.advantages(), 1, j), 1e-4);
        }
    }

    @Test
    void outcomeAndSpanRewardsLandOnTheLastTokenLikeTokenRewards() {
        RolloutsBuilder tok = Rollouts.builder();
        turns(tok, "p", "a", 2, 0.3, 1.0);
        turns(tok, "p", "b", 2, 0.1, 0.0);
        turns(tok, "p", "c", 2, -0.2, 0.5);
        RolloutsBuilder nat = Rollouts.builder();
        double[][] turnR = {{0.3}, {0.1}, {-0.2}};
        double[] outcome = {1.0, 0.0, 0.5};
        String[] ids = {"a", "b", "c"};
        for (int i = 0; i < 3; i++) {
            nat.trajectory("p", ids[i])
                    .outcome(outcome[i])
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 2, turnR[i][0], null, null)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 2)
                    .span(Role.CONTEXT, 1);
        }
        assertArrayEquals(
                est.assign(tok.build()).advantages(), est.assign(nat.build()).advantages(), 1e-6f);
    }

    @Test
    void singletonTurnCellKeepsRawReturnOrZero() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "p", "a", 1, 0.0, 1.0, 2.0); // only rollout with a third turn
        turns(b, "p", "b", 1, 0.0, 0.0);
        Rollouts batch = b.build();
        float raw = turnValue(batch, est.assign(batch).advantages(), 0, 2);
        Params zero = resolved("corrected", Map.of());
        float corrected = turnValue(batch, est.assign(batch, zero).advantages(), 0, 2);
        double grpo = 1.5 / (Math.sqrt(4.5) + 1e-6); // scores 3 and 0: (3 - 1.5)/(unbiased std 2.1213 + eps)
        assertEquals((grpo + 2.0 / (1 + 1e-6)) / 2, raw, 1e-6);
        assertEquals(grpo / 2, corrected, 1e-6);
    }

    @Test
    void trajectoryPartWithoutStd() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "p", "a", 1, 2.0);
        turns(b, "p", "b", 1, 0.0);
        Rollouts batch = b.build();
        Params p = resolved(null, Map.of("normalize_by_std", false));
        // trajectory part 2 - 1 = 1; turn part z = +0.7071 (always by std): (1 + 0.7071)/2
        assertEquals(
                (1 + 1 / (Math.sqrt(2) + 1e-6)) / 2,
                turnValue(batch, est.assign(batch, p).advantages(), 0, 0),
                1e-5);
    }

    @Test
    void trajectoryWithoutPolicyTokensCountsInScoresButGetsNoCredit() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "p", "a", 2, 1.0);
        b.trajectory("p", "empty").outcome(0.0).span(Role.CONTEXT, 3);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        for (int t = batch.tokenStart(1); t < batch.tokenEnd(1); t++) assertEquals(0f, c.advantages()[t]);
        // group of two scores (1, 0): trajectory part 0.7071; turn cell has one member: raw 1/(1+eps)
        assertEquals(
                (1 / (Math.sqrt(0.5) + 1e-6) * 0.5 + 1 / (1 + 1e-6)) / 2, turnValue(batch, c.advantages(), 0, 0), 1e-5);
    }

    @Test
    void batchWithoutRewardsIsRefused() {
        Rollouts batch =
                Rollouts.builder().trajectory("p", "a").span(Role.POLICY, 2).build();
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> dev.apportion.core.credit.EstimatorRegistry.global()
                        .get("matchtir")
                        .assign(batch));
        assertTrue(e.getMessage().contains("matchtir"), e.getMessage());
    }
}
