package dev.apportion.core.estimator.segment;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every segment-level estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class SegmentEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new MaRlhfEstimator(),
                new Scrl(),
                new GenAc(),
                new FGrpo(),
                new SpoChain(),
                new SpoTree(),
                new TpGrpo());
    }
}
