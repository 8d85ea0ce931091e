package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The estimators that gained a {@link Credit.Buffers} path in issue 14's third pass ({@code gpg},
 * {@code implicit_token_reward}, both optimal-token baselines, {@code prl}) give, into NaN-filled
 * buffers and split over two threads, exactly the credit of the allocating call, and really write
 * into the buffers: every token is overwritten, context tokens included.
 */
class OutputBuffersTest {
    private static final List<String> IDS =
            List.of("gpg", "implicit_token_reward", "optimal_token_baseline", "tir_optimal_token_baseline", "prl");

    /** Groups of four trajectories with context and policy spans of 0–90 tokens and every signal these read. */
    private static Rollouts batch(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 12; i++) {
            b.trajectory("g" + (i / 4), "t" + i).outcome(rnd.nextInt(3) == 0 ? 0.0 : rnd.nextDouble(-1, 1));
            int tokens = 0;
            int spans = rnd.nextInt(1, 6);
            for (int k = 0; k < spans; k++) {
                int len = rnd.nextInt(4) == 0 ? rnd.nextInt(64, 90) : rnd.nextInt(0, 6);
                b.span(k % 2 == 0 ? Role.CONTEXT : Role.POLICY, len);
                tokens += len;
            }
            float[] lp = new float[tokens];
            float[] ref = new float[tokens];
            float[] old = new float[tokens];
            float[] spq = new float[tokens];
            float[] rw = new float[tokens];
            for (int t = 0; t < tokens; t++) {
                lp[t] = (float) rnd.nextDouble(-3, 0);
                ref[t] = (float) rnd.nextDouble(-3, 0);
                old[t] = (float) rnd.nextDouble(-3, 0);
                spq[t] = (float) rnd.nextDouble(0.05, 1);
                rw[t] = rnd.nextInt(3) == 0 ? (float) rnd.nextDouble(-0.01, 0.01) : 0f;
            }
            b.tokenSignal(Rollouts.LOGPROB, lp)
                    .tokenSignal(Rollouts.REF_LOGPROB, ref)
                    .tokenSignal(Rollouts.OLD_LOGPROB, old)
                    .tokenSignal("sum_pi_squared", spq)
                    .tokenSignal(Rollouts.REWARD, rw);
        }
        return b.build();
    }

    @Test
    void dirtyBuffersAndTwoThreadsGiveTheAllocatingCredit() {
        EstimatorRegistry registry = EstimatorRegistry.global();
        for (long seed = 1; seed <= 5; seed++) {
            Rollouts batch = batch(seed);
            int n = batch.tokenCount();
            for (String id : IDS) {
                Estimator est = registry.get(id);
                for (Map<String, ?> overrides : variants(id)) {
                    Params p = Params.resolve(est.descriptor(), null, overrides);
                    String what = id + " " + overrides + " seed " + seed;
                    Credit fresh = est.assign(batch, p, Execution.sequential());
                    Credit.Buffers buffers = new Credit.Buffers();
                    Arrays.fill(buffers.advantages(n), Float.NaN);
                    Arrays.fill(buffers.returns(n), Float.NaN);
                    Credit reused = est.assign(batch, p, Execution.sequential(), buffers);
                    assertSame(buffers.advantages(n), reused.advantages(), what + ": advantages not in the buffer");
                    assertArrayEquals(fresh.advantages(), reused.advantages(), what);
                    assertArrayEquals(fresh.returns(), reused.returns(), what);
                    try (Execution two = Execution.splittingAll(2)) {
                        Credit split = est.assign(batch, p, two, buffers);
                        assertArrayEquals(fresh.advantages(), split.advantages(), what + " (2 threads)");
                        assertArrayEquals(fresh.returns(), split.returns(), what + " (2 threads)");
                    }
                }
            }
        }
    }

    private static List<Map<String, ?>> variants(String id) {
        return switch (id) {
            case "implicit_token_reward" -> List.of(Map.of(), Map.of("credit", "reward_to_go"));
            case "optimal_token_baseline" ->
                List.of(Map.of(), Map.of("handle_zero_tail", true, "positions_from", "trajectory_start"));
            case "tir_optimal_token_baseline" -> List.of(Map.of(), Map.of("handle_zero_tail", false));
            case "prl" -> List.of(Map.of(), Map.of("adv", "orm", "step_len", 4));
            default -> List.of(Map.of());
        };
    }
}
