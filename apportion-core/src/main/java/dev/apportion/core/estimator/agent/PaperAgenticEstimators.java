package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/** Registers estimators (see META-INF/services). */
public final class PaperAgenticEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of();
    }
}
