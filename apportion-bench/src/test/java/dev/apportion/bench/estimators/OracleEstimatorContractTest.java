package dev.apportion.bench.estimators;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;

/** The oracle keeps every estimator invariant on batches that carry the true advantage of each policy span. */
class OracleEstimatorContractTest extends EstimatorContract {
    @Override
    protected Estimator estimator() {
        return new OracleEstimator();
    }

    @Override
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        return RandomBatches.build(trajectories, Signals.TRUE_ADVANTAGE);
    }
}
