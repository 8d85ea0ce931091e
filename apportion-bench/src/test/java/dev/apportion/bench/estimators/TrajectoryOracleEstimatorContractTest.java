package dev.apportion.bench.estimators;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;

/** The trajectory-level oracle (the sum of the true span advantages, on every policy token) keeps every estimator invariant. */
class TrajectoryOracleEstimatorContractTest extends EstimatorContract {
    @Override
    protected Estimator estimator() {
        return new TrajectoryOracleEstimator();
    }

    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        return RandomBatches.build(trajectories, Signals.TRUE_ADVANTAGE);
    }
}
