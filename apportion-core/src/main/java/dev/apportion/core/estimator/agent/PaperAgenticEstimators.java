package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import dev.apportion.core.estimator.step.Aem;
import dev.apportion.core.estimator.step.Calm;
import dev.apportion.core.estimator.step.DurationAware;
import dev.apportion.core.estimator.step.FGrpo;
import dev.apportion.core.estimator.step.Habc;
import dev.apportion.core.estimator.step.Lare;
import dev.apportion.core.estimator.step.MapoTurn;
import dev.apportion.core.estimator.step.Oprl;
import dev.apportion.core.estimator.step.Pbsd;

import java.util.List;

/**
 * Registers the paper-level agentic estimators (see META-INF/services): the multi-agent splits
 * of this package ({@code at_grpo} — now at reference fidelity, still registered here until the
 * layout change moves it to {@link AgentEstimators} —, {@code coma}, {@code coma_critic}, {@code agent_shapley},
 * {@code agent_shapley_ig}, {@code malt}) and the turn-level methods of
 * {@code estimator.step} ({@code oprl}, {@code pbsd}, {@code mapo_turn}, {@code aem},
 * {@code f_grpo}, {@code calm}, {@code lare}, {@code habc}, {@code duration_aware}).
 */
public final class PaperAgenticEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(
                new AtGrpo(),
                Coma.withSignals(),
                Coma.withCritic(),
                AgentShapley.fromCoalitions(),
                AgentShapley.fromInfoGain(),
                new Malt(),
                new Oprl(),
                new Pbsd(),
                new MapoTurn(),
                new Aem(),
                new FGrpo(),
                new Calm(),
                new Lare(),
                new Habc(),
                new DurationAware());
    }
}
