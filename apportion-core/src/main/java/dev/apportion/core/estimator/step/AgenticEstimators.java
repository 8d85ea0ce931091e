package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the agentic turn-level estimators of this package whose golden vectors live in
 * {@code vpr-r3l-a3.jsonl} (see META-INF/services): VPR, R³L and A³.
 */
public final class AgenticEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new VprEstimator(), new R3lEstimator(), new A3Estimator());
    }
}
