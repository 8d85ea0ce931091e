package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the turn-level estimators of this package (see META-INF/services): {@link Itpo}
 * ({@code itpo}), {@code mt_grpo}, {@code spa_rl}, {@code spa_rl_step_rewards}.
 */
public final class TurnEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new Itpo(), new MtGrpo(), new SpaRl(), new SpaRlStepRewards());
    }
}
