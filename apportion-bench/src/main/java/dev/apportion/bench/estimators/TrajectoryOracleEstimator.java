package dev.apportion.bench.estimators;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

/**
 * Reference estimator {@code trajectory_oracle}: the best credit a trajectory-level method can
 * give — every turn of a trajectory gets the trajectory's summed exact advantage
 * {@code Σ_t (Q(s_t,a_t) − V(s_t))}. Its scores are the ceiling of any trajectory-constant credit
 * on each task (pooled Spearman is capped well below 1 for such credit; within-trajectory
 * Spearman is 0 by construction). Source: apportion's benchmark protocol (docs/benchmark.md),
 * after the audit in issue 7. Not a method; reads the truth view only the bench gives references.
 */
public final class TrajectoryOracleEstimator implements Estimator, BenchReference {
    private static final Descriptor DESCRIPTOR = Descriptor.builder("trajectory_oracle")
            .title("Trajectory oracle (exact trajectory-level advantage on every turn; benchmark reference)")
            .source(
                    "apportion benchmark protocol: sum of the exact Q(s,a) - V(s) over the trajectory (docs/benchmark.md)")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(SignalRequirement.span(Signals.TRUE_ADVANTAGE, "the apportion benchmark's exact solver"))
            .summary(
                    "every turn gets the trajectory's summed exact advantage: the ceiling of trajectory-constant credit")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        float[] span = TrueAdvantage.spans(batch, "trajectory_oracle", "");
        float[] spanAdv = new float[batch.spanCount()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            double sum = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) sum += span[s];
            float v = (float) sum;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) spanAdv[s] = v;
        }
        return TrueAdvantage.onPolicySpans(batch, spanAdv, null);
    }
}
