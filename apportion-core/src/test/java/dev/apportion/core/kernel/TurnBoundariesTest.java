package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TurnBoundaries#nonZeroRewards(Rollouts, Execution)}, which reads the token and span
 * rewards directly, finds exactly the boundaries {@link TurnBoundaries#nonZeroRewards(Rollouts,
 * float[], Execution)} finds in {@link Rollouts#denseTokenRewards()}, on one thread and split.
 */
class TurnBoundariesTest {
    /**
     * Trajectories of 0–6 spans of 0–9 tokens, mostly-zero token rewards (some batches none),
     * span rewards (0, non-zero or absent) on policy and context spans, rewards that cancel the
     * span reward on a span's last token, outcomes present or not.
     */
    private static Rollouts batch(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean tokenRewards = seed % 4 != 0;
        boolean spanRewards = seed % 3 != 0;
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 20; i++) {
            b.trajectory("g" + (i / 4), "t" + i);
            if (rnd.nextInt(4) != 0) b.outcome(rnd.nextInt(3) == 0 ? 0.0 : rnd.nextDouble(-1, 1));
            int spans = rnd.nextInt(0, 7);
            int tokens = 0;
            float[] spanR = new float[spans];
            int[] lens = new int[spans];
            for (int k = 0; k < spans; k++) {
                int len = rnd.nextInt(0, 10);
                lens[k] = len;
                Role role = rnd.nextBoolean() ? Role.POLICY : Role.CONTEXT;
                double r = switch (rnd.nextInt(4)) {
                    case 0 -> Double.NaN;
                    case 1 -> 0.0;
                    default -> rnd.nextInt(-2, 3) * 0.25;
                };
                spanR[k] = (float) r;
                if (spanRewards && !Double.isNaN(r)) b.span(role, len, r, null, null);
                else b.span(role, len);
                tokens += len;
            }
            if (tokenRewards) {
                float[] rw = new float[tokens];
                for (int t = 0, k = 0, inSpan = 0; t < tokens; t++) {
                    while (inSpan == lens[k]) {
                        k++;
                        inSpan = 0;
                    }
                    inSpan++;
                    boolean spanLast = inSpan == lens[k];
                    if (spanLast && spanRewards && !Float.isNaN(spanR[k]) && rnd.nextBoolean()) {
                        rw[t] = -spanR[k]; // cancels the span reward: a dense 0 on a non-zero token reward
                    } else {
                        rw[t] = rnd.nextInt(3) == 0 ? (float) rnd.nextInt(-2, 3) * 0.5f : 0f;
                    }
                }
                b.tokenSignal(Rollouts.REWARD, rw);
            }
        }
        return b.build();
    }

    @Test
    void sameBoundariesAsTheDenseRewards() {
        for (long seed = 1; seed <= 60; seed++) {
            Rollouts b = batch(seed);
            TurnBoundaries want = TurnBoundaries.nonZeroRewards(b, b.denseTokenRewards(), Execution.sequential());
            check(want, TurnBoundaries.nonZeroRewards(b, Execution.sequential()), "seed " + seed);
            for (int threads = 2; threads <= 3; threads++) {
                try (Execution ex = Execution.splittingAll(threads)) {
                    check(want, TurnBoundaries.nonZeroRewards(b, ex), "seed " + seed + ", " + threads + " threads");
                }
            }
            check(want, TurnBoundaries.of(TurnBoundaries.Rule.NONZERO_REWARD, b, Execution.sequential()), "of");
        }
    }

    private static void check(TurnBoundaries want, TurnBoundaries got, String what) {
        assertArrayEquals(want.offsets, got.offsets, what + ": offsets");
        assertArrayEquals(want.tokens, got.tokens, what + ": tokens");
        assertArrayEquals(want.trajectory, got.trajectory, what + ": trajectories");
    }

    /**
     * {@link TurnBoundaries#broadcast}, a walk over the spans with one fill per run, writes exactly what
     * the token loop it replaced writes (each boundary's value on the mask-1 tokens from the previous
     * boundary up to its own token, {@code contextValue} everywhere else), for both boundary rules, on one
     * thread and split, into a dirty array.
     */
    @Test
    void broadcastWritesWhatTheTokenLoopWrites() {
        for (long seed = 1; seed <= 60; seed++) {
            Rollouts b = batch(seed);
            for (TurnBoundaries.Rule rule : TurnBoundaries.Rule.values()) {
                TurnBoundaries tb = TurnBoundaries.of(rule, b, Execution.sequential());
                double[] v = new double[tb.size()];
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int j = 0; j < v.length; j++) v[j] = rnd.nextDouble(-2, 2);
                float context = seed % 2 == 0 ? 0f : -7.5f;
                float[] want = new float[b.tokenCount()];
                byte[] mask = b.mask();
                for (int i = 0; i < b.trajectoryCount(); i++) {
                    int t = b.tokenStart(i);
                    for (int j = tb.offsets[i]; j < tb.offsets[i + 1]; j++) {
                        for (; t <= tb.tokens[j]; t++) want[t] = mask[t] == 1 ? (float) v[j] : context;
                    }
                    for (; t < b.tokenEnd(i); t++) want[t] = context;
                }
                for (int threads = 1; threads <= 3; threads++) {
                    float[] got = new float[b.tokenCount()];
                    java.util.Arrays.fill(got, Float.NaN);
                    try (Execution ex = threads == 1 ? Execution.sequential() : Execution.splittingAll(threads)) {
                        tb.broadcast(b, v, context, got, ex);
                    }
                    assertArrayEquals(want, got, "seed " + seed + ", " + rule + ", " + threads + " threads");
                }
            }
        }
    }
}
