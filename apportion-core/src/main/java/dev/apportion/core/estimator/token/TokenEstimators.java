package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/** Registers the estimators of this package (see META-INF/services). */
public final class TokenEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of();
    }
}
