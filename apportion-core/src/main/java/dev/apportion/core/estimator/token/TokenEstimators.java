package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the token-level framework estimators (see META-INF/services): {@code gae},
 * {@code reinforce_plus_plus}, {@code remax}, {@code optimal_token_baseline},
 * {@code tir_optimal_token_baseline}, {@code poad}.
 */
public final class TokenEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new Gae(), new ReinforcePlusPlus(), new ReMax(), new OptimalTokenBaseline(),
                new TirOptimalTokenBaseline(), new Poad(), new Appo(), new TargetDecoupledGae());
    }
}
