package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the turn-level estimators of this package (see META-INF/services): MatchTIR, SIOP,
 * IGPO, A²TGPO and GDPO (the last shares its reference file with SIOP and IGPO).
 */
public final class TurnEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new MatchtirEstimator(), new SiopEstimator(), new IgpoEstimator(), new A2tgpoEstimator(),
                new GdpoEstimator());
    }
}
