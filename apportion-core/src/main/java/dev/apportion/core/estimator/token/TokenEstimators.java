package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every token-level estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class TokenEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new Gae(),
                new ReinforcePlusPlus(),
                new ReMax(),
                new OptimalTokenBaseline(),
                new TirOptimalTokenBaseline(),
                new ImplicitTokenReward(),
                new TemporalScheduleEstimator(),
                new Poad(),
                new Delta(),
                new FlowTracer(),
                new Appo(),
                new TargetDecoupledGae());
    }
}
