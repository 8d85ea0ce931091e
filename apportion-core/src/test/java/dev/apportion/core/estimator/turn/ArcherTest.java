package dev.apportion.core.estimator.turn;

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

class ArcherTest extends EstimatorContract {
    private final Archer est = new Archer();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(null, Map.of("token_baseline", true)));
    }

    /** The random batch with critic outputs on every policy span (fixed functions of the span's numbers). */
    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        RolloutsBuilder b = Rollouts.builder();
        for (RandomBatches.Traj t : trajectories) {
            b.trajectory(t.group(), t.id()).outcome(t.outcome());
            for (RandomBatches.SpanSpec s : t.spans()) {
                b.span(s.role(), s.tokens(), s.reward(), s.state(), s.agent());
                if (s.role() == Role.POLICY) {
                    double x = s.prm();
                    double y = s.infoGain();
                    b.spanSignal(Archer.Q1_PI, x)
                            .spanSignal(Archer.Q2_PI, x + y)
                            .spanSignal(Archer.V1, y)
                            .spanSignal(Archer.V2, 0.5 * x)
                            .spanSignal(Archer.TARGET_V1_NEXT, x - y)
                            .spanSignal(Archer.TARGET_V2_NEXT, 0.3);
                }
            }
            b.tokenSignal(Rollouts.REWARD, t.reward())
                    .tokenSignal(Rollouts.VALUE, t.value())
                    .tokenSignal(Rollouts.LOGPROB, t.logprob());
        }
        return b.build();
    }

    private static void critic(RolloutsBuilder b, double q1, double q2, double v1, double v2, double tv1, double tv2) {
        b.spanSignal(Archer.Q1_PI, q1)
                .spanSignal(Archer.Q2_PI, q2)
                .spanSignal(Archer.V1, v1)
                .spanSignal(Archer.V2, v2)
                .spanSignal(Archer.TARGET_V1_NEXT, tv1)
                .spanSignal(Archer.TARGET_V2_NEXT, tv2);
    }

    /** Two utterances: A = min(Q) − min(V); TD targets r + (1 − done)·γ·V'(s'), done on the last utterance. */
    @Test
    void advantageAndTdTargetsByHand() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "a").span(Role.CONTEXT, 1).span(Role.POLICY, 2, 1.0, null, null);
        critic(b, 1.0, 2.0, 0.5, 0.2, 2.0, 3.0);
        b.span(Role.CONTEXT, 1).span(Role.POLICY, 1, 0.5, null, null);
        critic(b, -1.0, 0.0, 0.0, 1.0, 4.0, 4.0);
        b.tokenSignal(Rollouts.VALUE, new float[] {0f, 0.3f, -0.2f, 0f, 0.1f});
        Rollouts batch = b.build();
        Params p = resolved("trainer", Map.of());
        Credit c = est.assign(batch, p);
        assertEquals(0.8f, c.advantages()[1], 1e-6f);
        assertEquals(0.8f, c.advantages()[2], 1e-6f);
        assertEquals(0f, c.advantages()[3]);
        assertEquals(-1.0f, c.advantages()[4], 1e-6f);
        Archer.Components k = est.components(batch, p);
        assertEquals(1.0 + 0.9 * 2.0, k.tdTargetQ1()[0], 1e-6);
        assertEquals(1.0 + 0.9 * 3.0, k.tdTargetQ2()[0], 1e-6, "one target per head, no min");
        assertEquals(0.5, k.tdTargetQ1()[1], 1e-6, "the last utterance is done");
        assertEquals(2.8f, c.returns()[1], 1e-6f);
        Credit base = est.assign(batch, resolved(null, Map.of("token_baseline", true)));
        assertEquals(0.5f, base.advantages()[1], 1e-6f);
        assertEquals(1.0f, base.advantages()[2], 1e-6f);
    }

    @Test
    void anUtteranceWithoutCriticOutputsIsAnError() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("g", "a").span(Role.POLICY, 2);
        critic(b, 1, 1, 1, 1, 1, 1);
        b.span(Role.POLICY, 1);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("spans[1]") && e.getMessage().contains(Archer.Q1_PI), e.getMessage());
    }
}
