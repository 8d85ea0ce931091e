package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImplicitTokenRewardTest extends EstimatorContract {
    private final ImplicitTokenReward est = new ImplicitTokenReward();

    @Override
    protected Estimator estimator() {
        return est;
    }

    private static double[] logs(double... p) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = Math.log(p[i]);
        return out;
    }

    /** One context token then three policy tokens with π = [0.5, 0.9, 0.2], π_ref = [0.25, 0.9, 0.4]. */
    private static Rollouts paperExample() {
        return Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 3)
                .tokenSignal(Rollouts.LOGPROB, logs(0.7, 0.5, 0.9, 0.2))
                .tokenSignal(Rollouts.REF_LOGPROB, logs(0.1, 0.25, 0.9, 0.4))
                .build();
    }

    @Test
    void notesWorkedExample() {
        Credit c = est.assign(paperExample());
        float[] a = c.advantages();
        // β·ln(0.5/0.25) = 0.1·ln 2, 0, 0.1·ln(0.2/0.4) = −0.1·ln 2 (notes: 0.06931, 0, −0.06931)
        assertEquals(0f, a[0], 0f);
        assertEquals(0.0693147, a[1], 1e-6);
        assertEquals(0.0, a[2], 1e-7);
        assertEquals(-0.0693147, a[3], 1e-6);
        // returns are the reward-to-go; the sequence implicit reward is 0
        assertEquals(0.0, c.returns()[1], 1e-7);
        assertEquals(-0.0693147, c.returns()[2], 1e-6);
        assertEquals(-0.0693147, c.returns()[3], 1e-6);
        assertEquals(0.0, c.diagnostics().get("mean_sequence_implicit_reward"), 1e-7);
    }

    @Test
    void rewardToGoSkipsContextTokens() {
        Rollouts b = Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.POLICY, 1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.LOGPROB, new double[] {-1.0, -5.0, -5.0, -2.0})
                .tokenSignal(Rollouts.REF_LOGPROB, new double[] {-1.5, 0.0, 0.0, -1.0})
                .build();
        Params p = Params.resolve(est.descriptor(), null, Map.of("beta", 1.0, "credit", "reward_to_go"));
        float[] a = est.assign(b, p).advantages();
        // r̂ = [0.5, ctx, ctx, −1.0]; to-go = [−0.5, 0, 0, −1.0]
        assertEquals(-0.5, a[0], 1e-6);
        assertEquals(0f, a[1], 0f);
        assertEquals(0f, a[2], 0f);
        assertEquals(-1.0, a[3], 1e-6);
    }

    @Test
    void teacherPosteriorGivesLogRatioOfSuccessProbabilities() {
        // π(a|s) = 0.5, P(success|s,a) = 0.8, P(success|s) = 0.6: the posterior π(a|s,success) = 0.5·0.8/0.6
        double posterior = 0.5 * 0.8 / 0.6;
        Rollouts b = Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.OLD_LOGPROB, logs(0.5))
                .tokenSignal(Rollouts.TEACHER_LOGPROB, logs(posterior))
                .build();
        float[] a = est.assign(b, Params.resolve(est.descriptor(), "teacher_posterior", Map.of()))
                .advantages();
        assertEquals(Math.log(0.8 / 0.6), a[0], 1e-6);
    }

    @Test
    void identicalSignalsAreRejectedAndMissingSignalsNamed() {
        Params same = Params.resolve(est.descriptor(), null, Map.of("reference_signal", "logprob"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> est.assign(paperExample(), same));
        assertTrue(e.getMessage().contains("both 'logprob'"), e.getMessage());
        Rollouts noRef = Rollouts.builder()
                .trajectory("q", "a")
                .span(Role.POLICY, 1)
                .tokenSignal(Rollouts.LOGPROB, new double[] {-1})
                .build();
        RolloutException r = assertThrows(RolloutException.class, () -> est.assign(noRef));
        assertTrue(r.getMessage().contains("ref_logprob"), r.getMessage());
    }

    @Test
    void betaScalesLinearly() {
        float[] a1 = est.assign(paperExample(), Params.resolve(est.descriptor(), null, Map.of("beta", 1.0)))
                .advantages();
        float[] a2 = est.assign(paperExample(), Params.resolve(est.descriptor(), null, Map.of("beta", 2.0)))
                .advantages();
        assertEquals(Math.log(2), a1[1], 1e-6);
        assertEquals(2 * a1[1], a2[1], 1e-6);
    }
}
