package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the step-level estimators of this package (see META-INF/services): {@link Gigpo},
 * {@link Prl}.
 */
public final class StepEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new Gigpo(), new Prl(), new Intervention());
    }
}
