package dev.apportion.core.estimator.step;

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
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * HABC, hierarchical advantage-weighted behaviour cloning ({@code habc}): two critic heads,
 * one for viability (will the episode still succeed?) and one for efficiency (how fast, given
 * success), give one-step advantages that a state-dependent gate merges, prioritizing viability
 * while success is uncertain; the merged advantage becomes an advantage-weighted BC weight.
 *
 * <h2>Formula</h2>
 * For step (turn) t of a trajectory with T steps, {@code V_v(s_t)} and {@code V_e(s_t)} are
 * the span signals {@code viability} and {@code efficiency} of the step; after the last step,
 * {@code V_v(s_T)} is the outcome (1 = success) and {@code V_e(s_T) = 0}:
 * <ul>
 *   <li>{@code A_v = V_v(s_{t+1}) − V_v(s_t)};
 *       {@code A_e = c + γ·V_e(s_{t+1}) − V_e(s_t)} with the per-step reward {@code c} =
 *       {@code step_cost} (−1: the efficiency head predicts negative time-to-go);</li>
 *   <li>gate {@code g = σ(k·(V_v(s_t) − τ))}; {@code A = (1 − g)·A_v + g·A_e};</li>
 *   <li>BC weight {@code w = min(exp(A/β), w_max)}.</li>
 * </ul>
 * Advantages carry {@code A} and {@link Credit#lossWeights()} carry {@code w} on every token of
 * the step (0 on context tokens). A step whose span signal {@code intervention} is 1 (a human
 * took over) is kept as plain BC: {@code A = 0}, {@code w = 1}; outcome labels must not be
 * propagated across intervention boundaries upstream (the critics are trained on autonomous
 * segments only).
 *
 * <h2>Source</h2>
 * T. Fang, S. Huang, N. Fang, G. Zhao, Z. Luo, J. Liu, X. Wang, Y. Dong, H. Li, "Hierarchical
 * Advantage Weighting for Online RL Fine-Tuning of VLAs from Sparse Episode Outcomes",
 * arXiv 2606.17043. Fidelity {@code reconstructed}: the two heads, the gate that favours
 * viability until it is high and the advantage-to-weight conversion follow the abstract; the
 * gate's form and constants (k = 5, τ = 0.7, β = 1, γ = 0.99, step cost −1, w_max = 20) are
 * ours. Training the two heads (viability on all autonomous segments, efficiency on successful
 * episodes only) happens upstream.
 *
 * <h2>Edge cases</h2>
 * A step without either value signal throws a {@link dev.apportion.core.rollout.RolloutException};
 * a trajectory without an outcome too. The credit of a trajectory depends on that trajectory
 * only.
 *
 * <p>Stateless and thread-safe.
 */
public final class Habc implements BufferedEstimator {
    static final String ID = "habc";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("HABC: viability / efficiency one-step advantages merged by a viability gate; exp-weighted BC")
            .source("Fang et al., Hierarchical Advantage Weighting for Online RL Fine-Tuning of VLAs, arXiv 2606.17043")
            .granularity(Granularity.STEP)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span("viability", "the viability head: P(success | state before the step)"),
                    SignalRequirement.span("efficiency", "the efficiency head: value of the state before the step"),
                    SignalRequirement.trajectory("outcome", "episode success (1) or failure (0)"))
            .parameters(
                    ParamSpec.real("gate_sharpness", 5.0, 0.0, null, "k of the gate sigma(k*(V_v - tau))"),
                    ParamSpec.real("gate_threshold", 0.7, null, null, "tau of the gate"),
                    ParamSpec.real("beta", 1.0, 1e-9, null, "temperature of the weight exp(A/beta)"),
                    ParamSpec.real("w_max", 20.0, 0.0, null, "cap of the weight"),
                    ParamSpec.real("gamma", 0.99, 0.0, 1.0, "discount of the efficiency head"),
                    ParamSpec.real("step_cost", -1.0, null, null, "per-step reward of the efficiency head"),
                    ParamSpec.string("viability_signal", "viability", "span signal holding V_v(s_t)"),
                    ParamSpec.string("efficiency_signal", "efficiency", "span signal holding V_e(s_t)"))
            .preset("paper", Map.of("gate_sharpness", 5.0, "gate_threshold", 0.7, "beta", 1.0))
            .summary(
                    "A = (1-g)(V_v(s')-V_v(s)) + g(c + gamma V_e(s') - V_e(s)), g = sigmoid(k(V_v(s)-tau)); w = min(exp(A/beta), w_max)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages and loss weights into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double k = params.getDouble("gate_sharpness");
        double tau = params.getDouble("gate_threshold");
        double beta = params.getDouble("beta");
        double wMax = params.getDouble("w_max");
        double gamma = params.getDouble("gamma");
        double cost = params.getDouble("step_cost");
        TurnTable turns = TurnTable.of(batch);
        double[] vv = turns.requireSpanSignal(batch, params.getString("viability_signal"), ID, "the viability head");
        double[] ve = turns.requireSpanSignal(batch, params.getString("efficiency_signal"), ID, "the efficiency head");
        double[] outcome = TurnTable.teamOutcome(batch, ID);
        float[] intervention = batch.spanSignal("intervention");
        int m = turns.size();
        double[] a = new double[m];
        double[] w = new double[m];
        int human = 0;
        for (int j = 0; j < m; j++) {
            if (intervention != null && intervention[turns.span(j)] > 0.5f) {
                w[j] = 1.0;
                human++;
                continue;
            }
            boolean last = turns.isLast(j);
            double vvNext = last ? outcome[turns.trajectory(j)] : vv[j + 1];
            double veNext = last ? 0.0 : ve[j + 1];
            double av = vvNext - vv[j];
            double ae = cost + gamma * veNext - ve[j];
            double g = 1.0 / (1.0 + Math.exp(-k * (vv[j] - tau)));
            a[j] = (1 - g) * av + g * ae;
            w[j] = Math.min(Math.exp(a[j] / beta), wMax);
        }
        int n = batch.tokenCount();
        float[] adv = buffers == null ? new float[n] : buffers.advantages(n);
        float[] weights = buffers == null ? new float[n] : buffers.lossWeights(n);
        turns.broadcast(batch, a, adv, w, weights, execution);
        return Credit.builder(adv)
                .lossWeights(weights)
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("intervention_steps", human)
                .build();
    }
}
