package dev.apportion.core.estimator.trajectory;

import static dev.apportion.core.estimator.trajectory.Batches.assertPerTrajectory;
import static dev.apportion.core.estimator.trajectory.Batches.groups;
import static dev.apportion.core.estimator.trajectory.Batches.outcomes;
import static dev.apportion.core.estimator.trajectory.Batches.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpoTest extends EstimatorContract {
    private final Grpo grpo = new Grpo();

    @Override
    protected Estimator estimator() {
        return grpo;
    }

    /** The openrlhf preset refuses groups of one, so the shared invariants run on groups of 2..6 (with empty trajectories). */
    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, false, true, true, true);
    }

    private static final String[] EDGE = groups("a", "a", "a", "b", "c", "c");

    @Test
    void verlWorkedExample() {
        // framework-estimators.md §1.3: s = [1,0,0 | 1 | .5,.5]
        Rollouts b = outcomes(EDGE, 1, 0, 0, 1, .5, .5);
        Credit c = grpo.assign(b);
        assertPerTrajectory(b, c, 1e-4, 1.1547, -0.5773, -0.5773, 0.99999905, 0, 0);
        assertSame(c.advantages(), c.returns(), "returns are the advantages");
        assertEquals(1.0, c.diagnostics().get("singleton_groups"));
        assertEquals(1.0, c.diagnostics().get("tied_groups"));
        assertPerTrajectory(
                b, run(grpo, b, null, Map.of("normalize_by_std", false)), 1e-4, 0.6667, -0.3333, -0.3333, 1.0, 0, 0);
    }

    @Test
    void unbiasedVersusPopulationStd() {
        // methods-reasoning.md §21: R = [1,0,1,1]
        Rollouts b = outcomes(groups("g", "g", "g", "g"), 1, 0, 1, 1);
        assertPerTrajectory(b, grpo.assign(b), 1e-4, 0.5, -1.5, 0.5, 0.5);
        assertPerTrajectory(b, run(grpo, b, "paper", Map.of()), 1e-4, 0.5773, -1.7320, 0.5773, 0.5773);
        assertPerTrajectory(b, run(grpo, b, null, Map.of("std", "population")), 1e-4, 0.5773, -1.7320, 0.5773, 0.5773);
    }

    @Test
    void epsilonOnTheVariance() {
        Rollouts b = outcomes(groups("g", "g"), 0, 1);
        // σ = sqrt(0.5); (s−μ)/sqrt(σ² + 0.25) = ±0.5/sqrt(0.75)
        double want = 0.5 / Math.sqrt(0.75);
        assertPerTrajectory(
                b, run(grpo, b, null, Map.of("epsilon", 0.25, "epsilon_on", "variance")), 1e-6, -want, want);
        assertPerTrajectory(
                b,
                run(grpo, b, null, Map.of("epsilon", 0.25)),
                1e-6,
                -0.5 / (Math.sqrt(0.5) + 0.25),
                0.5 / (Math.sqrt(0.5) + 0.25));
    }

    @Test
    void stdFloorFollowsVerlVectorized() {
        // framework-estimators.md §1.3: [1.0, 1.0005] gives ±0.7051 in the loop version, ±0.2497 vectorized
        Rollouts b = outcomes(groups("g", "g"), 1.0, 1.0005);
        assertPerTrajectory(b, grpo.assign(b), 1e-3, -0.7051, 0.7051);
        assertPerTrajectory(b, run(grpo, b, "verl_vectorized", Map.of()), 1e-3, -0.2497, 0.2497);
        assertPerTrajectory(b, run(grpo, b, null, Map.of("std_floor", 1e-3)), 1e-3, -0.2497, 0.2497);
    }

    @Test
    void singletonGroupRawZeroOrRefused() {
        Rollouts b = outcomes(groups("a", "b", "b"), 2.0, 1, 0);
        double z = 0.5 / (Math.sqrt(0.5) + 1e-6);
        assertPerTrajectory(b, grpo.assign(b), 1e-6, 2.0 / (1 + 1e-6), z, -z);
        assertPerTrajectory(b, run(grpo, b, null, Map.of("singleton", "zero")), 1e-6, 0, z, -z);
        assertPerTrajectory(b, run(grpo, b, "verl_vectorized", Map.of()), 1e-6, 2.0 / (1 + 1e-6), z, -z);
        RolloutException e = assertThrows(RolloutException.class, () -> run(grpo, b, "openrlhf", Map.of()));
        assertTrue(e.getMessage().contains("group 'a'") && e.getMessage().contains("t0"), e.getMessage());
        assertEquals(0, e.trajectory());
    }

    @Test
    void allEqualRewardsGiveExactlyZero() {
        Rollouts b = outcomes(groups("g", "g", "g"), 0.1, 0.1, 0.1);
        for (String preset : List.of("verl", "verl_vectorized", "openrlhf", "trl", "paper")) {
            Credit c = run(grpo, b, preset, Map.of("kl_coef", 0.0));
            for (float a : c.advantages()) assertEquals(0f, a, 0f, preset);
        }
    }

    @Test
    void zeroLengthContextSpansAndATrajectoryWithoutPolicyTokens() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "x")
                .outcome(1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 0)
                .trajectory("g", "empty")
                .outcome(0)
                .span(Role.CONTEXT, 3)
                .trajectory("g", "y")
                .outcome(0)
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 1)
                .build();
        Credit c = grpo.assign(b);
        // the empty trajectory's score still counts: s = [1, 0, 0] → [1.1547, −.5773, −.5773]
        assertPerTrajectory(b, c, 1e-4, 1.1547, 0, -0.5773);
        for (int t = b.tokenStart(1); t < b.tokenEnd(1); t++) assertEquals(0f, c.advantages()[t]);
    }

    @Test
    void scoreIsTheRowSumOfOutcomeSpanAndTokenRewards() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2, 0.5, null, null)
                .tokenSignal("reward", new float[] {0.25f, 0})
                .trajectory("g", "b")
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .tokenSignal("reward", new float[] {0, 0, -0.25f})
                .build();
        // s = [1.75, −0.25] → ±1/sqrt(2) with ε
        assertPerTrajectory(b, run(grpo, b, null, Map.of("normalize_by_std", false)), 1e-6, 1.0, -1.0);
    }

    @Test
    void trlSkipsMissingRewardsAndWeightsComponents() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcomeComponent("acc", 1)
                .outcomeComponent("fmt", Double.NaN)
                .span(Role.POLICY, 2)
                .trajectory("g", "b")
                .outcomeComponent("acc", 0)
                .outcomeComponent("fmt", 1)
                .span(Role.POLICY, 2)
                .trajectory("g", "c")
                .outcomeComponent("acc", Double.NaN)
                .outcomeComponent("fmt", Double.NaN)
                .span(Role.POLICY, 2)
                .trajectory("g", "d")
                .outcomeComponent("acc", 1)
                .outcomeComponent("fmt", 1)
                .span(Role.POLICY, 2)
                .build();
        // weights [1, 2]: r = [1, 2, NaN, 3]; mean 2, unbiased σ 1; c is unscorable → 0
        Credit c = run(grpo, b, "trl", Map.of("reward_weights", List.of(1.0, 2.0)));
        assertPerTrajectory(b, c, 1e-6, -1 / 1.0001, 0, 0, 1 / 1.0001);
        assertEquals(1.0, c.diagnostics().get("skipped_trajectories"));
        // verl semantics: the absent values count 0: r = [1, 1, 0, 2] (weights 1)
        assertPerTrajectory(b, run(grpo, b, null, Map.of("normalize_by_std", false)), 1e-6, 0, 0, -1, 1);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> run(grpo, b, "trl", Map.of("reward_weights", List.of(1.0))));
        assertTrue(e.getMessage().contains("2 outcome components"), e.getMessage());
    }

    @Test
    void trlBatchScaleUsesTheGroupMeanAndTheBatchStd() {
        Rollouts b = outcomes(groups("a", "a", "b", "b"), 0, 2, 10, 10);
        // batch σ of [0,2,10,10] (unbiased) = sqrt(((−5.5)²+(−3.5)²+4.5²+4.5²)/3)
        double sigma = Math.sqrt((5.5 * 5.5 + 3.5 * 3.5 + 4.5 * 4.5 * 2) / 3);
        Credit c = run(grpo, b, "trl", Map.of("scale_rewards", "batch"));
        assertPerTrajectory(b, c, 1e-6, -1 / (sigma + 1e-4), 1 / (sigma + 1e-4), 0, 0);
        assertPerTrajectory(b, run(grpo, b, "trl", Map.of("scale_rewards", "none")), 1e-6, -1, 1, 0, 0);
    }

    @Test
    void trlNormalizeThenSum() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcomeComponent("x", 0)
                .outcomeComponent("y", 5)
                .span(Role.POLICY, 1)
                .trajectory("g", "b")
                .outcomeComponent("x", 2)
                .outcomeComponent("y", 5)
                .span(Role.POLICY, 1)
                .trajectory("h", "c")
                .outcomeComponent("x", 1)
                .outcomeComponent("y", 0)
                .span(Role.POLICY, 1)
                .trajectory("h", "d")
                .outcomeComponent("x", 1)
                .outcomeComponent("y", 4)
                .span(Role.POLICY, 1)
                .build();
        // per group z (tied groups give 0): x → [−z1, z1, 0, 0] with z1 = 1/(sqrt 2 + 1e-4);
        // y → [0, 0, −z2, z2] with z2 = 2/(2 sqrt 2 + 1e-4)
        double z1 = 1 / (Math.sqrt(2) + 1e-4);
        double z2 = 2 / (2 * Math.sqrt(2) + 1e-4);
        // r = [−z1, z1, −z2, z2] (weights 1); batch z-score: mean 0, unbiased σ
        double sigma = Math.sqrt((2 * z1 * z1 + 2 * z2 * z2) / 3);
        double w1 = z1 / (sigma + 1e-4);
        double w2 = z2 / (sigma + 1e-4);
        Credit c = run(grpo, b, "trl", Map.of("multi_objective_aggregation", "normalize_then_sum"));
        assertPerTrajectory(b, c, 1e-6, -w1, w1, -w2, w2);
    }

    @Test
    void openRlhfGroupNormEpsilonIsVisibleNearTies() {
        // openrlhf-trl.md §2.2: rewards {0, 2^-27} give ±0.5943 with ε = 1e-9 on the std
        Rollouts b = outcomes(groups("p", "p"), 0, Math.pow(2, -27));
        assertPerTrajectory(b, run(grpo, b, "openrlhf", Map.of("kl_coef", 0.0)), 1e-4, -0.5943, 0.5943);
    }

    @Test
    void openRlhfClipsAfterShapingAndAddsTheKlPenaltyFromTheEnd() {
        Rollouts b = Rollouts.builder()
                .trajectory("p", "a")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal("logprob", new float[] {0, -1, -1, 9, -2})
                .tokenSignal("ref_logprob", new float[] {5, -1.5f, -1, -9, -1})
                .trajectory("p", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .tokenSignal("logprob", new float[] {-1})
                .tokenSignal("ref_logprob", new float[] {-1})
                .build();
        Params p = resolved("openrlhf", Map.of("kl_coef", 0.1, "reward_clip_range", List.of(-0.5, 0.5), "gamma", 0.5));
        Credit c = grpo.assign(b, p);
        // shaped (1−.5)/(σ + 1e-9) = 0.7071 → clipped to 0.5; k1 per policy token of a: [.5, 0, −1]; the hole (index 3,
        // KL 18 would clamp to 10) is context and gets no penalty; γ is forced to 1.
        float[] a = c.advantages();
        assertEquals(0f, a[0]);
        assertEquals(0.5 - 0.1 * (0.5 + 0 - 1), a[1], 1e-6);
        assertEquals(0.5 - 0.1 * (0 - 1), a[2], 1e-6);
        assertEquals(0f, a[3]);
        assertEquals(0.5 - 0.1 * (-1), a[4], 1e-6);
        assertEquals(-0.5, a[5], 1e-6);
        assertSame(c.advantages(), c.returns());
        assertEquals(0.5, c.diagnostics().get("gamma_requested"));
        // the KL penalty needs the log-probs
        Rollouts noLp = outcomes(groups("p", "p"), 0, 1);
        RolloutException e = assertThrows(RolloutException.class, () -> grpo.assign(noLp, p));
        assertTrue(e.getMessage().contains("logprob") && e.getMessage().contains("kl_coef"), e.getMessage());
    }

    @Test
    void openRlhfKlClampAtTen() {
        Rollouts b = Rollouts.builder()
                .trajectory("p", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal("logprob", new float[] {0})
                .tokenSignal("ref_logprob", new float[] {-30})
                .trajectory("p", "b")
                .outcome(1)
                .span(Role.POLICY, 1)
                .tokenSignal("logprob", new float[] {0})
                .tokenSignal("ref_logprob", new float[] {0})
                .build();
        Credit c = run(grpo, b, "openrlhf", Map.of("kl_coef", 0.5));
        assertEquals(-5.0, c.advantages()[0], 1e-6);
        assertEquals(0.0, c.advantages()[1], 0);
        Credit asLoss = run(grpo, b, "openrlhf", Map.of("kl_coef", 0.5, "kl_use_loss", true));
        assertEquals(0.0, asLoss.advantages()[0], 0);
    }

    @Test
    void aBatchWithoutAnyRewardIsRefused() {
        Rollouts b =
                Rollouts.builder().trajectory("g", "a").span(Role.POLICY, 2).build();
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> dev.apportion.core.credit.EstimatorRegistry.global()
                        .get("grpo")
                        .assign(b));
        assertTrue(e.getMessage().contains("'grpo'") && e.getMessage().contains("reward"), e.getMessage());
    }

    @Test
    void emptyBatch() {
        Rollouts b = Rollouts.builder().build();
        assertEquals(0, grpo.assign(b).advantages().length);
    }

    @Test
    void badClipRangeIsRefused() {
        Rollouts b = outcomes(groups("g", "g"), 0, 1);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> run(grpo, b, null, Map.of("reward_clip_range", List.of(1.0, -1.0))));
        assertTrue(e.getMessage().contains("reward_clip_range"), e.getMessage());
    }
}
