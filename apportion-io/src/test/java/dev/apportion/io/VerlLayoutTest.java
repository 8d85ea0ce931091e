package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import org.junit.jupiter.api.Test;

class VerlLayoutTest {
    static final float[][] MASK = {{0, 1, 1, 0, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 0}};
    static final float[][] REWARDS = {{0, 0, 0, 0, 1, 0, 0}, {0, 0, 0, 0, 0, 0, 2}, {0, 0, 0, 0, 0, 0, 0}};
    static final String[] INDEX = {"u1", "u1", "u2"};

    @Test
    void rowsBecomeTrajectoriesWithASpanPerMaskRun() {
        Rollouts b = VerlLayout.toRollouts(REWARDS, MASK, INDEX, null);
        assertEquals(3, b.trajectoryCount());
        assertEquals(2, b.groupCount());
        assertEquals("row2", b.trajectoryId(2));
        assertEquals(21, b.tokenCount());
        // row 0: C1 P2 C1 P1 C2; row 1: P7; row 2: C7
        assertArrayEquals(new int[] {0, 5, 6, 7}, b.trajectorySpanOffsets());
        assertArrayEquals(new int[] {0, 1, 3, 4, 5, 7, 14, 21}, b.spanTokenOffsets());
        assertEquals(-1, b.lastPolicyToken(2));
        assertArrayEquals(new double[] {1, 2, 0}, b.scores(), 0);
        byte[] m = b.mask();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 7; j++) assertEquals((byte) MASK[i][j], m[7 * i + j]);
    }

    @Test
    void scalarsAndSignals() {
        Rollouts b = VerlLayout.of(MASK, INDEX)
                .ids(new String[] {"a", "b", "c"})
                .outcome(new float[] {1, Float.NaN, 0})
                .outcomeComponent("fmt", new float[] {0.5f, Float.NaN, 1})
                .rewardBaselines(new float[] {0.25f, 0.5f, Float.NaN})
                .values(REWARDS)
                .tokenSignal("entropy", REWARDS)
                .toRollouts();
        assertEquals("b", b.trajectoryId(1));
        assertArrayEquals(new float[] {1, Float.NaN, 0}, b.outcome());
        assertArrayEquals(
                new float[] {0.5f, Float.NaN, 1}, b.outcomeComponents().get("fmt"));
        assertArrayEquals(new float[] {0.25f, 0.5f, Float.NaN}, b.trajectorySignal("reward_baseline"));
        assertEquals(2f, b.tokenSignal("value")[13]);
        assertNull(b.tokenSignal("reward"));
    }

    @Test
    void creditBackToPaddedArrays() {
        Rollouts b = VerlLayout.toRollouts(REWARDS, MASK, INDEX, null);
        float[] adv = new float[21];
        for (int t = 0; t < 21; t++) adv[t] = b.mask()[t] * (t + 1);
        float[][] padded =
                VerlLayout.advantages(b, Credit.builder(adv).returns(adv).build());
        assertArrayEquals(new float[] {0, 2, 3, 0, 5, 0, 0}, padded[0]);
        assertArrayEquals(new float[] {8, 9, 10, 11, 12, 13, 14}, padded[1]);
        assertArrayEquals(new float[7], padded[2]);
        assertArrayEquals(
                padded[1],
                VerlLayout.returns(b, Credit.builder(adv).returns(adv).build())[1]);
        assertNull(VerlLayout.returns(b, Credit.of(adv)));
        float[][] sparse = VerlLayout.toPadded(new float[] {5, 6}, new int[][] {{-1, 1}, {0}});
        assertArrayEquals(new float[] {0, 6}, sparse[0]);
        assertArrayEquals(new float[] {5}, sparse[1]);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> VerlLayout.toPadded(new float[1], new int[][] {{3}}));
        assertEquals("position [0][0] maps to token 3 but the array has 1 values", e.getMessage());
    }

    @Test
    void raggedRowsAreAllowed() {
        Rollouts b = VerlLayout.toRollouts(
                new float[][] {{1}, {0, 2}}, new float[][] {{1}, {1, 0}}, new String[] {"g", "g"}, null);
        assertEquals(3, b.tokenCount());
        assertArrayEquals(new int[] {1, 2}, VerlLayout.tokenIndex(b)[1]);
    }

    @Test
    void errorsNameTheArrayAndPosition() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> VerlLayout.of(new float[][] {{1, 2}}, new String[] {"g"}));
        assertEquals("response_mask[0][1] must be 0 or 1, got 2.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> VerlLayout.of(MASK, new String[] {"g"}));
        assertEquals("index has 1 entries but response_mask has 3 rows", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> VerlLayout.of(MASK, INDEX).tokenLevelRewards(new float[][] {{0}, {0}, {0}}));
        assertEquals("token_level_rewards[0] has 1 positions but response_mask[0] has 7", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> VerlLayout.of(MASK, INDEX).values(new float[2][7]));
        assertEquals("values has 2 rows but response_mask has 3", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> VerlLayout.of(MASK, INDEX).outcome(new float[2]));
        assertEquals("outcome has 2 entries but there are 3 rows", e.getMessage());
        float[][] bad = {{0, 0, 0, 0, Float.NaN, 0, 0}, new float[7], new float[7]};
        RolloutException r = assertThrows(
                RolloutException.class,
                () -> VerlLayout.of(MASK, INDEX).tokenLevelRewards(bad).toRollouts());
        assertEquals(
                "trajectory 0 (id 'row0', group 'u1'): token_signals.reward[4] must be finite, got NaN",
                r.getMessage());
    }
}
