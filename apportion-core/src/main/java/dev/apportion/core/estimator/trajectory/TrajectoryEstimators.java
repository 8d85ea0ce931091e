package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/** Registers the estimators of this package (see META-INF/services). */
public final class TrajectoryEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of();
    }
}
