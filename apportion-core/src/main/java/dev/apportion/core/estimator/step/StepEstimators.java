package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every step-level estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class StepEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new Gigpo(),
                new PureRewardEstimator(),
                new PureEstimator(),
                new GrpoProcess(),
                new Capo(),
                new Spae(),
                new VinePpo(),
                new EuphoniumDualReward(),
                new Habc(),
                new Prl(),
                new Intervention());
    }
}
