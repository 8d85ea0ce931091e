package dev.apportion.bench.estimators;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.testing.EstimatorContract;

/** The random reference estimator keeps every estimator invariant. */
class RandomEstimatorContractTest extends EstimatorContract {
    @Override
    protected Estimator estimator() {
        return new RandomEstimator();
    }
}
