package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class R3lEstimatorTest extends EstimatorContract {
    private static final R3lEstimator R3L = new R3lEstimator();

    @Override
    protected Estimator estimator() {
        return R3L;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                resolved(Map.of("variant", "step_wise_grpo", "std_threshold", 0.05, "enable_step_norm", true)),
                resolved(Map.of(
                        "variant",
                        "step_wise_opmd_reweight_adv",
                        "opmd_baseline",
                        "logavgexp",
                        "tau",
                        0.5,
                        "alpha",
                        2.5)),
                resolved(Map.of("variant", "step_wise_opmd")),
                resolved(Map.of("variant", "pivot_mask")));
    }

    /** One single-experience trajectory per reward: a 2-token assistant turn, 1 observation token, another turn. */
    private static Rollouts group(String task, double... rewards) {
        RolloutsBuilder b = Rollouts.builder();
        for (int k = 0; k < rewards.length; k++) {
            b.trajectory(task, task + "/" + k).outcome(rewards[k]);
            b.span(Role.POLICY, 2).span(Role.CONTEXT, 1).span(Role.POLICY, 2);
        }
        return b.build();
    }

    private static float first(Rollouts b, Credit c, int i) {
        return c.advantages()[b.tokenStart(i)];
    }

    /** methods-agentic.md §9 unit tests. */
    @Test
    void positiveAmplificationExamples() {
        Rollouts a = group("t", 1.0, 0.3, 0.0, 0.0);
        Credit ca = R3L.assign(a);
        double[] want = {1.0, -0.025, -0.325, -0.325};
        for (int i = 0; i < 4; i++) assertEquals(want[i], first(a, ca, i), 1e-6);
        Rollouts b = group("t", 0.6, 0.2, 0.1, 0.1);
        Credit cb = R3L.assign(b);
        double[] want2 = {1.05, -0.05, -0.15, -0.15};
        for (int i = 0; i < 4; i++) assertEquals(want2[i], first(b, cb, i), 1e-6);
        assertSame(cb.advantages(), cb.returns());
    }

    @Test
    void singletonGroupHasZeroBaseline() {
        Rollouts b = group("solo", 0.4);
        assertEquals(1.2, first(b, R3L.assign(b), 0), 1e-6);
        Rollouts neg = group("solo", -0.5);
        assertEquals(-0.5, first(neg, R3L.assign(neg), 0), 1e-6);
    }

    /** Five assistant segments, pivot 2: only segments 3–5 keep weight and advantage. */
    @Test
    void pivotKeepsTheSuffix() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("t", "retry").outcome(1.0).signal(R3lEstimator.RETRY_STEP, 2);
        for (int k = 0; k < 5; k++) rb.span(Role.POLICY, 2).span(Role.CONTEXT, 1);
        Rollouts b = rb.build();
        Credit c = R3L.assign(b);
        for (int k = 0; k < 5; k++) {
            int s = 2 * k;
            float w = c.lossWeights()[b.spanTokenStart(s)];
            assertEquals(k < 2 ? 0f : 1f, w, "segment " + k);
            assertEquals(k < 2 ? 0f : 1f, c.advantages()[b.spanTokenStart(s)], "segment " + k);
        }
    }

    @Test
    void adjacentPolicySpansFormOneSegmentAndWholeNumberFloatPivotsWork() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("t", "x").outcome(0.0).signal(R3lEstimator.RETRY_STEP, 1.0);
        rb.span(Role.POLICY, 1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1);
        Credit c = R3L.assign(rb.build(), resolved(Map.of("variant", "pivot_mask")));
        assertArrayEquals(new float[] {0, 0, 0, 1}, c.lossWeights(), "tokens 0 and 1 are one run of 1s");
        assertArrayEquals(new float[4], c.advantages());
    }

    @Test
    void badPivotsAreRefused() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("t", "x")
                .outcome(0.0)
                .signal(R3lEstimator.RETRY_STEP, 1.5)
                .span(Role.POLICY, 2);
        RolloutException e = assertThrows(RolloutException.class, () -> R3L.assign(rb.build()));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());

        RolloutsBuilder both = Rollouts.builder();
        both.trajectory("t", "x")
                .outcome(0.0)
                .signal(R3lEstimator.RETRY_STEP, 1)
                .span(Role.POLICY, 2)
                .spanSignal(R3lEstimator.RETRY_STEP, 1);
        assertThrows(RolloutException.class, () -> R3L.assign(both.build()));
    }

    @Test
    void missingRewardIsRefusedExceptForThePivotMask() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("t", "x").span(Role.POLICY, 2);
        Rollouts b = rb.build();
        RolloutException e = assertThrows(RolloutException.class, () -> R3L.assign(b));
        assertTrue(e.getMessage().contains("outcome"), e.getMessage());
        assertArrayEquals(
                new float[] {1, 1},
                R3L.assign(b, resolved(Map.of("variant", "pivot_mask"))).lossWeights());
    }

    /** Step-wise: steps by span signal, per-step pivot, step normalization by the number of steps. */
    @Test
    void stepsPivotAndNormalizePerStep() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("t", "run0").outcome(1.0);
        // step 0: [1 1 0 1], pivot 1 -> first segment dropped; step 1: [1 1], no pivot; step 2: empty experience
        rb.span(Role.POLICY, 2).spanSignal(R3lEstimator.STEP, 0).spanSignal(R3lEstimator.RETRY_STEP, 1);
        rb.span(Role.CONTEXT, 1).spanSignal(R3lEstimator.STEP, 0).spanSignal(R3lEstimator.RETRY_STEP, 1);
        rb.span(Role.POLICY, 1).spanSignal(R3lEstimator.STEP, 0).spanSignal(R3lEstimator.RETRY_STEP, 1);
        rb.span(Role.POLICY, 2).spanSignal(R3lEstimator.STEP, 1).spanSignal(R3lEstimator.RETRY_STEP, 0);
        rb.span(Role.CONTEXT, 0).spanSignal(R3lEstimator.STEP, 2).spanSignal(R3lEstimator.RETRY_STEP, 0);
        rb.trajectory("t", "run1").outcome(0.0);
        rb.span(Role.POLICY, 1).spanSignal(R3lEstimator.STEP, 0).spanSignal(R3lEstimator.RETRY_STEP, 0);
        Rollouts b = rb.build();
        assertArrayEquals(new int[] {3, 1}, R3lSteps.count(b));
        Credit c = R3L.assign(b, resolved(Map.of("variant", "step_wise_opmd", "enable_step_norm", true)));
        // baseline 0.5: run0 +0.5 / 3 steps, run1 -0.5 / 1 step
        float s0 = (float) (0.5 / 3);
        assertArrayEquals(new float[] {0, 0, 0, s0, s0, s0, -0.5f}, c.advantages(), 1e-7f);
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 1}, c.lossWeights());
    }

    @Test
    void withoutStepSignalEveryPolicySpanIsAStep() {
        Rollouts b = group("t", 1.0, 0.0);
        assertArrayEquals(new int[] {2, 2}, R3lSteps.count(b));
    }

    @Test
    void stepWiseGrpoDropsLowStdGroupsButKeepsThemInTheBatchStd() {
        RolloutsBuilder rb = Rollouts.builder();
        for (double r : new double[] {0.0, 1.0})
            rb.trajectory("a", "a" + r).outcome(r).span(Role.POLICY, 1);
        rb.trajectory("b", "b0").outcome(1.0).span(Role.POLICY, 1);
        rb.trajectory("b", "b1").outcome(1.0).span(Role.POLICY, 1);
        rb.trajectory("c", "c").outcome(0.5).span(Role.POLICY, 1);
        Rollouts b = rb.build();
        Credit c = R3L.assign(
                b, resolved(Map.of("variant", "step_wise_grpo", "std_threshold", 0.0, "std_cal_level", "batch")));
        double[] all = {0, 1, 1, 1, 0.5};
        double mean = 0.7;
        double ss = 0;
        for (double v : all) ss += (v - mean) * (v - mean);
        double sigmaB = Math.sqrt(ss / 4);
        assertEquals((0 - 0.5) / (sigmaB + 1e-6), c.advantages()[0], 1e-6);
        assertEquals((1 - 0.5) / (sigmaB + 1e-6), c.advantages()[1], 1e-6);
        for (int t = 2; t < 5; t++) {
            assertEquals(0f, c.advantages()[t], "dropped");
            assertEquals(0f, c.lossWeights()[t], "dropped");
        }
        assertEquals(2.0, c.diagnostics().get("dropped_groups"));
        assertEquals(3.0, c.diagnostics().get("dropped_trajectories"));
    }

    @Test
    void grpoReweightWithGroupAndBatchStd() {
        Rollouts b = group("t", 1.0, 0.0, 0.5);
        Credit g = R3L.assign(b, resolved("grpo_reweight", Map.of()));
        double sd = 0.5; // unbiased std of (1, 0, 0.5)
        assertEquals(1.0, first(b, g, 0), 1e-6, "success pinned to 1");
        assertEquals(-0.5 / (sd + 1e-6), first(b, g, 1), 1e-6);
        assertEquals(0.0, first(b, g, 2), 1e-6, "0 is non-negative: 3*0");
    }

    @Test
    void batchStdMakesScoresDependOnOtherGroups() {
        List<RandomBatches.Traj> ts = RandomBatches.trajectories(3, RandomBatches.Options.defaults());
        Params batch = resolved(Map.of("variant", "grpo_reweight_adv", "std_cal_level", "batch"));
        Params group = resolved(Map.of("variant", "grpo_reweight_adv", "std_cal_level", "group"));
        List<RandomBatches.Traj> firstGroup = new ArrayList<>();
        for (RandomBatches.Traj t : ts) if (t.group().equals(ts.get(0).group())) firstGroup.add(t);
        float[] whole = R3L.assign(RandomBatches.build(ts), batch).advantages();
        float[] alone = R3L.assign(RandomBatches.build(firstGroup), batch).advantages();
        float[] wholeG = R3L.assign(RandomBatches.build(ts), group).advantages();
        float[] aloneG = R3L.assign(RandomBatches.build(firstGroup), group).advantages();
        boolean differs = false;
        for (int t = 0; t < alone.length; t++) {
            differs |= Math.abs(whole[t] - alone[t]) > 1e-6;
            assertEquals(wholeG[t], aloneG[t], 1e-6, "group std is group-local");
        }
        assertTrue(differs, "batch std is not group-local");
        assertNotEquals(0, alone.length);
    }

    /**
     * The advantage variants write their loss weights from the spans (each token once); the pivot
     * mask reads the mask token by token. On random layouts — empty spans, adjacent policy spans,
     * pivots per trajectory or per step, pivots beyond the number of runs — the weights are the
     * same, and the advantages are the trajectory's value exactly where the weight is 1, 0 elsewhere.
     */
    @Test
    void spanWalkedPivotsGiveTheMaskScansWeights() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(14);
        for (int round = 0; round < 300; round++) {
            boolean perStep = r.nextBoolean();
            RolloutsBuilder rb = Rollouts.builder();
            int n = 1 + r.nextInt(6);
            for (int i = 0; i < n; i++) {
                rb.trajectory("g" + (i % 2), "x" + i).outcome(r.nextInt(3) / 2.0);
                if (!perStep && r.nextInt(4) > 0) rb.signal(R3lEstimator.RETRY_STEP, r.nextInt(5));
                int spans = 1 + r.nextInt(8);
                int step = 0;
                int retry = r.nextInt(4);
                for (int s = 0; s < spans; s++) {
                    if (s > 0 && r.nextInt(3) == 0) {
                        step++;
                        retry = r.nextInt(4);
                    }
                    rb.span(r.nextInt(3) > 0 ? Role.POLICY : Role.CONTEXT, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(3));
                    if (perStep) {
                        rb.spanSignal(R3lEstimator.STEP, step).spanSignal(R3lEstimator.RETRY_STEP, retry);
                    }
                }
            }
            Rollouts b = rb.build();
            float[] mask =
                    R3L.assign(b, resolved(Map.of("variant", "pivot_mask"))).lossWeights();
            for (String variant : List.of(
                    "opmd_reweight_adv", "step_wise_opmd_reweight_adv", "step_wise_opmd", "grpo_reweight_adv")) {
                Credit c = R3L.assign(b, resolved(Map.of("variant", variant, "alpha", 1.5)));
                assertArrayEquals(mask, c.lossWeights(), variant + " round " + round);
                for (int i = 0; i < n; i++) {
                    Float v = null;
                    for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                        if (c.lossWeights()[t] == 0f) {
                            assertEquals(0f, c.advantages()[t], variant + " round " + round + " token " + t);
                        } else if (v == null) {
                            v = c.advantages()[t];
                        } else {
                            assertEquals(v, c.advantages()[t], variant + " round " + round + " token " + t);
                        }
                    }
                }
            }
        }
    }
}
