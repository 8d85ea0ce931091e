package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the reference-fidelity multi-agent estimators of this package (see
 * META-INF/services): {@code dr_mas}, {@code ccpo}, {@code c3}. ({@code at_grpo} and the
 * paper-level multi-agent methods are still registered by {@link PaperAgenticEstimators} until
 * the layout change moves every class of this package here.)
 */
public final class AgentEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new DrMas(), new Ccpo(), new C3());
    }
}
