package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import java.util.List;

/**
 * Registers every multi-agent estimator: exactly the estimator classes of this package, whose
 * descriptors declare that granularity (see META-INF/services; {@code EstimatorLayoutTest}
 * checks the rule).
 */
public final class AgentEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new AtGrpo(),
                Coma.withSignals(),
                Coma.withCritic(),
                AgentShapley.fromCoalitions(),
                AgentShapley.fromInfoGain(),
                new Malt(),
                new DrMas(),
                new Ccpo(),
                new C3(),
                new GraphGrpo());
    }
}
