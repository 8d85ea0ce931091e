package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link DenseRewards} gives exactly {@link Rollouts#denseTokenRewards()}, into a dirty array or at chosen tokens. */
class DenseRewardsTest {
    @Test
    void sameFloatsAsTheRolloutsArray() {
        for (long seed = 1; seed <= 7; seed++) {
            Rollouts b = seed == 7
                    ? withSpanRewards()
                    : RandomBatches.build(RandomBatches.trajectories(
                            seed, new RandomBatches.Options(5, 1, 5, seed % 2 == 0, true, true, true)));
            float[] want = b.denseTokenRewards();
            float[] dirty = new float[b.tokenCount()];
            Arrays.fill(dirty, Float.NaN);
            assertArrayEquals(want, DenseRewards.into(b, dirty), 0f, "into, seed " + seed);

            // every token of the batch, asked for one by one with its trajectory
            int[] tokens = new int[b.tokenCount()];
            int[] traj = new int[b.tokenCount()];
            for (int i = 0; i < b.trajectoryCount(); i++) {
                for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                    tokens[t] = t;
                    traj[t] = i;
                }
            }
            double[] at = DenseRewards.at(b, tokens, traj);
            for (int t = 0; t < tokens.length; t++)
                assertEquals(Float.floatToRawIntBits(want[t]), Float.floatToRawIntBits((float) at[t]), "at " + t);
        }
    }

    /** Span rewards on policy, context and empty spans, token rewards, an outcome and a trajectory without one. */
    private static Rollouts withSpanRewards() {
        float[] r1 = {0.5f, -0.25f, 0f, 1.5f, 0.125f, 0f, 2f};
        float[] r2 = {0f, 0f, 0.75f, -1f};
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(0.3)
                .span(Role.CONTEXT, 2, 0.25, null, null)
                .span(Role.POLICY, 3, -0.5, null, null)
                .span(Role.POLICY, 0, 9.0, null, null)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1, 0.1, null, null)
                .tokenSignal(Rollouts.REWARD, r1)
                .trajectory("g", "b")
                .span(Role.POLICY, 2, 1.0, null, null)
                .span(Role.CONTEXT, 2, -2.0, null, null)
                .tokenSignal(Rollouts.REWARD, r2)
                .build();
    }
}
