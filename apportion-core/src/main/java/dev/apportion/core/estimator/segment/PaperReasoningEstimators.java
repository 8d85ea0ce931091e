package dev.apportion.core.estimator.segment;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorProvider;
import dev.apportion.core.estimator.step.Capo;
import dev.apportion.core.estimator.step.EuphoniumDualReward;
import dev.apportion.core.estimator.step.GrpoProcess;
import dev.apportion.core.estimator.step.Spae;
import dev.apportion.core.estimator.step.VinePpo;
import dev.apportion.core.estimator.token.ImplicitTokenReward;
import dev.apportion.core.estimator.trajectory.LscTransform;

import java.util.List;

/**
 * Registers the paper-level reasoning estimators (see META-INF/services): {@link ImplicitTokenReward}
 * (From r to Q*), {@link GrpoProcess} (DeepSeekMath process supervision), {@link Capo}, {@link Scrl},
 * {@link Spae}, {@link VinePpo}, {@link GenAc}, {@link LscTransform} and {@link EuphoniumDualReward}.
 */
public final class PaperReasoningEstimators implements EstimatorProvider {
    @Override
    public List<Estimator> estimators() {
        return List.of(new ImplicitTokenReward(), new GrpoProcess(), new Capo(), new Scrl(), new Spae(), new VinePpo(),
                new GenAc(), new LscTransform(), new EuphoniumDualReward());
    }
}
