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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;

/**
 * Reference estimator {@code oracle}: the exact credit, read from the benchmark's truth signals.
 *
 * <p>Formula: the advantage of policy token {@code t} taken in state {@code s} is
 * {@code A(s, a) = Q(s, a) − V(s)} under the sampling policy, as computed by backward induction
 * on the task's MDP (token signal {@code true_advantage}); the advantage of a turn is the sum of
 * its tokens' advantages (span signal {@code true_advantage}). When the token signal is absent,
 * the span value is copied onto each of the span's policy tokens.
 *
 * <p>Purpose: it validates the metrics (its rank correlation with the truth is 1 by construction)
 * and bounds what any estimator can reach. It is not a method: real batches carry no
 * {@code true_advantage}. Source: apportion's benchmark protocol (docs/benchmark.md).
 *
 * <p>Defaults: no parameters. Edge cases: context tokens and context spans get 0; a NaN span
 * truth is an error. Thread-safety: stateless.
 */
public final class OracleEstimator implements Estimator, BenchReference {
    private static final Descriptor DESCRIPTOR = Descriptor.builder("oracle")
            .title("Oracle (exact true advantage; benchmark reference)")
            .source("apportion benchmark protocol: exact Q(s,a) - V(s) by backward induction (docs/benchmark.md)")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(SignalRequirement.span(Signals.TRUE_ADVANTAGE, "the apportion benchmark's exact solver"))
            .summary("A(s,a) = Q(s,a) - V(s), exact; turn credit = sum over the turn's tokens")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        float[] span = TrueAdvantage.spans(batch, "oracle", " (spans[].signals." + Signals.TRUE_ADVANTAGE + ")");
        float[] spanAdv = new float[batch.spanCount()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                float v = span[s];
                if (Float.isNaN(v)) {
                    throw new RolloutException(
                            batch.describe(i) + ": policy span " + (s - batch.spanStart(i)) + " has no "
                                    + Signals.TRUE_ADVANTAGE + " (estimator 'oracle')",
                            i,
                            "spans[" + (s - batch.spanStart(i)) + "].signals." + Signals.TRUE_ADVANTAGE);
                }
                spanAdv[s] = v;
            }
        }
        return TrueAdvantage.onPolicySpans(batch, spanAdv, batch.tokenSignal(Signals.TRUE_ADVANTAGE));
    }
}
