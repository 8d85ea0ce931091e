package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VprEstimatorTest extends EstimatorContract {
    private static final VprEstimator VPR = new VprEstimator();

    @Override
    protected Estimator estimator() {
        return VPR;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(
                resolved(Map.of("grouping", "per_turn", "outcome_reward_scale", 0.5, "min_group_size", 2)),
                resolved(Map.of("state_group_advantage_mode", "group_whiten", "outcome_reward_scale", -1.0)));
    }

    /** A candidate turn: two policy tokens, one context token. */
    private record Turn(double reward, String state, int turnIndex, boolean padding) {}

    private static Turn turn(double reward, String state, int turnIndex) {
        return new Turn(reward, state, turnIndex, false);
    }

    private static Rollouts episode(String id, Turn... turns) {
        RolloutsBuilder b = Rollouts.builder();
        add(b, id, turns);
        return b.build();
    }

    private static void add(RolloutsBuilder b, String id, Turn... turns) {
        b.trajectory(id, id);
        for (Turn t : turns) {
            b.span(Role.POLICY, 2, t.reward, t.state, null).spanSignal(VprEstimator.TURN_INDEX, t.turnIndex);
            if (t.padding) b.spanSignal(VprEstimator.IS_PADDING, 1);
            b.span(Role.CONTEXT, 1);
        }
    }

    private static float turnAdvantage(Rollouts b, Credit c, int policySpanOrdinal) {
        int s = dev.apportion.core.kernel.PolicySpans.indices(b)[policySpanOrdinal];
        return c.advantages()[b.spanTokenStart(s)];
    }

    private static float turnWeight(Rollouts b, Credit c, int policySpanOrdinal) {
        int s = dev.apportion.core.kernel.PolicySpans.indices(b)[policySpanOrdinal];
        return c.lossWeights()[b.spanTokenStart(s)];
    }

    /** methods-agentic.md §8: rewards [2, 0, 0, −2] → ±√2 in both modes; an all-zero group is skipped. */
    @Test
    void notesUnitTestBothModes() {
        Rollouts b = episode(
                "e",
                turn(2, "s0", 0),
                turn(0, "s0", 0),
                turn(0, "s0", 0),
                turn(-2, "s0", 0),
                turn(0, "s1", 1),
                turn(0, "s1", 1),
                turn(0, "s1", 1),
                turn(0, "s1", 1));
        for (String mode : List.of("group_whiten", "mean_then_batch_whiten")) {
            Credit c = VPR.assign(b, resolved(Map.of("state_group_advantage_mode", mode)));
            double[] want = {Math.sqrt(2), 0, 0, -Math.sqrt(2)};
            for (int k = 0; k < 4; k++) {
                assertEquals(want[k], turnAdvantage(b, c, k), 1e-6, mode + " turn " + k);
                assertEquals(1f, turnWeight(b, c, k), mode);
            }
            for (int k = 4; k < 8; k++) {
                assertEquals(0f, turnAdvantage(b, c, k), mode);
                assertEquals(0f, turnWeight(b, c, k), mode + ": equal-reward group is dropped from the loss");
            }
            assertEquals(4.0, c.diagnostics().get("skipped_turns"));
            assertEquals(1.0, c.diagnostics().get("skipped_state_groups"));
            assertSame(c.advantages(), c.returns());
        }
    }

    @Test
    void singletonGroupsAreSkippedAndPaddingNeverCounts() {
        RolloutsBuilder rb = Rollouts.builder();
        add(
                rb,
                "e",
                turn(1, "a", 0),
                turn(0, "a", 0),
                turn(5, "lonely", 1),
                new Turn(100, "a", 0, true)); // padding duplicate in group "a" must not shift its mean
        Rollouts b = rb.build();
        Credit c = VPR.assign(b, resolved(Map.of("state_group_advantage_mode", "group_whiten")));
        assertEquals(0.5 / (0.5 + 1e-8), turnAdvantage(b, c, 0), 1e-6);
        assertEquals(-0.5 / (0.5 + 1e-8), turnAdvantage(b, c, 1), 1e-6);
        assertEquals(0f, turnWeight(b, c, 2), "a single candidate is skipped");
        assertEquals(0f, turnWeight(b, c, 3), "padding gets no loss");
        assertEquals(0f, turnAdvantage(b, c, 3));
        assertEquals(1.0, c.diagnostics().get("padding_turns"));
    }

    /**
     * vpr-r3l-a3.md quirk 2, measured on the reference: six candidates all rewarded 0.3 escape the
     * equal-reward skip in float32 and each get +0.7488 (NumPy 2.4: 0.7487584). The default double
     * arithmetic skips the group.
     */
    @Test
    void equalNonDyadicRewardsEscapeTheSkipOnlyInFloat32() {
        Turn[] ts = new Turn[6];
        for (int k = 0; k < 6; k++) ts[k] = turn(0.3, "s", 0);
        Rollouts b = episode("e", ts);
        Credit ref = VPR.assign(b, resolved("reference", Map.of()));
        Credit dbl = VPR.assign(
                b, resolved(Map.of("state_group_advantage_mode", "group_whiten", "outcome_reward_scale", 1.0)));
        for (int k = 0; k < 6; k++) {
            assertEquals(0.7487584f, turnAdvantage(b, ref, k), 1e-6f);
            assertEquals(1f, turnWeight(b, ref, k));
            assertEquals(0f, turnAdvantage(b, dbl, k));
            assertEquals(0f, turnWeight(b, dbl, k));
        }
        // five and eight equal rewards sum exactly in float32 (NumPy gives std 0): skipped in both
        Turn[] five = new Turn[5];
        for (int k = 0; k < 5; k++) five[k] = turn(0.3, "s", 0);
        Rollouts b5 = episode("e", five);
        assertEquals(
                5.0,
                VPR.assign(b5, resolved("reference", Map.of())).diagnostics().get("skipped_turns"));
    }

    /** NumPy 2.4 float32 sum/mean/std of a = arange(n)*0.1f + 0.3f (pairwise summation). */
    @Test
    void float32StatisticsMatchNumpy() {
        int[] ns = {7, 8, 9, 13, 129, 300};
        float[] sum = {
            4.199999809265137f, 5.200000286102295f, 6.300000190734863f, 11.700000762939453f, 864.2999877929688f, 4575.0f
        };
        float[] mean = {
            0.5999999642372131f,
            0.6500000357627869f,
            0.7000000476837158f,
            0.9000000357627869f,
            6.699999809265137f,
            15.25f
        };
        float[] std = {
            0.20000000298023224f,
            0.22912879288196564f,
            0.25819888710975647f,
            0.37416574358940125f,
            3.72379732131958f,
            8.660205841064453f
        };
        for (int c = 0; c < ns.length; c++) {
            int n = ns[c];
            float[] a = new float[n];
            double[] v = new double[n];
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) i * 0.1f + 0.3f;
                v[i] = a[i];
                idx[i] = i;
            }
            assertEquals(sum[c], dev.apportion.core.kernel.NumpySum.of(a, 0, n), 0f, "sum n=" + n);
            assertEquals(mean[c], (float) VprArithmetic.NUMPY_FLOAT32.mean(v, idx, n), 0f, "mean n=" + n);
            assertEquals(std[c], (float) VprArithmetic.NUMPY_FLOAT32.std(v, idx, n), 0f, "std n=" + n);
        }
    }

    @Test
    void perTurnFallbackUsesTurnStatisticsOrBatchStatistics() {
        RolloutsBuilder rb = Rollouts.builder();
        // turn 0: four rows (>= min_group_size 4) -> turn statistics; turn 1: two rows -> batch statistics
        add(rb, "a", turn(1, null, 0), turn(3, null, 1));
        add(rb, "b", turn(0, null, 0), turn(1, null, 1));
        add(rb, "c", turn(0, null, 0));
        add(rb, "d", turn(1, null, 0));
        Rollouts b = rb.build();
        Credit c = VPR.assign(b, resolved(Map.of()));
        double tm = 0.5;
        double ts = 0.5 + 1e-8;
        assertEquals((1 - tm) / ts, turnAdvantage(b, c, 0), 1e-6);
        assertEquals((0 - tm) / ts, turnAdvantage(b, c, 2), 1e-6);
        double[] all = {1, 3, 0, 1, 0, 1};
        double gm = 1.0;
        double var = 0;
        for (double v : all) var += (v - gm) * (v - gm);
        double gs = Math.sqrt(var / all.length) + 1e-8;
        assertEquals((3 - gm) / gs, turnAdvantage(b, c, 1), 1e-6);
        assertEquals((1 - gm) / gs, turnAdvantage(b, c, 3), 1e-6);
        assertEquals(0.0, c.diagnostics().get("state_group_mode"));
        for (int k = 0; k < 6; k++) assertEquals(1f, turnWeight(b, c, k), "per-turn mode skips nothing");
    }

    @Test
    void terminalBonusFallsBackToLastTurnAndOutcome() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("g", "win").outcome(1.0);
        rb.span(Role.POLICY, 2, 0.0, null, null).span(Role.CONTEXT, 1).span(Role.POLICY, 2, 0.0, null, null);
        rb.trajectory("g", "lose").outcome(0.0);
        rb.span(Role.POLICY, 2, 0.0, null, null).span(Role.CONTEXT, 1).span(Role.POLICY, 2, 0.0, null, null);
        Rollouts b = rb.build();
        // per turn, min_group_size 2: turn 0 rewards (0, 0) -> 0; turn 1 (0 + 2, 0) -> ±1
        Credit c = VPR.assign(b, resolved(Map.of("outcome_reward_scale", 2.0, "min_group_size", 2)));
        assertEquals(0f, turnAdvantage(b, c, 0));
        assertEquals(1.0, turnAdvantage(b, c, 1), 1e-6);
        assertEquals(-1.0, turnAdvantage(b, c, 3), 1e-6);
    }

    @Test
    void explicitTerminalSignalsWinOverTheFallback() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("g", "e").outcome(1.0);
        rb.span(Role.POLICY, 1, 0.0, "s", null)
                .spanSignal(VprEstimator.IS_TERMINAL, 1)
                .spanSignal(VprEstimator.TERMINAL_SUCCESS, 1);
        rb.span(Role.POLICY, 1, 0.0, "s", null)
                .spanSignal(VprEstimator.IS_TERMINAL, 1)
                .spanSignal(VprEstimator.TERMINAL_SUCCESS, 0);
        Rollouts b = rb.build();
        Credit c = VPR.assign(
                b, resolved(Map.of("outcome_reward_scale", 1.0, "state_group_advantage_mode", "group_whiten")));
        assertTrue(c.advantages()[0] > 0.99 && c.advantages()[1] < -0.99, "the bonus breaks the tie");
    }

    @Test
    void missingRewardOrStateIsRefused() {
        RolloutsBuilder rb = Rollouts.builder();
        rb.trajectory("g", "e").span(Role.POLICY, 2, Double.NaN, "s", null);
        RolloutException e = assertThrows(RolloutException.class, () -> VPR.assign(rb.build(), resolved(Map.of())));
        assertTrue(e.getMessage().contains("reward"), e.getMessage());

        Rollouts noState = episode("e", turn(1, null, 0), turn(0, null, 0));
        e = assertThrows(
                RolloutException.class, () -> VPR.assign(noState, resolved(Map.of("grouping", "state_group"))));
        assertTrue(e.getMessage().contains("state"), e.getMessage());
    }

    @Test
    void presetsDifferOnlyWhereTheReferenceDefaultsDiffer() {
        Params paper = resolved("paper", Map.of());
        Params ref = resolved("reference", Map.of());
        assertEquals(Params.defaults(VPR.descriptor()).values(), paper.values());
        assertEquals(1.0, ref.getDouble("outcome_reward_scale"));
        assertEquals("group_whiten", ref.getString("state_group_advantage_mode"));
        assertEquals("float32", ref.getString("arithmetic"));
        assertEquals(0.0, paper.getDouble("outcome_reward_scale"));
    }

    /**
     * The state table numbers keys as {@code HashMap.putIfAbsent(state, size)} does: equal strings
     * (also distinct objects, and strings with equal hash codes such as "Aa" and "BB") share a number,
     * null is a key of its own, and growth past the initial 16 keys keeps every number.
     */
    @Test
    void stateIdsNumberLikeAHashMap() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int round = 0; round < 200; round++) {
            VprEstimator.StateIds ids = new VprEstimator.StateIds(16);
            java.util.Map<String, Integer> want = new java.util.HashMap<>();
            int distinct = 1 + r.nextInt(round < 100 ? 10 : 400);
            for (int k = 0; k < 600; k++) {
                int x = r.nextInt(distinct);
                String key = x == 0 ? null : x == 1 ? "Aa" : x == 2 ? "BB" : new String("s" + x + "-" + (x % 3));
                Integer g = want.putIfAbsent(key, want.size());
                assertEquals(g == null ? want.size() - 1 : g, ids.index(key), "round " + round + " key " + key);
            }
            assertEquals(want.size(), ids.size());
        }
    }
}
