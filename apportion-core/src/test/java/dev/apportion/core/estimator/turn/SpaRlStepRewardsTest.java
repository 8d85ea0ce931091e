package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import org.junit.jupiter.api.Test;

class SpaRlStepRewardsTest extends EstimatorContract {
    private final SpaRlStepRewards est = new SpaRlStepRewards();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Observation, action, observation, action, …: one token per message, text = the message. */
    private static void rollout(
            RolloutsBuilder b, String task, String id, double reward, int predictions, String... messages) {
        b.trajectory(task, id).outcome(reward).signal(SpaRlStepRewards.TURN_VALUE_COUNT, predictions);
        for (int j = 0; j < messages.length; j++) b.span(j % 2 == 0 ? Role.CONTEXT : Role.POLICY, 1);
        b.tokenText(messages);
    }

    /**
     * Task t: rewards 1, 0, 0.5 -> centred 0.75, -0.75, 0. Rollout a: the observation after its first
     * action says "Nothing happens" -> step rewards [0.75, 1.25]. Rollout c has 3 predictions for 2 steps:
     * skipped, but its reward still counts in the others' baselines.
     */
    @Test
    void centredOutcomePlusGrounding() {
        RolloutsBuilder b = Rollouts.builder();
        rollout(b, "t", "a", 1.0, 2, "obs", "click", "Nothing happens.", "buy");
        rollout(b, "t", "b", 0.0, 1, "obs", "click");
        rollout(b, "t", "c", 0.5, 3, "obs", "click", "page", "buy");
        rollout(b, "u", "d", 0.4, 1, "obs", "click");
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        assertEquals(0.75, a[1], 1e-6);
        assertEquals(1.25, a[3], 1e-6);
        assertEquals(-0.25, a[batch.tokenStart(1) + 1], 1e-6);
        assertEquals(0f, a[batch.tokenStart(2) + 1], 0f);
        assertEquals(0f, c.lossWeights()[batch.tokenStart(2) + 1], 0f);
        assertEquals(0.9, a[batch.tokenStart(3) + 1], 1e-6); // a task with one rollout keeps its raw reward
        SpaRlStepRewards.Steps st = est.steps(batch, dev.apportion.core.credit.Params.defaults(est.descriptor()));
        assertTrue(st.kept()[0]);
        assertFalse(st.kept()[2]);
        assertEquals(1.0, c.diagnostics().get("dropped_rollouts"));
    }

    @Test
    void tooManyStepsAreDroppedAndMissingTextIsAnError() {
        RolloutsBuilder b = Rollouts.builder();
        String[] msgs = new String[70];
        for (int j = 0; j < msgs.length; j++) msgs[j] = "m" + j;
        rollout(b, "t", "long", 1.0, 35, msgs);
        assertFalse(est.steps(b.build(), dev.apportion.core.credit.Params.defaults(est.descriptor()))
                .kept()[0]);
        Rollouts bare = Rollouts.builder()
                .trajectory("t", "x")
                .outcome(1)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(bare));
    }
}
