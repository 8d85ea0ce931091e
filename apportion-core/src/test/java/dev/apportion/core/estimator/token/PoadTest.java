package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoadTest extends EstimatorContract {
    private static final Poad EST = new Poad();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(params(Map.of("algorithm", "ARCHER", "gamma", 1.0, "gae_lambda", 1.0)));
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Action 0 (2 tokens, V .5 .6, reward 0), an observation of 2 tokens, action 1 (1 token, V .7, reward 1). */
    static Rollouts episode(Double nextValue) {
        RolloutsBuilder b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 2, 0.0, null, null)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 1, 1.0, null, null)
                .tokenSignal(Rollouts.VALUE, new float[] {0.5f, 0.6f, 9, 9, 0.7f});
        if (nextValue != null) b.signal(Poad.NEXT_VALUE, nextValue);
        return b.build();
    }

    /**
     * γ = 0.9, λ = 0.8. Action 1 ends the episode: δ = 1 − 0.7 = 0.3. Action 0's end bootstraps from the
     * first token of action 1: δ = 0.9·0.7 − 0.6 = 0.03, g = 0.03 + 0.72·0.3 = 0.246. Inside action 0
     * (POAD): δ = 0.6 − 0.5, g = 0.1 + 0.8·0.246 = 0.2968; NTPO: δ = 0.9·0.6 − 0.5, g = 0.04 + 0.72·0.246.
     */
    @Test
    void workedExample() {
        Credit poad = EST.assign(episode(null), params(Map.of("gamma", 0.9, "gae_lambda", 0.8)));
        assertArrayEquals(new float[] {0.2968f, 0.246f, 0, 0, 0.3f}, poad.advantages(), 1e-6f);
        assertArrayEquals(new float[] {0.7968f, 0.846f, 0, 0, 1.0f}, poad.returns(), 1e-6f);
        Credit ntpo = EST.assign(episode(null), params(Map.of("gamma", 0.9, "gae_lambda", 0.8, "algorithm", "NTPO")));
        assertEquals(0.04 + 0.72 * 0.246, ntpo.advantages()[0], 1e-6);
        // a continuing episode bootstraps from next_value: δ = 1 + 0.9·0.5 − 0.7
        Credit go = EST.assign(episode(0.5), params(Map.of("gamma", 0.9, "gae_lambda", 0.8)));
        assertEquals(0.75, go.advantages()[4], 1e-6);
    }

    /** ARCHER bootstraps from the last token of the next action; the action level uses one value per action. */
    @Test
    void archerAndActionLevel() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 1, 0.0, null, null)
                .span(Role.POLICY, 2, 1.0, null, null)
                .tokenSignal(Rollouts.VALUE, new float[] {0.5f, 0.6f, 0.7f})
                .build();
        Credit archer = EST.assign(b, params(Map.of("gamma", 1.0, "gae_lambda", 1.0, "algorithm", "ARCHER")));
        // action 1: last token δ = 1 − 0.7, inside δ = 0.7 − 0.6 → 0.4; action 0: δ = 0.7 − 0.5 = 0.2, g = 0.2 + 0.4
        assertArrayEquals(new float[] {0.6f, 0.4f, 0.3f}, archer.advantages(), 1e-6f);
        Credit action = EST.assign(b, params(Map.of("gamma", 1.0, "gae_lambda", 1.0, "level", "action")));
        // action values 0.5, 0.6: action 1 δ = 1 − 0.6 = 0.4; action 0 δ = 0.6 − 0.5 + 0.4
        assertArrayEquals(new float[] {0.5f, 0.4f, 0.4f}, action.advantages(), 1e-6f);
        assertArrayEquals(new float[] {1.0f, 1.0f, 1.0f}, action.returns(), 1e-6f);
    }

    @Test
    void anActionWithoutTokensIsRefused() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 0)
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.VALUE, new float[1])
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of())));
        assertTrue(e.getMessage().contains("without tokens"), e.getMessage());
    }
}
