package dev.apportion.bench.estimators;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/** Registers the benchmark's reference estimators {@code oracle}, {@code trajectory_oracle} and {@code random} (see META-INF/services). */
public final class BenchEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new OracleEstimator(), new TrajectoryOracleEstimator(), new RandomEstimator());
    }
}
