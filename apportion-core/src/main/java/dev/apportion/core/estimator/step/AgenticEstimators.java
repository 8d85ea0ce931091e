package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/** Registers estimators (see META-INF/services). */
public final class AgenticEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of();
    }
}
