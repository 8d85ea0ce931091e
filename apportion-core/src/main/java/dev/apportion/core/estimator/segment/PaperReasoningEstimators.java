package dev.apportion.core.estimator.segment;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/** Registers estimators (see META-INF/services). */
public final class PaperReasoningEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of();
    }
}
