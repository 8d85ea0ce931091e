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
 * Optimal token baseline for multi-turn (tool-integrated) trajectories, aligned on the k-th
 * policy token ({@code tir_optimal_token_baseline}).
 *
 * <h2>Formula</h2>
 * As {@link OptimalTokenBaseline} ({@code G}, {@code w}, {@code W} are the same), but each
 * trajectory's policy tokens are first left-compacted: the baseline at rank {@code k} is
 * {@code B_k = Σ_i G_{i,(k)}·W_{i,(k)} / (Σ_i W_{i,(k)} + ε)} over the group members that have a
 * k-th policy token, so turns separated by observation blocks of different lengths still align.
 * {@code A} at the k-th policy token is {@code G − B_k}; returns {@code G}.
 *
 * <h2>Source</h2>
 * verl {@code compute_multi_turn_optimal_token_baseline_advantage}, registered as
 * {@code tir_optimal_token_baseline} (volcengine/verl@b178a3c). Ported from the code, which
 * cites no paper. Fidelity {@code port}: a port of that verl function, checked on worked
 * examples; no golden vectors (the inventory files the method under arXiv 2602.07078, "The Optimal
 * Token Baseline", which the code does not cite and which this port was not checked against).
 *
 * <h2>Defaults and presets</h2>
 * {@code epsilon 1e-8}, {@code handle_zero_tail true} (verl's signature default; its docstring
 * says false), {@code rollout_is_weights true}. Preset {@code verl} = defaults.
 *
 * <h2>Edge cases</h2>
 * Trajectories without policy tokens are left out of their group (unlike the non-TIR variant)
 * and get zeros; a group with one remaining trajectory has no baseline ({@code A = G});
 * {@code handle_zero_tail} zeroes the unique longest trajectory's baseline from rank
 * {@code L₂} (second-longest policy-token count) on; advantages and returns are 0 on context
 * tokens.
 *
 * <h2>Cost</h2>
 * The kernel of {@link OptimalTokenBaseline} (one {@code Math.exp} per policy token, most of the
 * time; see its Cost paragraph).
 *
 * <p>Thread-safety: stateless; parallel over trajectories, then over groups; group-local.
 */
public final class TirOptimalTokenBaseline implements Estimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "tir_optimal_token_baseline";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Optimal token baseline, multi-turn (baseline aligned on the k-th policy token)")
            .source("volcengine/verl@b178a3c compute_multi_turn_optimal_token_baseline_advantage")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PORT)
            .groupLocal(true)
            .requires(OtbKernel.REQUIRES)
            .parameters(OtbKernel.EPSILON, OtbKernel.handleZeroTail(true), OtbKernel.USE_IS_WEIGHTS)
            .preset("verl", Map.of())
            .summary("OTB with each trajectory's policy tokens left-compacted before the per-position group baseline")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return OtbKernel.assign(batch, params, execution, ID, true, null);
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        return OtbKernel.assign(batch, params, execution, ID, true, buffers);
    }
}
