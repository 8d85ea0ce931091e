package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticBatchTest {
    private static final Descriptor TRAJECTORY = Descriptor.builder("t")
            .requires(
                    SignalRequirement.trajectory("reward", "v"),
                    SignalRequirement.trajectory("reward_baseline", "greedy"))
            .build();
    private static final Descriptor TOKEN = Descriptor.builder("k")
            .granularity(Granularity.TOKEN)
            .requires(SignalRequirement.token("value", "critic"), SignalRequirement.token("old_logprob", "policy"))
            .build();
    private static final Descriptor STEP = Descriptor.builder("s")
            .granularity(Granularity.TURN)
            .requires(SignalRequirement.span("reward", "env"), SignalRequirement.span("prm", "a PRM"))
            .build();
    private static final Descriptor AGENTS =
            Descriptor.builder("m").granularity(Granularity.MULTI_AGENT).build();

    @Test
    void sizesAndGroupsOfEight() {
        Rollouts b = SyntheticBatch.build(SyntheticBatch.forEstimator(TRAJECTORY, 20, 30, 0, 1));
        assertEquals(20, b.trajectoryCount());
        assertEquals(600, b.tokenCount());
        assertEquals(3, b.groupCount());
        assertEquals(8, b.groupSize(0));
        assertEquals(8, b.groupSize(1));
        assertEquals(4, b.groupSize(2));
        assertEquals(20, b.spanCount(), "one policy span per trajectory without steps");
        for (int t = 0; t < b.tokenCount(); t++) assertEquals(1, b.mask()[t]);
        for (float o : b.outcome()) assertTrue(o == 0f || o == 1f);
        float[] baseline = b.trajectorySignal("reward_baseline");
        assertNotNull(baseline);
        for (float v : baseline) assertTrue(v >= 0 && v < 1);
        assertTrue(b.tokenSignals().isEmpty(), "trajectory-level estimators get no token signals they did not ask for");
        assertNull(b.spanState());
    }

    @Test
    void outcomesAreMixedWithinMostGroups() {
        Rollouts b = SyntheticBatch.build(SyntheticBatch.forEstimator(TRAJECTORY, 8 * 50, 4, 0, 3));
        int mixed = 0;
        for (int g = 0; g < b.groupCount(); g++) {
            Set<Float> seen = new HashSet<>();
            for (int k = b.groupMemberStart()[g]; k < b.groupMemberStart()[g + 1]; k++)
                seen.add(b.outcome()[b.groupMembers()[k]]);
            if (seen.size() == 2) mixed++;
        }
        assertTrue(mixed >= 35, "most of 50 groups have both outcomes, got " + mixed);
    }

    @Test
    void tokenLevelEstimatorsGetRequiredTokenSignalsAndRewards() {
        Rollouts b = SyntheticBatch.build(SyntheticBatch.forEstimator(TOKEN, 8, 100, 0, 5));
        assertEquals(Set.of("reward", "value", "old_logprob"), b.tokenSignals().keySet());
        for (float v : b.tokenSignal("old_logprob")) assertTrue(v >= -3 && v <= 0);
        for (float v : b.tokenSignal("value")) assertTrue(v >= -1 && v <= 1);
        for (float v : b.tokenSignal("reward")) assertTrue(Math.abs(v) <= 0.01f);
    }

    @Test
    void stepLevelLayoutStatesRepeatWithinGroups() {
        SyntheticBatch.Spec spec = SyntheticBatch.forEstimator(STEP, 16, 103, 0, 9);
        assertEquals(10, spec.stepsPerTrajectory(), "step-level estimators default to 10 steps");
        Rollouts b = SyntheticBatch.build(spec);
        assertEquals(16 * 103, b.tokenCount());
        assertEquals(16 * 19, b.spanCount());
        assertEquals(160, spec.policySpans());
        String[] states = b.spanState();
        float[] prm = b.spanSignal("prm");
        float[] reward = b.spanReward();
        assertNotNull(states);
        assertNotNull(prm);
        assertNotNull(reward);
        for (int i = 0; i < b.trajectoryCount(); i++) {
            assertEquals(103, b.tokenEnd(i) - b.tokenStart(i));
            int step = 0;
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                boolean policy = (s - b.spanStart(i)) % 2 == 0;
                assertEquals(policy, b.isPolicySpan(s));
                int len = b.spanTokenEnd(s) - b.spanTokenStart(s);
                if (policy) {
                    assertTrue(len >= 8, "policy span length " + len);
                    assertTrue(states[s].startsWith("s" + step + "-"), states[s]);
                    assertFalse(Float.isNaN(prm[s]));
                    assertFalse(Float.isNaN(reward[s]));
                    step++;
                } else {
                    assertEquals(103 / 50, len, "observation length");
                    assertNull(states[s]);
                    assertTrue(Float.isNaN(prm[s]));
                }
            }
        }
        // a state key seen by several trajectories of the same group (anchor states)
        Map<String, Integer> seen = new HashMap<>();
        for (int k = b.groupMemberStart()[0]; k < b.groupMemberStart()[1]; k++) {
            int i = b.groupMembers()[k];
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++)
                if (states[s] != null) seen.merge(states[s], 1, Integer::sum);
        }
        assertTrue(seen.values().stream().anyMatch(c -> c >= 3), seen::toString);
        assertNull(b.spanAgent());
    }

    @Test
    void stepLevelEstimatorsGetTurnEndTokenRewards() {
        Descriptor turn = Descriptor.builder("r")
                .granularity(Granularity.TURN)
                .requires(SignalRequirement.token("reward", "turn rewards"))
                .build();
        Rollouts b = SyntheticBatch.build(SyntheticBatch.forEstimator(turn, 8, 60, 4, 2));
        float[] reward = b.tokenSignal("reward");
        assertNotNull(reward);
        int nonZero = 0;
        for (int s = 0; s < b.spanCount(); s++) {
            for (int t = b.spanTokenStart(s); t < b.spanTokenEnd(s); t++) {
                boolean turnEnd = b.isPolicySpan(s) && t == b.spanTokenEnd(s) - 1;
                if (!turnEnd) assertEquals(0f, reward[t], "token " + t);
                else if (reward[t] != 0f) nonZero++;
            }
        }
        assertEquals(32, nonZero, "one reward per turn");
    }

    @Test
    void multiAgentEstimatorsGetAgents() {
        Rollouts b = SyntheticBatch.build(SyntheticBatch.forEstimator(AGENTS, 8, 40, 2, 1));
        assertEquals("agent0", b.spanAgent()[0]);
        assertEquals("agent1", b.spanAgent()[2]);
    }

    @Test
    void deterministicForASeed() {
        SyntheticBatch.Spec a = SyntheticBatch.forEstimator(TOKEN, 24, 64, 4, 11);
        Rollouts x = SyntheticBatch.build(a);
        Rollouts y = SyntheticBatch.build(a);
        Rollouts z = SyntheticBatch.build(SyntheticBatch.forEstimator(TOKEN, 24, 64, 4, 12));
        assertArrayEquals(x.outcome(), y.outcome());
        assertArrayEquals(x.tokenSignal("value"), y.tokenSignal("value"));
        assertArrayEquals(x.spanTokenOffsets(), y.spanTokenOffsets());
        assertFalse(java.util.Arrays.equals(x.tokenSignal("value"), z.tokenSignal("value")));
    }

    @Test
    void reportsProgressUpToTheTotal() {
        List<Integer> done = new ArrayList<>();
        SyntheticBatch.build(SyntheticBatch.forEstimator(TRAJECTORY, 35, 2, 0, 1), (d, total) -> {
            assertEquals(35, total);
            done.add(d);
        });
        assertEquals(35, done.get(done.size() - 1));
        assertTrue(done.size() >= 10 && done.size() <= 12, done::toString);
    }

    @Test
    void rejectsImpossibleSpecs() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticBatch.forEstimator(TRAJECTORY, 0, 10, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> SyntheticBatch.forEstimator(TRAJECTORY, 10, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> SyntheticBatch.forEstimator(TRAJECTORY, 10, 5, 3, 1));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> SyntheticBatch.forEstimator(TRAJECTORY, 1 << 20, 1 << 12, 0, 1));
        assertTrue(e.getMessage().contains("more than a batch can hold"), e.getMessage());
    }
}
