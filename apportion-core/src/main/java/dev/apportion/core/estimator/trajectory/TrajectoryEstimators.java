package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;

import java.util.List;

/**
 * Registers the outcome-level (trajectory) estimators of this package: {@code grpo},
 * {@code dr_grpo}, {@code rloo}, {@code opo}, {@code gpg}, {@code grpo_passk},
 * {@code reinforce_plus_plus_baseline} (alias {@code reinforce_baseline}) and {@code dapo}
 * (see META-INF/services).
 */
public final class TrajectoryEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new Grpo(), new DrGrpo(), new Rloo(), new Opo(), new Gpg(), new GrpoPassK(),
                new ReinforcePlusPlusBaseline(), new Dapo());
    }
}
