package dev.apportion.core.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RolloutsBuilderTest {

    private static Rollouts twoGroups() {
        return Rollouts.builder()
                .trajectory("p1", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3, 0.5, "s0", "x")
                .tokenSignal("reward", new float[] {0, 0, 0.25f, 0, 0})
                .trajectory("p2", "b")
                .outcome(0)
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 2)
                .tokenSignal("reward", new float[] {0, 0, 1})
                .trajectory("p1", "c")
                .span(Role.CONTEXT, 1)
                .build();
    }

    @Test
    void layoutOffsetsAndMask() {
        Rollouts b = twoGroups();
        assertEquals(3, b.trajectoryCount());
        assertEquals(6, b.spanCount());
        assertEquals(9, b.tokenCount());
        assertEquals(2, b.groupCount());
        assertArrayEquals(new int[] {0, 5, 8, 9}, b.trajectoryTokenOffsets());
        assertArrayEquals(new int[] {0, 2, 5, 6}, b.trajectorySpanOffsets());
        assertArrayEquals(new byte[] {0, 0, 1, 1, 1, 1, 1, 1, 0}, b.mask());
        assertArrayEquals(
                new int[] {0, 2, 1}, new int[] {b.groupMembers()[0], b.groupMembers()[1], b.groupMembers()[2]});
        assertArrayEquals(new int[] {0, 2, 3}, b.groupMemberStart());
        assertEquals(2, b.groupSize(0));
        assertEquals("p1", b.groupKey(0));
        assertEquals(3, b.policyTokenCount(0));
        assertEquals(0, b.policyTokenCount(2));
        assertEquals(-1, b.lastPolicyToken(2));
        assertEquals(7, b.lastPolicyToken(1));
    }

    @Test
    void scoresSumOutcomeSpanAndTokenRewards() {
        double[] s = twoGroups().scores();
        assertEquals(1 + 0.5 + 0.25, s[0], 1e-9);
        assertEquals(0 + 1, s[1], 1e-9);
        assertEquals(0, s[2], 1e-9);
    }

    @Test
    void denseTokenRewardsPlaceSpanAndOutcomeRewards() {
        float[] r = twoGroups().denseTokenRewards();
        // trajectory a: span reward 0.5 and outcome 1 on token 4 (last policy token), token reward 0.25 on token 2
        assertArrayEquals(new float[] {0, 0, 0.25f, 0, 1.5f, 0, 0, 1, 0}, r);
    }

    @Test
    void absentSignalsAreNullOrNaN() {
        Rollouts b = twoGroups();
        assertTrue(Float.isNaN(b.outcome()[2]));
        assertTrue(Float.isNaN(b.spanReward()[2]));
        assertEquals("s0", b.spanState()[1]);
        assertNull(b.spanState()[0]);
        assertNull(b.tokenSignal("value"));
    }

    @Test
    void tokenSignalLengthMismatchNamesTrajectoryAndField() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> Rollouts.builder()
                        .trajectory("g", "t0")
                        .span(Role.POLICY, 3)
                        .tokenSignal("logprob", new float[] {1, 2})
                        .build());
        assertEquals(
                "trajectory 0 (id 't0', group 'g'): 3 tokens but 2 values in token_signals.logprob", e.getMessage());
        assertEquals("token_signals.logprob", e.field());
        assertEquals(0, e.trajectory());
    }

    @Test
    void nonFiniteValuesAreRejected() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> Rollouts.builder().trajectory("g", "t0").outcome(Double.NaN));
        assertTrue(e.getMessage().contains("outcome must be finite, got NaN"), e.getMessage());
        e = assertThrows(
                RolloutException.class,
                () -> Rollouts.builder()
                        .trajectory("g", "t0")
                        .span(Role.POLICY, 2)
                        .tokenSignal("value", new float[] {0, Float.POSITIVE_INFINITY}));
        assertTrue(e.getMessage().contains("token_signals.value[1] must be finite, got Infinity"), e.getMessage());
    }

    @Test
    void negativeTokenCountIsRejected() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> Rollouts.builder()
                        .trajectory("g", "t0")
                        .span(Role.POLICY, 2)
                        .span(Role.CONTEXT, -1));
        assertEquals("trajectory 0 (id 't0', group 'g'): spans[1].tokens must be >= 0, got -1", e.getMessage());
    }

    @Test
    void tokenSignalPresentOnlyForSomeTrajectoriesIsAnError() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> Rollouts.builder()
                        .trajectory("g", "t0")
                        .span(Role.POLICY, 1)
                        .tokenSignal("value", new float[] {1})
                        .trajectory("g", "t1")
                        .span(Role.POLICY, 1)
                        .build());
        assertTrue(
                e.getMessage().startsWith("trajectory 1 (id 't1', group 'g'): token_signals.value is missing"),
                e.getMessage());
    }

    @Test
    void tokenRewardMayBeAbsentForSomeTrajectories() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t0")
                .span(Role.POLICY, 1)
                .trajectory("g", "t1")
                .span(Role.POLICY, 2)
                .tokenSignal("reward", new float[] {1, 2})
                .build();
        assertArrayEquals(new float[] {0, 1, 2}, b.tokenSignal("reward"));
    }

    @Test
    void missingRequiredSignalsNameEstimatorAndProducer() {
        Rollouts b = twoGroups();
        RolloutException e =
                assertThrows(RolloutException.class, () -> b.requireTokenSignal("value", "gae", "the critic"));
        assertEquals(
                "estimator 'gae' needs the token signal 'value' (the critic), which the batch lacks (token_signals.value)",
                e.getMessage());
        e = assertThrows(RolloutException.class, () -> b.requireSpanState("gigpo"));
        assertTrue(
                e.getMessage()
                        .startsWith("trajectory 1 (id 'b', group 'p2'): span 0 is a policy span without a state key"),
                e.getMessage());
    }

    @Test
    void emptyBatchBuilds() {
        Rollouts b = Rollouts.builder().build();
        assertEquals(0, b.trajectoryCount());
        assertEquals(0, b.tokenCount());
        assertEquals(0, b.scores().length);
    }

    @Test
    void builderCannotBeReused() {
        RolloutsBuilder bld = Rollouts.builder();
        bld.build();
        assertThrows(IllegalStateException.class, () -> bld.trajectory("g", "x"));
    }
}
