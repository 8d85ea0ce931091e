package dev.apportion.bench.testing;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/** Registers the test-only estimators (test class path only). */
public final class TestEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new OutcomeOnly(), new NeedsCritic());
    }
}
