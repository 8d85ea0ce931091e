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
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReinforcePlusPlusTest extends EstimatorContract {
    private final ReinforcePlusPlus rpp = new ReinforcePlusPlus();

    @Override
    protected Estimator estimator() {
        return rpp;
    }

    /** verl's example: γ = .9, reward 1 at t = 2, mask [1,1,1,0] → returns [.81, .9, 1] (framework-estimators.md §1.3). */
    @Test
    void verlWorkedExample() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.POLICY, 3)
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.REWARD, new float[] {0, 0, 1, 0})
                .build();
        Credit c = rpp.assign(b, params(rpp, "verl", Map.of("gamma", 0.9)));
        assertValues(new double[] {0.81, 0.9, 1.0, 0.0}, c.returns(), 0, "returns");
        // whitened over the three returns: mean .9033, unbiased std .0950
        assertValues(new double[] {-0.98, -0.035, 1.015, 0.0}, c.advantages(), 0, 5e-3, "advantages");
    }

    /** P P [C] P with outcome 1 on the last token, γ = .9, no whitening. */
    private static Rollouts hole(int contextTokens) {
        return Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 2)
                .span(Role.CONTEXT, contextTokens)
                .span(Role.POLICY, 1)
                .build();
    }

    @Test
    void contextTokensResetPassOrAreSkipped() {
        Map<String, Object> base = Map.of("gamma", 0.9, "whiten", false, "kl_coef", 0.0);
        Credit reset = rpp.assign(hole(2), params(rpp, "verl", base));
        assertValues(new double[] {0, 0, 0, 0, 1}, reset.returns(), 0, "verl: the return restarts at the observation");
        Credit through = rpp.assign(hole(2), params(rpp, "openrlhf", base));
        assertValues(new double[] {0.6561, 0.729, 0, 0, 1}, through.returns(), 0, "OpenRLHF: one γ per context token");
        Credit skip = rpp.assign(
                hole(2), params(rpp, "verl", Map.of("gamma", 0.9, "whiten", false, "context_tokens", "skip")));
        assertValues(new double[] {0.81, 0.9, 0, 0, 1}, skip.returns(), 0, "skip: context tokens are not steps");
        assertArrayEquals(skip.returns(), skip.advantages(), "no whitening: advantages = returns");
    }

    @Test
    void zeroLengthContextSpanDoesNotReset() {
        Credit c = rpp.assign(hole(0), params(rpp, "verl", Map.of("gamma", 0.9, "whiten", false)));
        assertValues(new double[] {0.81, 0.9, 1}, c.returns(), 0, "returns");
    }

    @Test
    void oneTokenBatchCannotBeWhitenedWithTheUnbiasedVariance() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rpp.assign(b));
        assertTrue(
                e.getMessage().contains("'reinforce_plus_plus'")
                        && e.getMessage().contains("the batch has 1"),
                e.getMessage());
    }

    @Test
    void lambdaIsAcceptedAndIgnored() {
        Rollouts b = hole(1);
        Params p = params(rpp, "openrlhf", Map.of("gamma", 0.9, "kl_coef", 0.0, "lambda", 0.5));
        Params q = params(rpp, "openrlhf", Map.of("gamma", 0.9, "kl_coef", 0.0));
        assertArrayEquals(rpp.assign(b, q).advantages(), rpp.assign(b, p).advantages());
    }

    @Test
    void twoThreadsAreBitIdentical() {
        TokenTesting.assertParallelBitIdentical(rpp, params(rpp, "verl", Map.of("gamma", 0.95)));
        TokenTesting.assertParallelBitIdentical(rpp, params(rpp, "openrlhf", Map.of("gamma", 0.95)));
    }

    /**
     * Trajectories with a policy span of 256 tokens or more take the blocked recurrence in double:
     * it equals the token-by-token discounted return in double to a few float ulps; the others run
     * the references' float32 arithmetic bit for bit ({@link LongSpans#returnsFloat32}). Each
     * context mode.
     */
    @Test
    void longSpansMatchTheTokenByTokenReturn() {
        Rollouts b = LongSpans.batch(31, 14);
        for (String mode : List.of("reset", "through", "skip")) {
            for (double gamma : new double[] {0.99, 1, 0.9}) {
                Params p = params(rpp, "verl", Map.of("gamma", gamma, "context_tokens", mode, "whiten", false));
                float[] want = LongSpans.returns(b, gamma, mode);
                float[] inFloat = LongSpans.returnsFloat32(b, gamma, mode);
                for (int i = 0; i < b.trajectoryCount(); i++) {
                    if (Gae.hasLongSpan(b, i)) continue;
                    System.arraycopy(inFloat, b.tokenStart(i), want, b.tokenStart(i), b.tokenEnd(i) - b.tokenStart(i));
                }
                Credit c = rpp.assign(b, p);
                LongSpans.assertNear(b, want, c.returns(), 1e-6, mode + " γ=" + gamma + " returns");
                for (int i = 0; i < b.trajectoryCount(); i++) {
                    if (Gae.hasLongSpan(b, i)) continue;
                    for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) {
                        assertEquals(inFloat[t], c.returns()[t], 0f, mode + " γ=" + gamma + " token " + t);
                    }
                }
                assertArrayEquals(c.returns(), c.advantages(), "no whitening: advantages = returns");
            }
        }
    }

    /** Multi-turn trajectories: the references' float32 return bit for bit, each context mode, γ = 1 and not. */
    @Test
    void shortTurnsAreTheReferencesFloat32Return() {
        Rollouts b = LongSpans.turns(33, 23);
        for (String mode : List.of("reset", "through", "skip")) {
            for (double gamma : new double[] {0.99, 1, 0.9}) {
                Params p = params(rpp, "verl", Map.of("gamma", gamma, "context_tokens", mode, "whiten", false));
                float[] want = LongSpans.returnsFloat32(b, gamma, mode);
                Credit c = rpp.assign(b, p);
                LongSpans.assertNear(b, want, c.returns(), 0, mode + " γ=" + gamma + " returns");
                LongSpans.assertNear(b, want, c.advantages(), 0, mode + " γ=" + gamma + " advantages");
            }
        }
    }

    @Test
    void longSpansAreBitIdenticalWithTwoThreadsAndBuffers() {
        Rollouts b = LongSpans.batch(32, 40);
        Params p = params(rpp, "verl", Map.of("gamma", 0.99));
        Credit seq = rpp.assign(b, p);
        Credit.Buffers buffers = new Credit.Buffers();
        Arrays.fill(buffers.advantages(b.tokenCount()), Float.NaN);
        Arrays.fill(buffers.returns(b.tokenCount()), Float.NaN);
        try (Execution two = Execution.threads(2)) {
            Credit par = rpp.assign(b, p, two, buffers);
            assertSame(buffers.advantages(b.tokenCount()), par.advantages());
            assertArrayEquals(seq.advantages(), par.advantages());
            assertArrayEquals(seq.returns(), par.returns());
        }
    }
}
