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
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeltaTest extends EstimatorContract {
    private final Delta est = new Delta();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The random batch plus a width-3 hidden state per token, a fixed function of trajectory id and position. */
    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        RolloutsBuilder b = Rollouts.builder();
        for (RandomBatches.Traj t : trajectories) {
            b.trajectory(t.group(), t.id()).outcome(t.outcome());
            for (RandomBatches.SpanSpec s : t.spans()) b.span(s.role(), s.tokens(), s.reward(), s.state(), s.agent());
            b.tokenSignal(Rollouts.REWARD, t.reward()).tokenSignal(Rollouts.OLD_LOGPROB, t.oldLogprob());
            b.tokenVector(Delta.HIDDEN, 3, hidden(t.id(), t.tokens()));
        }
        return b.build();
    }

    private static float[] hidden(String id, int tokens) {
        float[] h = new float[tokens * 3];
        int seed = id.hashCode();
        for (int k = 0; k < h.length; k++) h[k] = (float) Math.sin(0.37 * k + seed % 97);
        return h;
    }

    /** Two groups of two: the weights average 1 over the response tokens and keep each advantage's sign. */
    private static Rollouts small() {
        RolloutsBuilder b = Rollouts.builder();
        float[][] h = {{1, 0, 0, 1, 1, 1}, {0, 1, 1, 0, 0, 0}, {2, 0, 1, 1, 0, 2}, {0, 0, 1, 2, 0, 1}};
        double[] outcome = {1, 0, 1, 0};
        for (int i = 0; i < 4; i++) {
            b.trajectory("g" + (i / 2), "t" + i)
                    .outcome(outcome[i])
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 2);
            b.tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -0.5f, -1f});
            b.tokenVector(Delta.HIDDEN, 2, h[i]);
        }
        return b.build();
    }

    @Test
    void weightsAverageOneAndKeepTheSign() {
        Rollouts batch = small();
        Delta.Components c = est.components(batch, Params.defaults(est.descriptor()));
        assertEquals(8, c.tokens().length, "prompt tokens are not in the response token set");
        double sum = 0;
        for (double w : c.weights()) {
            sum += w;
            assertTrue(w > 0);
        }
        assertEquals(1.0, sum / c.weights().length, 1e-12);
        Credit credit = est.assign(batch);
        for (int i = 0; i < 4; i++) {
            for (int t = batch.tokenStart(i) + 1; t < batch.tokenEnd(i); t++) {
                assertEquals(Math.signum(c.rowAdvantage()[i]), Math.signum(credit.advantages()[t]));
            }
        }
        // GRPO of (1, 0) in a group of two: ±1/sqrt(2) (unbiased std)
        assertEquals(1 / Math.sqrt(2), c.rowAdvantage()[0], 1e-5);
    }

    @Test
    void equalLambdasGiveUnitWeights() {
        Rollouts batch = small();
        Params p = Params.resolve(est.descriptor(), null, Map.of("lam_min", 1.0, "lam_max", 1.0));
        for (double w : est.components(batch, p).weights()) assertEquals(1.0, w, 1e-12);
    }

    @Test
    void featureNearerThePositiveCentreWeighsMoreOnAPositiveRow() {
        // one positive row whose two tokens differ: the token nearer the positive centre (and
        // farther from the negative one) gets the larger weight
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "pos")
                .outcome(1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-10f, -10f})
                .tokenVector(Delta.HIDDEN, 1, new float[] {1f, 3f});
        b.trajectory("g", "neg")
                .outcome(0)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-10f, -10f})
                .tokenVector(Delta.HIDDEN, 1, new float[] {-2f, -2f});
        Delta.Components c = est.components(b.build(), Params.defaults(est.descriptor()));
        assertTrue(c.weights()[1] > c.weights()[0], "token at 3 is farther from the negative centre -2");
        assertTrue(c.w()[0] > 0, "W points from the negative to the positive centre");
    }

    @Test
    void missingHiddenStatesNameTheSignal() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "a").outcome(1).span(Role.POLICY, 2).tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, 0f});
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("token_vectors.hidden"), e.getMessage());
    }

    @Test
    void tokenSignalBaseReadsTheFirstPolicyToken() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "a")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0f, -1f, -1f})
                .tokenSignal(Delta.ADVANTAGE, new float[] {9f, 0.5f, 7f})
                .tokenVector(Delta.HIDDEN, 1, new float[] {0f, 1f, 2f});
        Params p = Params.resolve(est.descriptor(), null, Map.of("base_advantage", "token_signal"));
        assertEquals(0.5, est.components(b.build(), p).rowAdvantage()[0], 0.0);
    }
}
