package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every turn-level estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class TurnEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new MatchtirEstimator(),
                new SiopEstimator(),
                new IgpoEstimator(),
                new A2tgpoEstimator(),
                new VprEstimator(),
                new R3lEstimator(),
                new A3Estimator(),
                new Oprl(),
                new Pbsd(),
                new MapoTurn(),
                new Aem(),
                new Calm(),
                new Lare(),
                new Itpo(),
                new MtGrpo(),
                new SpaRl(),
                new SpaRlStepRewards(),
                new At2po(),
                new Archer());
    }
}
