package dev.apportion.core.estimator.segment;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.estimator.trajectory.AdoraEstimator;
import dev.apportion.core.estimator.trajectory.AdoraVlEstimator;
import dev.apportion.core.estimator.trajectory.AgraeEstimator;

import java.util.List;

/**
 * Registers the reasoning-RL credit methods (see META-INF/services): {@link PureRewardEstimator}
 * ({@code pure_reward}), {@link PureEstimator} ({@code pure}), {@link MaRlhfEstimator}
 * ({@code ma_rlhf}), {@link AgraeEstimator} ({@code a_grae}), {@link AdoraEstimator}
 * ({@code adora}), {@link AdoraVlEstimator} ({@code adora_vl}) and
 * {@link TemporalScheduleEstimator} ({@code temporal_schedule}).
 */
public final class ReasoningEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new PureRewardEstimator(), new PureEstimator(), new MaRlhfEstimator(), new AgraeEstimator(),
                new AdoraEstimator(), new AdoraVlEstimator(), new TemporalScheduleEstimator());
    }
}
