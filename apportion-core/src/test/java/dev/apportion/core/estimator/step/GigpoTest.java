package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GigpoTest extends EstimatorContract {
    private static final Gigpo GIGPO = new Gigpo();
    private static final double EPS = 1e-4;

    @Override
    protected Estimator estimator() {
        return GIGPO;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(params(
                Map.of("gamma", 0.9, "mode", "mean_std_norm", "episode_stats", "per-trajectory", "step_weight", 0.5)));
    }

    private static Params params(Map<String, ?> values) {
        return Params.resolve(GIGPO.descriptor(), null, values);
    }

    // ---- a tiny batch language: a step is (state, step reward), 2 policy tokens + 1 context token

    private record Step(String state, double reward) {}

    private static Step step(String state, double reward) {
        return new Step(state, reward);
    }

    private static void traj(RolloutsBuilder b, String group, String id, double outcome, Step... steps) {
        b.trajectory(group, id).outcome(outcome);
        for (Step s : steps) {
            b.span(Role.POLICY, 2, s.reward, s.state, null);
            b.span(Role.CONTEXT, 1);
        }
    }

    /** Advantage of every step (its policy span) in batch order, checking the tokens agree. */
    private static double[] perStep(Rollouts batch, Credit c) {
        List<Double> out = new ArrayList<>();
        for (int s = 0; s < batch.spanCount(); s++) {
            if (batch.isPolicySpan(s)) {
                float v = c.spanAdvantages()[s];
                for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                    assertEquals(v, c.advantages()[t], 0f);
                out.add((double) v);
            } else {
                assertEquals(0f, c.spanAdvantages()[s], 0f, "context span credit");
                for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                    assertEquals(0f, c.advantages()[t], 0f);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** framework-estimators.md §2: t1 = s0,s1,s2 with rewards 0,0,10; t2 = s0,s1x with 0,0; gamma 0.95. */
    private static Rollouts workedExample() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "u", "t1", 10, step("s0", 0), step("s1", 0), step("s2", 10));
        traj(b, "u", "t2", 0, step("s0", 0), step("s1x", 0));
        return b.build();
    }

    @Test
    void workedExampleMeanNorm() {
        Rollouts batch = workedExample();
        Credit c = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "mode", "mean_norm")));
        // episode mean over 5 step rows = 30/5 = 6; step group s0 = {9.025, 0} with mean 4.5125; others singletons
        assertArrayEquals(new double[] {8.5125, 4.0, 4.0, -10.5125, -6.0}, perStep(batch, c), EPS);
        assertSame(c.advantages(), c.returns(), "returns are the advantages");
        assertEquals(5.0, c.diagnostics().get("steps"));
        assertEquals(4.0, c.diagnostics().get("step_groups"));
        assertEquals(1.25, c.diagnostics().get("step_group_size_mean"));
        assertEquals(3.0, c.diagnostics().get("singleton_step_groups"));
    }

    @Test
    void workedExampleMeanStdNorm() {
        Rollouts batch = workedExample();
        Credit c = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "mode", "mean_std_norm")));
        assertArrayEquals(new double[] {1.4374, 0.7303, 0.7303, -1.8026, -1.0954}, perStep(batch, c), EPS);
    }

    @Test
    void perTrajectoryEpisodeStatisticsCountEachTrajectoryOnce() {
        Rollouts batch = workedExample();
        Credit c = GIGPO.assign(
                batch, params(Map.of("gamma", 0.95, "mode", "mean_std_norm", "episode_stats", "per-trajectory")));
        // episode scores {10, 0}: mean 5, std 7.0711 → ±0.7071; the s0 step advantage ±0.7071 adds on the first steps
        double e = 5 / Math.sqrt(50);
        double s = 4.5125 / Math.sqrt((4.5125 * 4.5125) * 2);
        assertArrayEquals(new double[] {e + s, e, e, -e - s, -e}, perStep(batch, c), EPS);
    }

    /** methods-agentic.md §1: A = s0→s1 rewards [0,1] (R=1); B = s0→s2→s2 rewards [0,0,0] (R=0). */
    @Test
    void handExampleTellsTheEpisodeStatisticsApart() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "A", 1, step("s0", 0), step("s1", 1));
        traj(b, "g", "B", 0, step("s0", 0), step("s2", 0), step("s2", 0));
        Rollouts batch = b.build();
        Credit rows = GIGPO.assign(batch, params(Map.of("gamma", 0.95)));
        assertArrayEquals(new double[] {1.075, 0.6, -0.875, -0.4, -0.4}, perStep(batch, rows), 1e-6);
        Credit trajs = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "episode_stats", "per-trajectory")));
        assertArrayEquals(new double[] {0.5 + 0.475, 0.5, -0.5 - 0.475, -0.5, -0.5}, perStep(batch, trajs), 1e-6);
        // {B1, B2} share state s2 and equal returns: a step group whose spread is 0 gives 0, also when dividing by std
        Credit std = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "mode", "mean_std_norm", "step_weight", 1.0)));
        double[] a = perStep(batch, std);
        assertEquals(a[3], a[4], 0.0);
        double sd = Math.sqrt((2 * 0.36 + 3 * 0.16) / 4); // episode rows {1, 1, 0, 0, 0}
        assertEquals(-0.4 / sd, a[3], 1e-5);
    }

    @Test
    void episodeScoreIsOutcomePlusTokenRewardsOfTheStepAndItsObservation() {
        // leading context (reward 5) belongs to no step; step 1 = policy [1, 0] + context [2]; step 2 = policy [0.25]
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(0.5)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, Double.NaN, "a", null)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, Double.NaN, "b", null)
                .span(Role.CONTEXT, 0)
                .tokenSignal(Rollouts.REWARD, new float[] {5f, 1f, 0f, 2f, 0.25f})
                .build();
        // one trajectory counted once: mean 0, std 1, so each step keeps its own score
        Credit once = GIGPO.assign(batch, params(Map.of("episode_stats", "per-trajectory")));
        assertArrayEquals(new double[] {3.5, 0.75}, perStep(batch, once), 1e-6);
        assertEquals(0f, once.advantages()[0], 0f);
        // two step rows: mean 2.125
        Credit rows = GIGPO.assign(batch, params(Map.of()));
        assertArrayEquals(new double[] {1.375, -1.375}, perStep(batch, rows), 1e-6);
    }

    @Test
    void aGroupWithOneStepRowKeepsItsRawScore() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "solo", "t", 3.0, step("s", 1.0));
        traj(b, "pair", "u", 1.0, step("s", 0.0));
        traj(b, "pair", "v", 0.0, step("s", 0.0));
        Rollouts batch = b.build();
        Credit c = GIGPO.assign(batch, params(Map.of("mode", "mean_std_norm")));
        double[] a = perStep(batch, c);
        assertEquals(3.0 / (1 + 1e-6), a[0], 1e-6, "episode level: mean 0, std 1; step level: singleton gives 0");
        // state "s" in group "pair" is another step group than "s" in group "solo"
        assertEquals(1.0, c.diagnostics().get("singleton_step_groups"));
        assertEquals(2.0, c.diagnostics().get("step_groups"));
        assertEquals(0.5 / Math.sqrt(0.5), a[1], 1e-5); // scores {1, 0}; equal returns give step advantage 0
    }

    @Test
    void stepWeightScalesTheStepLevelOnly() {
        Rollouts batch = workedExample();
        Credit none = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "step_weight", 0.0)));
        assertArrayEquals(new double[] {4, 4, 4, -6, -6}, perStep(batch, none), EPS);
        Credit half = GIGPO.assign(batch, params(Map.of("gamma", 0.95, "step_weight", 0.5)));
        assertArrayEquals(new double[] {4 + 0.5 * 4.5125, 4, 4, -6 - 0.5 * 4.5125, -6}, perStep(batch, half), EPS);
    }

    @Test
    void undiscountedByDefaultAsTheYaml() {
        Rollouts batch = workedExample();
        Credit c = GIGPO.assign(batch);
        // G = [10, 10, 10, 0, 0]; s0 group {10, 0} mean 5
        assertArrayEquals(new double[] {9, 4, 4, -11, -6}, perStep(batch, c), EPS);
    }

    // ---- similarity grouping ----------------------------------------------------------------

    private static final String KEY = "You are in room A. You see a key.";
    private static final String KEY2 = "You are in room A. You see a key!";

    @Test
    void similarityGroupingMergesNearDuplicateStatesOnly() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "t1", 0, step(KEY, 1));
        traj(b, "g", "t2", 0, step(KEY2, 0));
        traj(b, "g", "t3", 0, step("Hall", 5));
        Rollouts batch = b.build();
        Credit exact = GIGPO.assign(batch, params(Map.of()));
        assertEquals(3.0, exact.diagnostics().get("step_groups"));
        assertArrayEquals(new double[] {0, 0, 0}, perStep(batch, exact), 0.0);
        Credit similar = GIGPO.assign(batch, params(Map.of("similarity_threshold", 0.95)));
        assertEquals(2.0, similar.diagnostics().get("step_groups"));
        assertArrayEquals(new double[] {0.5, -0.5, 0}, perStep(batch, similar), 1e-6);
    }

    @Test
    void similarStateJoinsTheFirstMatchingGroupInBatchOrder() {
        // reps "abcdefghij" and "abcdefghxy" are 0.8 apart (two groups at 0.85); "abcdefghiy" is 0.9 from both
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "r1", 0, step("abcdefghij", 4));
        traj(b, "g", "r2", 0, step("abcdefghxy", 2));
        traj(b, "g", "x", 0, step("abcdefghiy", 0));
        Rollouts batch = b.build();
        Params p = params(Map.of("similarity_threshold", 0.85));
        assertArrayEquals(new double[] {2, 0, -2}, perStep(batch, GIGPO.assign(batch, p)), 1e-6);
        // the same trajectories with r2 first: now x joins r2's group (order dependence, as in verl-agent)
        RolloutsBuilder b2 = Rollouts.builder();
        traj(b2, "g", "r2", 0, step("abcdefghxy", 2));
        traj(b2, "g", "r1", 0, step("abcdefghij", 4));
        traj(b2, "g", "x", 0, step("abcdefghiy", 0));
        Rollouts reordered = b2.build();
        assertArrayEquals(new double[] {1, 0, -1}, perStep(reordered, GIGPO.assign(reordered, p)), 1e-6);
    }

    @Test
    void similarityThresholdOneIsRefused() {
        Params p = params(Map.of("similarity_threshold", 1.0));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GIGPO.assign(workedExample(), p));
        assertTrue(e.getMessage().contains("similarity_threshold"), e.getMessage());
    }

    // ---- edge cases and errors --------------------------------------------------------------

    @Test
    void aPolicySpanWithoutStateIsAnError() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.POLICY, 2, 0, "s", null)
                .span(Role.POLICY, 1)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> GIGPO.assign(batch));
        assertTrue(e.getMessage().contains("state"), e.getMessage());
        assertTrue(e.getMessage().contains("trajectory 0"), e.getMessage());
    }

    @Test
    void aBatchWithoutAnyRewardIsAnError() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .span(Role.POLICY, 2, Double.NaN, "s", null)
                .build();
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> dev.apportion.core.credit.EstimatorRegistry.global()
                        .get("gigpo")
                        .assign(batch));
        assertTrue(e.getMessage().contains("gigpo"), e.getMessage());
    }

    @Test
    void trajectoriesWithoutStepsGetNothingAndDoNotCount() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1, step("s", 0));
        b.trajectory("g", "prompt-only").outcome(7).span(Role.CONTEXT, 3);
        traj(b, "g", "c", 0, step("s", 0));
        Rollouts batch = b.build();
        Credit c = GIGPO.assign(batch);
        assertArrayEquals(new double[] {0.5, -0.5}, perStep(batch, c), 1e-6);
        assertEquals(2.0, c.diagnostics().get("steps"));
    }

    @Test
    void aBatchWithoutPolicySpansGetsZeros() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(Role.CONTEXT, 3)
                .build();
        Credit c = GIGPO.assign(batch);
        assertArrayEquals(new float[3], c.advantages());
        assertEquals(0.0, c.diagnostics().get("steps"));
    }

    @Test
    void anEmptyPolicySpanIsStillAStep() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 0, Double.NaN, "s", null)
                .span(Role.POLICY, 2, Double.NaN, "t", null)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 1, Double.NaN, "t", null)
                .build();
        // span rewards only in the step return (the default would add the outcome to each last step)
        Credit c = GIGPO.assign(batch, params(Map.of("outcome_step_reward", "never")), Execution.sequential());
        // three step rows, scores {1, 1, 0}: mean 2/3; step group t = {G 0, G 0}
        assertEquals(3.0, c.diagnostics().get("steps"));
        assertEquals(1 - 2.0 / 3, c.spanAdvantages()[0], 1e-6);
        assertEquals(1 - 2.0 / 3, c.advantages()[0], 1e-6);
        assertEquals(-2.0 / 3, c.advantages()[2], 1e-6);
    }

    @Test
    void outcomeComponentsStandInForAMissingOutcome() {
        Rollouts batch = Rollouts.builder()
                .trajectory("g", "a")
                .outcomeComponent("f0", 1)
                .outcomeComponent("f1", Double.NaN)
                .span(Role.POLICY, 1, Double.NaN, "s", null)
                .trajectory("g", "b")
                .outcomeComponent("f0", 0)
                .outcomeComponent("f1", 2)
                .span(Role.POLICY, 1, Double.NaN, "s", null)
                .build();
        Credit c = GIGPO.assign(batch, params(Map.of("outcome_step_reward", "never")), Execution.sequential());
        assertEquals(-0.5, c.advantages()[0], 1e-6);
        assertEquals(0.5, c.advantages()[1], 1e-6);
    }

    @Test
    void parallelRunIsIdenticalOnManyGroups() {
        RandomBatches.Options o = new RandomBatches.Options(60, 1, 8, false, true, true, true);
        Rollouts batch = RandomBatches.build(RandomBatches.trajectories(11, o));
        Params p = params(Map.of("gamma", 0.95, "mode", "mean_std_norm"));
        Credit seq = GIGPO.assign(batch, p);
        try (Execution ex = Execution.threads(2)) {
            Credit par = GIGPO.assign(batch, p, ex);
            assertArrayEquals(seq.advantages(), par.advantages());
            assertArrayEquals(seq.spanAdvantages(), par.spanAdvantages());
            assertEquals(seq.diagnostics(), par.diagnostics());
        }
    }

    // ---- registration and presets -----------------------------------------------------------

    @Test
    void registeredWithItsPresets() {
        Estimator e = EstimatorRegistry.global().get("gigpo");
        assertInstanceOf(Gigpo.class, e.unwrap());
        Map<String, Map<String, Object>> presets = e.descriptor().presets();
        assertEquals(
                List.of("verl-agent", "verl-agent-alfworld", "verl-agent-webshop", "verl-agent-search", "paper"),
                new ArrayList<>(presets.keySet()));
        assertEquals(
                Params.defaults(e.descriptor()).values(),
                Params.resolve(e.descriptor(), "verl-agent", Map.of()).values(),
                "defaults are verl-agent's yaml");
        Map<String, Object> alfworld = new HashMap<>(
                Params.resolve(e.descriptor(), "verl-agent-alfworld", Map.of()).values());
        assertEquals(0.95, alfworld.get("gamma"));
        assertEquals("mean_std_norm", alfworld.get("mode"));
        assertEquals(
                0.9,
                Params.resolve(e.descriptor(), "verl-agent-search", Map.of()).getDouble("similarity_threshold"));
        assertEquals(
                "per-trajectory",
                Params.resolve(e.descriptor(), "paper", Map.of()).getString("episode_stats"));
    }

    // ---- issue 7: outcome-only batches ------------------------------------------------------

    /** Steps of outcome-only trajectories (no span rewards): state keys, 2 policy tokens + 1 context. */
    private static void outcomeOnly(RolloutsBuilder b, String group, String id, double outcome, String... states) {
        b.trajectory(group, id).outcome(outcome);
        for (String st : states) {
            b.span(Role.POLICY, 2, Double.NaN, st, null);
            b.span(Role.CONTEXT, 1);
        }
    }

    private static Rollouts outcomeOnlyBatch() {
        RolloutsBuilder b = Rollouts.builder();
        // anchor state "s1" is reached by both trajectories; from it, x succeeds and y fails
        outcomeOnly(b, "g", "a", 1.0, "s0", "s1", "x");
        outcomeOnly(b, "g", "b", 0.0, "s0", "s1", "y");
        outcomeOnly(b, "g", "c", 0.0, "s0", "z");
        return b.build();
    }

    @Test
    void outcomeEntersTheLastStepRewardWhenTheBatchHasNoSpanRewards() {
        Rollouts batch = outcomeOnlyBatch();
        double[] on = perStep(batch, GIGPO.assign(batch, params(Map.of()), Execution.sequential()));
        double[] flat = perStep(batch, GIGPO.assign(batch, params(Map.of("step_weight", 0.0)), Execution.sequential()));
        double maxDiff = 0;
        for (int i = 0; i < on.length; i++) maxDiff = Math.max(maxDiff, Math.abs(on[i] - flat[i]));
        assertTrue(maxDiff > 0.1, "the anchor-state term must not vanish on outcome-only data, max diff " + maxDiff);
        // gamma 1: step return = outcome for every step; group s0 = {1, 0, 0} mean 1/3; s1 = {1, 0} mean 1/2
        // episode: per-step-row mean over 8 steps = 3/8
        double e1 = 1 - 3.0 / 8;
        double e0 = -3.0 / 8;
        assertEquals(e1 + (1 - 1.0 / 3), on[0], EPS);
        assertEquals(e1 + 0.5, on[1], EPS);
        assertEquals(e1, on[2], EPS); // singleton step group "x"
        assertEquals(e0 - 1.0 / 3, on[3], EPS);
        assertEquals(e0 - 0.5, on[4], EPS);
        // the documented opt-out restores the span-rewards-only step return (A^S = 0 here)
        double[] never = perStep(
                batch, GIGPO.assign(batch, params(Map.of("outcome_step_reward", "never")), Execution.sequential()));
        assertArrayEquals(flat, never, EPS);
    }

    @Test
    void outcomeStaysOutOfStepReturnsWhenSpanRewardsExist() {
        RolloutsBuilder b = Rollouts.builder();
        traj(b, "g", "a", 1.0, step("s0", 0.0), step("s1", 0.5));
        traj(b, "g", "b", 0.0, step("s0", 0.0), step("s1", 0.0));
        Rollouts batch = b.build();
        double[] auto = perStep(batch, GIGPO.assign(batch, params(Map.of()), Execution.sequential()));
        double[] never = perStep(
                batch, GIGPO.assign(batch, params(Map.of("outcome_step_reward", "never")), Execution.sequential()));
        assertArrayEquals(never, auto, 0);
    }

    @Test
    void allZeroStepTermIsReportedAsADiagnostic() {
        RolloutsBuilder b = Rollouts.builder();
        outcomeOnly(b, "g", "a", 1.0, "s0", "p");
        outcomeOnly(b, "g", "b", 0.0, "s0", "q");
        Rollouts batch = b.build();
        Credit never = GIGPO.assign(batch, params(Map.of("outcome_step_reward", "never")), Execution.sequential());
        assertEquals(1.0, ((Number) never.diagnostics().get("step_term_all_zero")).doubleValue());
        Credit auto = GIGPO.assign(batch, params(Map.of()), Execution.sequential());
        assertEquals(0.0, ((Number) auto.diagnostics().get("step_term_all_zero")).doubleValue());
    }
}
