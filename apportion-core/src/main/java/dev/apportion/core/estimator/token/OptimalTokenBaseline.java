package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * Optimal token baseline: a per-position group baseline weighted by the cumulative path
 * variance ({@code optimal_token_baseline}).
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} and its policy tokens {@code t}:
 * <pre>
 *   G_t = Σ_{t' ≥ t, policy} r_t'                       (undiscounted reward-to-go)
 *   w_t = 1 − 2·exp(old_logprob_t) + sum_pi_squared_t    (× rollout_is_weight_t² when present)
 *   W_t = Σ_{t' ≤ t, policy} w_t'                        (cumulative path-variance proxy)
 *   B_p = Σ_{i in group, token at position p} G·W / (Σ W + ε)
 *   A_t = G_t − B_{pos(t)};   returns G
 * </pre>
 * {@code w_t = ‖e_{y_t} − π_t‖²} is the squared norm of the score of the softmax logits, so it is
 * never negative. Position {@code pos(t)} is the token's offset from the trajectory's first
 * policy token ({@code positions_from=first_policy_token}, the start of verl's response tensor)
 * or from its first token ({@code trajectory_start}, verl's padded rows read as trajectories by
 * the golden adapter, where leading masked positions count). Token rewards are the dense
 * rewards of {@link Rollouts#denseTokenRewards()}.
 *
 * <h2>Source</h2>
 * verl {@code compute_optimal_token_baseline_advantage} (volcengine/verl@b178a3c,
 * {@code verl/trainer/ppo/core_algos.py}); ported from the code, which cites no paper. verl's
 * trainer at that commit does not pass {@code old_log_probs} and passes a {@code config}
 * argument the function does not take, so the estimator cannot run there as wired; this port
 * follows the function itself. Fidelity {@code port}: a port of that verl function, checked on
 * worked examples; no golden vectors were produced for it (the inventory files the method under
 * arXiv 2602.07078, which the code does not cite and which this port was not checked against).
 *
 * <h2>Defaults and presets</h2>
 * {@code epsilon 1e-8}, {@code handle_zero_tail false}, {@code rollout_is_weights true} (used
 * when the batch has the token signal {@code rollout_is_weight}),
 * {@code positions_from first_policy_token}. Preset {@code verl} = defaults.
 *
 * <h2>Edge cases</h2>
 * <ul>
 *   <li>A group of one trajectory (counting trajectories without policy tokens, as verl counts
 *       rows) gets no baseline: {@code A = G}.</li>
 *   <li>{@code handle_zero_tail}: when one trajectory of the group is strictly the longest (by
 *       policy-token count), its baseline is 0 from position {@code L₂} on, {@code L₂} the
 *       second-longest count. verl compares a count with a position, which only agrees when
 *       policy tokens are contiguous from the origin; this port keeps verl's rule.</li>
 *   <li>Positions no member reaches have baseline {@code 0/ε = 0}.</li>
 *   <li>Missing {@code old_logprob} or {@code sum_pi_squared}: a
 *       {@link dev.apportion.core.rollout.RolloutException} naming the signal and its producer.</li>
 *   <li>Advantages and returns are 0 on context tokens.</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * Below 0.3 of its declared floor ({@code docs/performance.md}, "Optimal-token baselines and
 * spo_chain"). The path-variance proxy needs {@code Math.exp} of every policy token's
 * log-probability as a value (not only compared, so no cut-off applies), in double: on the 2-core
 * build machine the exponentials alone take about 10 ms of CPU for 2·10⁶ tokens (the same kernel
 * with the exponential replaced by its argument: 7.6–8.1 ms instead of 17.5–18.4 ms), more than
 * the whole budget for 0.3 (floor/0.3 = 5.6–8.7 ms). A different exponential would change the
 * numbers. Without token-sized scratch: the cumulative W is kept in the advantages array until
 * the group pass overwrites it. Outputs go into {@link Credit.Buffers} when given.
 *
 * <p>Thread-safety: stateless; parallel over trajectories, then over groups; group-local.
 */
public final class OptimalTokenBaseline implements Estimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "optimal_token_baseline";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Optimal token baseline (per-position, path-variance weighted group baseline)")
            .source("volcengine/verl@b178a3c compute_optimal_token_baseline_advantage")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PORT)
            .groupLocal(true)
            .requires(OtbKernel.REQUIRES)
            .parameters(
                    OtbKernel.EPSILON,
                    OtbKernel.handleZeroTail(false),
                    OtbKernel.USE_IS_WEIGHTS,
                    OtbKernel.POSITIONS_FROM)
            .preset("verl", Map.of())
            .summary(
                    "A_t = G_t − Σ_group G·W / (Σ_group W + ε) at the same position, W the cumulative Σ (1 − 2π + Σπ²)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return OtbKernel.assign(batch, params, execution, ID, false, null);
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        return OtbKernel.assign(batch, params, execution, ID, false, buffers);
    }
}
