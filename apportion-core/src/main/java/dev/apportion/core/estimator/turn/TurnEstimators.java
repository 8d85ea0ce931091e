package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the turn-level estimators of this package (see META-INF/services): AT²PO's tree
 * credit and ArCHer's utterance-level actor-critic.
 */
public final class TurnEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new At2po(), new Archer());
    }
}
