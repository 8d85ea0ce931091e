package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * Duration-aware policy-gradient weighting ({@code duration_aware}): in asynchronous agent RL,
 * fast actions return first and would otherwise contribute more updates per unit of wall-clock
 * time; weighting each sample's advantage by its execution duration removes that bias toward
 * fast but poor solutions.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>{@code A_i = R_i − μ_g}, divided by {@code σ_g + ε} (σ unbiased) when
 *       {@code normalize_by_std}: GRPO over the group's {@link Rollouts#scores()}; a
 *       one-trajectory group gets 0.</li>
 *   <li>duration {@code Δt}: the trajectory signal {@code duration} ({@code duration_source =
 *       trajectory}; every turn of the trajectory shares it), or the span signal {@code duration}
 *       of each turn (the name is {@code duration_signal}) ({@code duration_source = turn}: each action weighted by its own
 *       execution time).</li>
 *   <li>{@code Ã = A·Δt / D}, with {@code D} the mean ({@code normalizer = batch_mean}) or the
 *       sum ({@code batch_sum}) of Δt over the batch's samples (trajectories or turns), so that
 *       {@code Σ Ã ∇log π} is the duration-weighted gradient of the paper.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * S. Yang et al., "Reinforcement Learning for Machine Learning Engineering Agents",
 * arXiv 2509.01684 (ICLR 2026); code sherryy/rl4mle (not read). Fidelity {@code reconstructed}:
 * the duration weighting of each sample's policy-gradient term follows the paper's summary;
 * the normalizer (mean or sum of the durations over the batch) is unverified, and the base
 * advantage (GRPO) is our choice.
 *
 * <h2>Edge cases</h2>
 * A negative or missing duration throws a {@link RolloutException}; a batch whose durations
 * are all 0 gives 0. Not group-local: the normalizer spans the batch.
 *
 * <p>Stateless and thread-safe.
 */
public final class DurationAware implements BufferedEstimator {
    static final String ID = "duration_aware";

    /** Where the duration comes from ({@code duration_source}). */
    enum DurationSource {
        /** a trajectory signal */
        TRAJECTORY,
        /** a span signal on each turn */
        TURN
    }

    /** What the duration is divided by ({@code normalizer}). */
    enum Normalizer {
        /** the batch mean */
        BATCH_MEAN,
        /** the batch sum */
        BATCH_SUM
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Duration-aware updates: GRPO advantage weighted by execution duration / batch mean duration")
            .source("Yang et al., Reinforcement Learning for Machine Learning Engineering Agents, arXiv 2509.01684")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(false)
            .requires(
                    SignalRequirement.trajectory("duration", "the execution time of the sample (seconds)"),
                    SignalRequirement.trajectory("reward", "the outcome reward").always())
            .parameters(
                    ParamSpec.choice(
                            "duration_source",
                            DurationSource.TRAJECTORY,
                            "a trajectory signal, or a span signal on each turn"),
                    ParamSpec.string("duration_signal", "duration", "name of the signal holding the duration"),
                    ParamSpec.choice(
                            "normalizer",
                            Normalizer.BATCH_MEAN,
                            "divide the duration by the batch mean or the batch sum"),
                    ParamSpec.bool("normalize_by_std", true, "GRPO: divide by the group's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"))
            .preset("paper", Map.of("duration_source", "trajectory", "normalizer", "batch_mean"))
            .summary("A' = A_grpo * duration / mean(duration over the batch)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' advantages is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean perTurn = params.getChoice("duration_source", DurationSource.class) == DurationSource.TURN;
        String name = params.getString("duration_signal");
        boolean sum = params.getChoice("normalizer", Normalizer.class) == Normalizer.BATCH_SUM;
        double eps = params.getDouble("epsilon");
        TurnTable turns = TurnTable.of(batch);
        double[] adv = GroupZScores.zscore(
                batch.scores(),
                batch.trajectoryGroups(),
                batch.groupCount(),
                params.getBoolean("normalize_by_std"),
                true,
                eps);
        double[] dt;
        if (perTurn) {
            dt = turns.requireSpanSignal(batch, name, ID, "the execution time of the turn's action");
            for (int j = 0; j < dt.length; j++) {
                if (dt[j] < 0) {
                    int i = turns.trajectory(j);
                    throw new RolloutException(
                            batch.describe(i) + ": span duration " + dt[j] + " is negative",
                            i,
                            "spans[" + (turns.span(j) - batch.spanStart(i)) + "].signals." + name);
                }
            }
        } else {
            float[] d = batch.requireTrajectorySignal(name, ID, "the execution time of the sample");
            dt = new double[d.length];
            for (int i = 0; i < d.length; i++) {
                if (d[i] < 0)
                    throw new RolloutException(
                            batch.describe(i) + ": duration " + d[i] + " is negative", i, "signals." + name);
                dt[i] = d[i];
            }
        }
        double total = 0;
        int samples = 0;
        if (perTurn) {
            for (double x : dt) total += x;
            samples = dt.length;
        } else {
            for (int i = 0; i < dt.length; i++) {
                if (turns.end(i) > turns.start(i)) {
                    total += dt[i];
                    samples++;
                }
            }
        }
        double norm = sum ? total : (samples == 0 ? 0 : total / samples);
        double[] a = new double[turns.size()];
        for (int j = 0; j < a.length; j++) {
            int i = turns.trajectory(j);
            double d = perTurn ? dt[j] : dt[i];
            a[j] = norm == 0 ? 0.0 : adv[i] * d / norm;
        }
        float[] out = buffers == null
                ? turns.broadcast(batch, a, execution)
                : turns.broadcast(batch, a, execution, buffers.advantages(batch.tokenCount()));
        return Credit.builder(out)
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("duration_normalizer", norm)
                .build();
    }
}
