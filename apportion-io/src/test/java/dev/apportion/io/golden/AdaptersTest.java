package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The four standard adapters on small hand-built cases, and structurally on every real case they accept. */
class AdaptersTest {
    private static GoldenCase one(String json) {
        return GoldenFiles.parse(json).get(0);
    }

    private static String spans(Rollouts b, int i) {
        StringBuilder sb = new StringBuilder();
        for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
            sb.append(b.spanRole(s) == Role.POLICY ? "P" : "C").append(b.spanTokenEnd(s) - b.spanTokenStart(s));
        }
        return sb.toString();
    }

    @Test
    void verlLayoutCutsRowsIntoSpansAtEveryMaskChange() {
        GoldenCase c = one("{\"case\":\"v\",\"estimator\":\"echo\",\"params\":{\"epsilon\":1e-6,\"std_floor\":null},"
                + "\"input\":{\"token_level_rewards\":[[0,1,2,3,4,5],[0,0,0,0,0,7]],"
                + "\"response_mask\":[[0,1,1,0,1,0],[1,1,1,1,1,1]],\"index\":[\"q\",3],"
                + "\"values\":[[1,2,3,4,5,6],[6,5,4,3,2,1]],\"reward_baselines\":[0.5,0.25]},"
                + "\"expected\":{\"advantages\":[[0,1,2,0,4,0],[0,0,0,0,0,7]]}}");
        GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
        assertInstanceOf(VerlLayoutAdapter.class, a);
        AdaptedCase ad = a.adapt(c);
        Rollouts b = ad.batch();
        assertEquals(2, b.trajectoryCount());
        assertEquals("row0", b.trajectoryId(0));
        assertEquals("q", b.groupKey(b.trajectoryGroup(0)));
        assertEquals("3", b.groupKey(b.trajectoryGroup(1)));
        assertEquals("C1P2C1P1C1", spans(b, 0));
        assertEquals("P6", spans(b, 1));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 7}, b.tokenSignal(Rollouts.REWARD));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1}, b.tokenSignal(Rollouts.VALUE));
        assertArrayEquals(new float[] {0.5f, 0.25f}, b.trajectorySignal("reward_baseline"));
        assertArrayEquals(new int[] {6, 7, 8, 9, 10, 11}, ad.tokenIndex()[1]);
        assertEquals(Map.of("epsilon", 1e-6), ad.params(), "params verbatim, JSON null left out");
        assertThrows(UnsupportedOperationException.class, () -> ad.params().put("x", 1), "read-only");
        assertNull(ad.preset());

        CaseResult r = Conformance.run(c, EstimatorRegistry.of(List.of(TestEstimators.echo())));
        assertEquals(CaseResult.Status.PASSED, r.status(), r.detail());
    }

    @Test
    void verlLayoutWithoutIndexPutsEveryRowInItsOwnGroup() {
        GoldenCase c = one("{\"case\":\"v\",\"estimator\":\"echo\",\"input\":{\"token_level_rewards\":[[0,1],[2,3]],"
                + "\"response_mask\":[[1,1],[1,0]]},\"expected\":{\"advantages\":[[0,1],[2,0]]}}");
        Rollouts b = new VerlLayoutAdapter().adapt(c).batch();
        assertEquals(2, b.groupCount());
        assertEquals("row1", b.groupKey(b.trajectoryGroup(1)));
    }

    @Test
    void verlLayoutRejectsAMaskThatIsNotZeroOrOne() {
        GoldenCase c = one("{\"case\":\"v\",\"estimator\":\"echo\",\"input\":{\"token_level_rewards\":[[0,1]],"
                + "\"response_mask\":[[1,0.5]],\"index\":[\"q\"]},\"expected\":{\"advantages\":[[0,1]]}}");
        CaseResult r = Conformance.run(c, EstimatorRegistry.of(List.of(TestEstimators.echo())));
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertEquals(
                "the verl layout adapter rejected the case: response_mask[0][1] must be 0 or 1, got 0.5", r.detail());
    }

    @Test
    void comparisonRequiresZeroOnContextTokensAndTheExpectedReturns() {
        // echo puts the reward on policy tokens only; expecting a value on a context position is ignored,
        // but a case expecting returns from an estimator that has none fails
        GoldenCase c = one(
                "{\"case\":\"v\",\"estimator\":\"noreturns\",\"input\":{\"token_level_rewards\":[[5,1]],"
                        + "\"response_mask\":[[0,1]],\"index\":[\"q\"]},\"expected\":{\"advantages\":[[99,1]],\"returns\":[[0,1]]}}");
        EstimatorRegistry reg = EstimatorRegistry.of(List.of(TestEstimators.of(
                dev.apportion.core.credit.Descriptor.builder("noreturns").build(),
                (b, p) -> dev.apportion.core.credit.Credit.of(new float[] {0f, 1f}))));
        CaseResult r = Conformance.run(c, reg);
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertEquals("the case expects returns but the estimator produced none", r.detail());

        EstimatorRegistry leaky = EstimatorRegistry.of(List.of(TestEstimators.of(
                dev.apportion.core.credit.Descriptor.builder("noreturns").build(),
                (b, p) -> dev.apportion.core.credit.Credit.builder(new float[] {0.5f, 1f})
                        .returns(new float[] {0f, 1f})
                        .build())));
        r = Conformance.run(c, leaky);
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertEquals(
                "1 of 3 values outside tolerance; worst advantages[0][0]: want 0, got 0.5 (|diff| 0.5 > tolerance 0)",
                r.detail());
    }

    @Test
    void gigpoStepsFormTrajectoriesInOrderOfFirstAppearance() {
        // rows: t1 step0, t0 step0, t1 step1 (interleaved); row 1 has no padding, row 2 has no valid token
        GoldenCase c = one(
                "{\"case\":\"g\",\"estimator\":\"echo\",\"params\":{\"gamma\":0.95},"
                        + "\"input\":{\"layout\":\"one row per step\","
                        + "\"token_level_rewards\":[[1,2,0],[3,4,5],[0,0,6]],"
                        + "\"response_mask\":[[1,1,0],[1,1,1],[0,0,0]],"
                        + "\"index\":[\"p\",\"p\",\"p\"],\"traj_index\":[\"t1\",\"t0\",\"t1\"],"
                        + "\"anchor_obs\":[\"s0\",{\"x\":1},\"s1\"],\"step_env_rewards\":[0.5,-0.1,2]},"
                        + "\"expected\":{\"advantages\":[[1,2,0],[3,4,5],[0,0,0]],\"returns\":[[0.5,0.5,0],[-0.1,-0.1,-0.1],[0,0,0]]}}");
        GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
        assertInstanceOf(GigpoStepAdapter.class, a);
        AdaptedCase ad = a.adapt(c);
        Rollouts b = ad.batch();
        assertEquals(2, b.trajectoryCount());
        assertEquals("t1", b.trajectoryId(0));
        assertEquals("t0", b.trajectoryId(1));
        assertEquals("P2C1P0C3", spans(b, 0));
        assertEquals("P3C0", spans(b, 1));
        assertArrayEquals(new String[] {"s0", null, "s1", null, "{\"x\":1}", null}, b.spanState());
        float[] sr = b.spanReward();
        assertEquals(0.5f, sr[0]);
        assertTrue(Float.isNaN(sr[1]));
        assertEquals(2f, sr[2]);
        assertEquals(-0.1f, sr[4]);
        assertArrayEquals(new float[] {1, 2, 0, 0, 0, 6, 3, 4, 5}, b.tokenSignal(Rollouts.REWARD));
        assertArrayEquals(new int[] {0, 1, 2}, ad.tokenIndex()[0]);
        assertArrayEquals(new int[] {6, 7, 8}, ad.tokenIndex()[1]);
        assertArrayEquals(new int[] {3, 4, 5}, ad.tokenIndex()[2]);
        assertEquals(Map.of("gamma", 0.95), ad.params());

        CaseResult r = Conformance.run(c, EstimatorRegistry.of(List.of(TestEstimators.echo())));
        assertEquals(CaseResult.Status.PASSED, r.status(), r.detail());
    }

    @Test
    void gigpoRejectsAMaskWithAHoleAndATrajectoryInTwoGroups() {
        String hole = "{\"case\":\"g\",\"estimator\":\"echo\",\"input\":{\"layout\":\"one row per step\","
                + "\"token_level_rewards\":[[1,2,3]],\"response_mask\":[[1,0,1]],\"index\":[\"p\"],\"traj_index\":[\"t\"]},"
                + "\"expected\":{\"advantages\":[[1,0,3]]}}";
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new GigpoStepAdapter().adapt(one(hole)));
        assertEquals(
                "input.response_mask[0] has a 1 after a 0 at position 2; the 'one row per step' layout needs each row's"
                        + " valid tokens first, then padding (0s)",
                e.getMessage());
        String twoGroups = "{\"case\":\"g\",\"estimator\":\"echo\",\"input\":{\"layout\":\"one row per step\","
                + "\"token_level_rewards\":[[1],[2]],\"response_mask\":[[1],[1]],\"index\":[\"p\",\"q\"],\"traj_index\":[\"t\",\"t\"]},"
                + "\"expected\":{\"advantages\":[[1],[2]]}}";
        e = assertThrows(IllegalArgumentException.class, () -> new GigpoStepAdapter().adapt(one(twoGroups)));
        assertEquals(
                "trajectory 't' has rows in two groups: input.index[0] = 'p' but input.index[1] = 'q'", e.getMessage());
    }

    @Test
    void openRlhfMapsScalarsAndLogprobsAndRenamesParams() {
        GoldenCase c = one("{\"case\":\"o\",\"estimator\":\"rloo\",\"preset\":\"openrlhf\","
                + "\"params\":{\"estimator\":\"rloo\",\"n_samples_per_prompt\":2,\"gamma\":0.9,\"lambd\":0.95,"
                + "\"init_kl_coef\":0.01,\"kl_estimator\":\"k3\",\"kl_use_loss\":false,\"reward_clip_range\":[-10.0,10.0],\"no_std_norm\":true},"
                + "\"input\":{\"rewards\":[1.5,-0.5],\"index\":[0,0],\"response_mask\":[[0,1,1],[1,0,0]],"
                + "\"logprobs\":[[-1,-2,-3],[-4,-5,-6]],\"ref_logprobs\":[[-1.5,-2.5,-3.5],[-4.5,-5.5,-6.5]],\"micro_batches\":[[1],[0]]},"
                + "\"expected\":{\"advantages\":[[0,0,0],[0,0,0]]}}");
        GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
        assertInstanceOf(OpenRlhfAdapter.class, a);
        AdaptedCase ad = a.adapt(c);
        Rollouts b = ad.batch();
        assertEquals("C1P2", spans(b, 0));
        assertEquals("P1C2", spans(b, 1));
        assertArrayEquals(new float[] {1.5f, -0.5f}, b.outcome());
        assertEquals("0", b.groupKey(0));
        assertEquals(1, b.groupCount());
        assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, b.tokenSignal(Rollouts.LOGPROB));
        assertArrayEquals(new float[] {-1.5f, -2.5f, -3.5f, -4.5f, -5.5f, -6.5f}, b.tokenSignal(Rollouts.REF_LOGPROB));
        assertNull(b.tokenSignal(Rollouts.REWARD));
        assertEquals("openrlhf", ad.preset());
        assertEquals(
                Map.of(
                        "gamma",
                        0.9,
                        "kl_coef",
                        0.01,
                        "kl_estimator",
                        "k3",
                        "kl_use_loss",
                        false,
                        "reward_clip_range",
                        List.of(-10.0, 10.0),
                        "no_std_norm",
                        true),
                ad.params());
        assertFalse(ad.params().containsKey("lambda"), "lambd is for gae only");

        GoldenCase gae = one("{\"case\":\"o\",\"estimator\":\"gae\",\"preset\":\"openrlhf\","
                + "\"params\":{\"estimator\":\"gae\",\"n_samples_per_prompt\":1,\"gamma\":1.0,\"lambd\":0.95,\"init_kl_coef\":0.0},"
                + "\"input\":{\"rewards\":[1],\"index\":[0],\"response_mask\":[[1,1]],\"values\":[[0.1,0.2]]},"
                + "\"expected\":{\"advantages\":[[0,0]]}}");
        AdaptedCase g = new OpenRlhfAdapter().adapt(gae);
        assertEquals(Map.of("gamma", 1.0, "lambda", 0.95, "kl_coef", 0.0), g.params());
        assertArrayEquals(new float[] {0.1f, 0.2f}, g.batch().tokenSignal(Rollouts.VALUE));
    }

    @Test
    void trlMapsRewardFunctionsToOutcomeComponents() {
        GoldenCase c = one("{\"case\":\"t\",\"estimator\":\"grpo\",\"preset\":\"trl\","
                + "\"params\":{\"scale_rewards\":\"group\",\"multi_objective_aggregation\":\"normalize_then_sum\","
                + "\"num_generations\":2,\"mode\":\"train\",\"std_epsilon\":0.0001},"
                + "\"input\":{\"rewards_per_func\":[[1.0,null],[0.5,2.0]],\"reward_weights\":[1.0,0.5],"
                + "\"index\":[7,7],\"response_mask\":[[1,1,0],[1,0,0]]},"
                + "\"expected\":{\"advantages\":[[0,0,0],[0,0,0]],\"sequence_advantages\":[0,0]}}");
        GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
        assertInstanceOf(TrlAdapter.class, a);
        AdaptedCase ad = a.adapt(c);
        Rollouts b = ad.batch();
        assertNull(b.outcome());
        assertEquals(List.of("f0", "f1"), List.copyOf(b.outcomeComponents().keySet()));
        assertArrayEquals(new float[] {1.0f, 0.5f}, b.outcomeComponents().get("f0"));
        assertTrue(Float.isNaN(b.outcomeComponents().get("f1")[0]));
        assertEquals(2.0f, b.outcomeComponents().get("f1")[1]);
        assertEquals("P2C1", spans(b, 0));
        assertEquals(
                Map.of(
                        "scale_rewards",
                        "group",
                        "multi_objective_aggregation",
                        "normalize_then_sum",
                        "reward_weights",
                        List.of(1.0, 0.5)),
                ad.params());
    }

    /** Every real case the standard adapters accept maps its padded positions one-to-one onto tokens, with the case's mask. */
    @Test
    void everyAcceptedRealCaseMapsPositionsOntoTokensWithTheCaseMask() {
        int adapted = 0;
        for (java.nio.file.Path f : GoldenFiles.all()) {
            for (GoldenCase c : GoldenFiles.load(f.getFileName().toString())) {
                GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
                // reasoning.jsonl has its own layouts without a response_mask (ReasoningAdapterTest covers them)
                // delta-at2po-archer.jsonl too: delta's padding positions are no tokens and archer's plain rows
                // have no mask (GoldenConformanceTest compares every position of those cases)
                if (a == null || a instanceof ReasoningAdapter || a instanceof DeltaAt2poArcherAdapter) continue;
                // SPO's ragged rows and trees, and POAD's T x R x A x L buffer, have no response_mask
                // (ReasoningTokenAndPrlPoadItpoAdaptersTest covers them)
                if (a instanceof ReasoningTokenAdapter || c.estimator().equals("poad")) continue;
                // multi-agent and agentic-turn layouts: own masks and outputs (MultiAgentAndTurnGoldenTest covers them)
                if (a instanceof MultiAgentAdapter || a instanceof MtGrpoSpaRlAdapter) continue;
                AdaptedCase ad = a.adapt(c);
                Rollouts b = ad.batch();
                // R³L experiences carry their mask as action_mask (vpr-r3l-a3.jsonl)
                float[][] mask =
                        GoldenInputs.matrix(c, GoldenInputs.has(c, "response_mask") ? "response_mask" : "action_mask");
                int[][] ti = ad.tokenIndex();
                assertEquals(mask.length, ti.length, c.name());
                boolean[] seen = new boolean[b.tokenCount()];
                for (int r = 0; r < mask.length; r++) {
                    assertEquals(mask[r].length, ti[r].length, c.name());
                    for (int j = 0; j < mask[r].length; j++) {
                        int t = ti[r][j];
                        assertFalse(seen[t], c.name() + ": position [" + r + "][" + j + "] maps to a token twice");
                        seen[t] = true;
                        assertEquals((byte) mask[r][j], b.mask()[t], c.name() + " [" + r + "][" + j + "]");
                    }
                }
                for (boolean s : seen) assertTrue(s, c.name() + ": a token no position maps to");
                if (c.expectedAdvantages() != null) {
                    assertEquals(ti.length, c.expectedAdvantages().length, c.name());
                }
                adapted++;
            }
        }
        // verl-and-gigpo (79) + openrlhf-trl (40) + matchtir-and-siop (12) + a2tgpo-igpo-gdpo (33) + vpr-r3l-a3 (22)
        // + prl (22) and itpo (27) of prl-poad-itpo
        assertEquals(235, adapted);
        assertTrue(
                Arrays.asList(GoldenAdapters.all().get(GoldenAdapters.all().size() - 1))
                                .get(0)
                        instanceof VerlLayoutAdapter,
                "the default adapter comes last");
    }
}
