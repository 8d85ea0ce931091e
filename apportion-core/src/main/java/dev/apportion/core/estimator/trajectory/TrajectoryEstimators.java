package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every trajectory-level estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class TrajectoryEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new Grpo(),
                new DrGrpo(),
                new Rloo(),
                new Opo(),
                new Gpg(),
                new GrpoPassK(),
                new ReinforcePlusPlusBaseline(),
                new Dapo(),
                new AgraeEstimator(),
                new AdoraEstimator(),
                new AdoraVlEstimator(),
                new LscTransform(),
                new GdpoEstimator(),
                new DurationAware());
    }
}
