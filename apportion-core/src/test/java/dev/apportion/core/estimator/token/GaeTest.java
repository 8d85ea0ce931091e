package dev.apportion.core.estimator.token;

import static dev.apportion.core.estimator.token.TokenTesting.assertValues;
import static dev.apportion.core.estimator.token.TokenTesting.params;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.stats.Whitening;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GaeTest extends EstimatorContract {
    private final Gae gae = new Gae();

    @Override
    protected Estimator estimator() {
        return gae;
    }

    /** verl's example: r=[0,0,1,·], V=[.5,.4,.3,·], mask [1,1,1,0], γ=1, λ=.95 (framework-estimators.md §1.3). */
    @Test
    void verlWorkedExample() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.POLICY, 3)
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.REWARD, new float[] {0, 0, 1, 0})
                .tokenSignal(Rollouts.VALUE, new float[] {.5f, .4f, .3f, 0})
                .build();
        Credit c = gae.assign(b, params(gae, "verl", Map.of("lambda", 0.95)));
        assertValues(new double[] {0.93675, 0.965, 1.0, 0.0}, c.returns(), 0, "returns");
        // the notes give the whitened values to 3 decimals
        assertValues(new double[] {-0.991, -0.017, 1.008, 0.0}, c.advantages(), 0, 5e-4, "whitened advantages");
        Credit raw = gae.assign(b, params(gae, "verl", Map.of("lambda", 0.95, "whiten", false)));
        assertValues(new double[] {0.43675, 0.565, 0.7, 0.0}, raw.advantages(), 0, "advantages before whitening");
    }

    /** A hole P P [C] P, outcome 1 on the last token, V = [.5, .4, (9), .3], γ = .9, λ = .8. */
    private static Rollouts hole() {
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.VALUE, new float[] {.5f, .4f, 9f, .3f})
                .build();
    }

    @Test
    void verlSkipsContextTokens() {
        Credit c = gae.assign(hole(), params(gae, "verl", Map.of("gamma", 0.9, "lambda", 0.8, "whiten", false)));
        assertValues(new double[] {0.12928, 0.374, 0, 0.7}, c.advantages(), 0, "advantages");
        assertValues(new double[] {0.62928, 0.774, 0, 1.0}, c.returns(), 0, "returns");
    }

    @Test
    void openRlhfRunsThroughContextTokensWithValueZero() {
        Credit c = gae.assign(
                hole(), params(gae, "openrlhf", Map.of("gamma", 0.9, "lambda", 0.8, "whiten", false, "kl_coef", 0.0)));
        assertValues(new double[] {-0.0267584, 0.15728, 0, 0.7}, c.advantages(), 0, "advantages");
        assertValues(new double[] {0.4732416, 0.55728, 0, 1.0}, c.returns(), 0, "returns");
    }

    /** verl's test_multi_turn_compute_gae_advantage_return: values at masked positions do not matter. */
    @Test
    void valuesOnContextTokensDoNotMatterInVerlMode() {
        Rollouts a = hole();
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.VALUE, new float[] {.5f, .4f, -3f, .3f})
                .build();
        Params p = params(gae, "verl", Map.of("gamma", 0.9, "lambda", 0.8));
        assertArrayEquals(gae.assign(a, p).advantages(), gae.assign(b, p).advantages());
        assertArrayEquals(gae.assign(a, p).returns(), gae.assign(b, p).returns());
    }

    @Test
    void zeroLengthContextSpansChangeNothing() {
        float[] v = {.1f, .2f, .3f, .4f};
        Rollouts joined = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 4)
                .tokenSignal(Rollouts.VALUE, v)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {.5f, .6f})
                .build();
        Rollouts split = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 0)
                .span(Role.POLICY, 3)
                .span(Role.CONTEXT, 0)
                .tokenSignal(Rollouts.VALUE, v)
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {.5f, .6f})
                .build();
        for (String preset : List.of("verl", "openrlhf")) {
            Params p = params(gae, preset, Map.of("gamma", 0.9, "lambda", 0.7, "kl_coef", 0.0));
            assertArrayEquals(
                    gae.assign(joined, p).advantages(), gae.assign(split, p).advantages(), preset);
            assertArrayEquals(
                    gae.assign(joined, p).returns(), gae.assign(split, p).returns(), preset);
        }
    }

    @Test
    void trajectoryWithoutPolicyTokensGetsZerosAndDoesNotMoveTheWhitening() {
        RolloutsBuilder with = Rollouts.builder();
        with.trajectory("g", "a").outcome(1).span(Role.POLICY, 3).tokenSignal(Rollouts.VALUE, new float[] {.1f, .2f, .3f
        });
        with.trajectory("g", "empty").outcome(5).span(Role.CONTEXT, 2).tokenSignal(Rollouts.VALUE, new float[] {7, 8});
        with.trajectory("g", "b").outcome(0).span(Role.POLICY, 2).tokenSignal(Rollouts.VALUE, new float[] {.4f, .5f});
        Rollouts without = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 3)
                .tokenSignal(Rollouts.VALUE, new float[] {.1f, .2f, .3f})
                .trajectory("g", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {.4f, .5f})
                .build();
        Credit c = gae.assign(with.build());
        Credit d = gae.assign(without);
        assertEquals(0f, c.advantages()[3]);
        assertEquals(0f, c.advantages()[4]);
        assertEquals(0f, c.returns()[3]);
        for (int t = 0; t < 3; t++) assertEquals(d.advantages()[t], c.advantages()[t]);
        for (int t = 0; t < 2; t++) assertEquals(d.advantages()[3 + t], c.advantages()[5 + t]);
    }

    @Test
    void whiteningMatchesTheTwoPassKernel() {
        Rollouts b = RandomBatches.batch(5);
        Params p = params(gae, "verl", Map.of("gamma", 0.97, "lambda", 0.9));
        float[] raw = gae.assign(b, params(gae, "verl", Map.of("gamma", 0.97, "lambda", 0.9, "whiten", false)))
                .advantages();
        Whitening.whiten(raw, b.mask(), Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
        float[] got = gae.assign(b, p).advantages();
        byte[] m = b.mask();
        for (int t = 0; t < m.length; t++) if (m[t] == 1) assertEquals(raw[t], got[t], 1e-5, "token " + t);
        Map<String, Double> diag = gae.assign(b, p).diagnostics();
        assertTrue(diag.containsKey("whiten_mean") && diag.containsKey("whiten_variance"), diag.toString());
    }

    @Test
    void oneTokenBatchCannotBeWhitenedWithTheUnbiasedVariance() {
        Rollouts one = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.CONTEXT, 3)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.VALUE, new float[] {0, 0, 0, .5f})
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gae.assign(one));
        assertTrue(
                e.getMessage().contains("'gae'")
                        && e.getMessage().contains("at least 2 policy tokens, the batch has 1"),
                e.getMessage());
        // OpenRLHF's biased variance with the clamp whitens a single token to 0; without whitening it stays raw
        assertEquals(
                0f,
                gae.assign(one, params(gae, "openrlhf", Map.of("kl_coef", 0.0))).advantages()[3]);
        assertEquals(
                0.5f,
                gae.assign(one, params(gae, "verl", Map.of("whiten", false))).advantages()[3],
                1e-7);
    }

    @Test
    void missingValueNamesEstimatorSignalAndCritic() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> gae.assign(b));
        assertTrue(
                e.getMessage().contains("'gae'")
                        && e.getMessage().contains("'value'")
                        && e.getMessage().contains("critic"),
                e.getMessage());
    }

    @Test
    void outcomeIsClippedAndKlPenaltyNeedsLogprobs() {
        float[] v = {0, 0};
        Rollouts big = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(30)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, v)
                .build();
        Rollouts ten = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(10)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, v)
                .build();
        Params clip = params(gae, "openrlhf", Map.of("kl_coef", 0.0, "whiten", false));
        assertArrayEquals(gae.assign(ten, clip).returns(), gae.assign(big, clip).returns());
        assertEquals(10f, gae.assign(big, clip).returns()[1]);
        RolloutException e =
                assertThrows(RolloutException.class, () -> gae.assign(big, params(gae, "openrlhf", Map.of())));
        assertTrue(e.getMessage().contains("'logprob'"), e.getMessage());
        // with the KL in the loss, no log-probs are needed
        gae.assign(big, params(gae, "openrlhf", Map.of("kl_use_loss", true)));
    }

    @Test
    void klPenaltyEntersPolicyTokenRewards() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.VALUE, new float[] {0, 0, 0})
                .tokenSignal(Rollouts.LOGPROB, new float[] {-1, -2, -50})
                .tokenSignal(Rollouts.REF_LOGPROB, new float[] {-1.5f, -1, 0})
                .build();
        // k1: d = [.5, -1]; rewards −.1·d + outcome on token 1 = [−.05, 1.1]; γ = λ = 1, V = 0
        Credit c = gae.assign(b, params(gae, "openrlhf", Map.of("kl_coef", 0.1, "whiten", false)));
        assertValues(new double[] {1.05, 1.1, 0}, c.returns(), 0, "returns");
    }

    @Test
    void spanRewardsAndOutcomeAreDenseTokenRewards() {
        Rollouts spans = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(2)
                .span(Role.POLICY, 2, 0.5, null, null)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {.1f, .2f, .3f, .4f, .5f})
                .build();
        Rollouts tokens = Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.VALUE, new float[] {.1f, .2f, .3f, .4f, .5f})
                .tokenSignal(Rollouts.REWARD, new float[] {0, .5f, 0, 0, 2})
                .build();
        Params p = params(gae, "verl", Map.of("gamma", 0.9, "lambda", 0.95));
        // equal up to float rounding: span rewards and the outcome are added to the TD error after the token reward
        assertClose(
                gae.assign(tokens, p).advantages(), gae.assign(spans, p).advantages(), "span rewards vs token rewards");
    }

    @Test
    void twoThreadsAreBitIdentical() {
        TokenTesting.assertParallelBitIdentical(gae, params(gae, "verl", Map.of("gamma", 0.99, "lambda", 0.95)));
        TokenTesting.assertParallelBitIdentical(gae, params(gae, "openrlhf", Map.of("gamma", 0.99, "lambda", 0.95)));
    }

    /**
     * Trajectories with a policy span of 256 tokens or more take the blocked recurrence in double:
     * it equals the token-by-token recursion in double to a few float ulps. The others run the
     * references' float32 arithmetic, bit for bit ({@link LongSpans#gaeFloat32}). verl and OpenRLHF
     * context handling.
     */
    @Test
    void longSpansMatchTheTokenByTokenRecursion() {
        Rollouts b = LongSpans.batch(21, 14);
        int shortOnly = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) if (!Gae.hasLongSpan(b, i)) shortOnly++;
        assertTrue(shortOnly > 0 && shortOnly < b.trajectoryCount(), "both kinds of trajectory: " + shortOnly);
        for (boolean through : new boolean[] {false, true}) {
            for (double[] gl : new double[][] {{0.99, 0.95}, {1, 1}, {0.9, 0.5}, {1, 0}}) {
                Params p = params(
                        gae,
                        through ? "openrlhf" : "verl",
                        Map.of("gamma", gl[0], "lambda", gl[1], "whiten", false, "kl_coef", 0.0));
                float[][] inDouble = LongSpans.gae(b, gl[0], gl[1], through);
                float[][] inFloat = LongSpans.gaeFloat32(b, gl[0], gl[1], through);
                float[][] want = {inDouble[0].clone(), inDouble[1].clone()};
                for (int i = 0; i < b.trajectoryCount(); i++) {
                    if (Gae.hasLongSpan(b, i)) continue;
                    for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                        want[0][t] = inFloat[0][t];
                        want[1][t] = inFloat[1][t];
                    }
                }
                Credit c = gae.assign(b, p);
                String what = (through ? "through" : "skip") + " γ=" + gl[0] + " λ=" + gl[1];
                LongSpans.assertNear(b, want[0], c.advantages(), 1e-6, what + " advantages");
                LongSpans.assertNear(b, want[1], c.returns(), 1e-6, what + " returns", want[0]);
                for (int i = 0; i < b.trajectoryCount(); i++) {
                    if (Gae.hasLongSpan(b, i)) continue;
                    for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                        assertEquals(inFloat[0][t], c.advantages()[t], 0f, what + " advantage, token " + t);
                        assertEquals(inFloat[1][t], c.returns()[t], 0f, what + " return, token " + t);
                    }
                }
            }
        }
    }

    /**
     * Multi-turn trajectories (short turns between observations, token rewards, span rewards, an
     * outcome): the references' float32 recursion bit for bit, verl and OpenRLHF context handling,
     * with and without the unit coefficients of the defaults; lanes of different lengths.
     */
    @Test
    void shortTurnsAreTheReferencesFloat32Recursion() {
        Rollouts b = LongSpans.turns(27, 23);
        for (boolean through : new boolean[] {false, true}) {
            for (double[] gl : new double[][] {{0.99, 0.95}, {1, 1}, {0.9, 0.5}, {1, 0}, {1, 0.95}}) {
                Params p = params(
                        gae,
                        through ? "openrlhf" : "verl",
                        Map.of("gamma", gl[0], "lambda", gl[1], "whiten", false, "kl_coef", 0.0));
                float[][] want = LongSpans.gaeFloat32(b, gl[0], gl[1], through);
                Credit c = gae.assign(b, p);
                String what = (through ? "through" : "skip") + " γ=" + gl[0] + " λ=" + gl[1];
                LongSpans.assertNear(b, want[0], c.advantages(), 0, what + " advantages");
                LongSpans.assertNear(b, want[1], c.returns(), 0, what + " returns");
            }
        }
    }

    @Test
    void longSpansWhitenLikeTheTwoPassKernel() {
        Rollouts b = LongSpans.batch(22, 10);
        Map<String, Object> gl = Map.of("gamma", 0.99, "lambda", 0.95);
        float[] raw = gae.assign(b, params(gae, "verl", Map.of("gamma", 0.99, "lambda", 0.95, "whiten", false)))
                .advantages();
        double sum = 0;
        long n = 0;
        byte[] m = b.mask();
        for (int t = 0; t < m.length; t++) {
            if (m[t] == 1) {
                sum += raw[t];
                n++;
            }
        }
        double mean = sum / n;
        double ss = 0;
        for (int t = 0; t < m.length; t++) if (m[t] == 1) ss += (raw[t] - mean) * (raw[t] - mean);
        Credit c = gae.assign(b, params(gae, "verl", gl));
        assertEquals(mean, c.diagnostics().get("whiten_mean"), 1e-6 * Math.sqrt(ss / (n - 1)));
        assertEquals(ss / (n - 1), c.diagnostics().get("whiten_variance"), 1e-6 * ss / (n - 1));
        Whitening.whiten(raw, m, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
        float[] got = c.advantages();
        for (int t = 0; t < m.length; t++) assertEquals(raw[t], got[t], 1e-6 * (1 + Math.abs(raw[t])), "token " + t);
    }

    /** A trajectory's credit before whitening does not depend on where it sits in the batch (bit for bit). */
    @Test
    void longSpansDoNotDependOnBatchOrder() {
        Rollouts fwd = LongSpans.batch(23, 9, false);
        Rollouts rev = LongSpans.batch(23, 9, true);
        Params p = params(gae, "verl", Map.of("gamma", 0.99, "lambda", 0.95, "whiten", false));
        Credit a = gae.assign(fwd, p);
        Credit c = gae.assign(rev, p);
        for (int i = 0; i < fwd.trajectoryCount(); i++) {
            int j = fwd.trajectoryCount() - 1 - i;
            int from = fwd.tokenStart(i);
            int to = fwd.tokenEnd(i);
            int off = rev.tokenStart(j) - from;
            for (int t = from; t < to; t++) {
                assertEquals(a.advantages()[t], c.advantages()[t + off], 0f, "trajectory " + i + " token " + t);
                assertEquals(a.returns()[t], c.returns()[t + off], 0f, "trajectory " + i + " token " + t);
            }
        }
    }

    @Test
    void longSpansAreBitIdenticalWithTwoThreads() {
        Rollouts b = LongSpans.batch(24, 40);
        for (String preset : List.of("verl", "openrlhf")) {
            Params p = params(gae, preset, Map.of("gamma", 0.99, "lambda", 0.95, "kl_coef", 0.0));
            Credit seq = gae.assign(b, p);
            try (Execution two = Execution.threads(2)) {
                Credit par = gae.assign(b, p, two);
                assertArrayEquals(seq.advantages(), par.advantages(), preset);
                assertArrayEquals(seq.returns(), par.returns(), preset);
            }
        }
    }

    /** Credit.Buffers: the outputs go into the caller's arrays, whatever they held, with the same values. */
    @Test
    void buffersAreReusedAndGiveTheSameCredit() {
        Rollouts b = LongSpans.batch(25, 6);
        int n = b.tokenCount();
        Params p = params(gae, "verl", Map.of("gamma", 0.99, "lambda", 0.95));
        Credit fresh = gae.assign(b, p);
        Credit.Buffers buffers = new Credit.Buffers();
        Arrays.fill(buffers.advantages(n), Float.NaN);
        Arrays.fill(buffers.returns(n), Float.NaN);
        Credit reused = gae.assign(b, p, Execution.sequential(), buffers);
        assertSame(buffers.advantages(n), reused.advantages());
        assertSame(buffers.returns(n), reused.returns());
        assertArrayEquals(fresh.advantages(), reused.advantages());
        assertArrayEquals(fresh.returns(), reused.returns());
        assertEquals(fresh.diagnostics(), reused.diagnostics());
        try (Execution two = Execution.threads(2)) {
            Credit again = gae.assign(b, p, two, buffers);
            assertSame(reused.advantages(), again.advantages());
            assertArrayEquals(fresh.advantages(), again.advantages());
        }
        Rollouts other = LongSpans.batch(26, 3);
        Credit c = gae.assign(other, p, Execution.sequential(), buffers);
        assertEquals(other.tokenCount(), c.advantages().length);
        assertArrayEquals(gae.assign(other, p).advantages(), c.advantages());
        assertArrayEquals(gae.assign(other, p).returns(), c.returns());
    }
}
