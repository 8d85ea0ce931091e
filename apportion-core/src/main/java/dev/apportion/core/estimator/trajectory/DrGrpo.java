package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Dr. GRPO: the group-mean baseline without division by the standard deviation.
 *
 * <h2>Formula</h2>
 * <pre>  A_i = s_i − μ_g        on every policy token of trajectory i, 0 elsewhere</pre>
 * with {@code s_i} the trajectory's score (outcome + span + token rewards) and {@code μ_g} the
 * mean score of its group; returns equal the advantages (the same array). The paper's other
 * change, a constant loss normaliser instead of the per-sequence length, concerns the loss and
 * is not credit.
 *
 * <h2>Sources</h2>
 * Liu et al., "Understanding R1-Zero-Like Training" (arXiv 2503.20783). Reference:
 * volcengine/verl@b178a3c {@code compute_grpo_outcome_advantage} with
 * {@code norm_adv_by_std_in_grpo=False}; OpenRLHF@3c3be62 (v0.11.0) {@code dr_grpo}
 * ({@code r − mean_g}, clip, KL penalty, cumulative returns with γ forced to 1, no whitening);
 * huggingface/trl@f2cd577 {@code scale_rewards="none"} (group nanmean).
 *
 * <h2>Parameters and presets</h2>
 * {@code singleton} (raw: a one-sample group keeps its score, verl; zero; error),
 * {@code reward_weights}, {@code missing_reward} as in {@link Grpo}; {@code scale_rewards} and
 * {@code multi_objective_aggregation} accept only {@code none} and {@code sum_then_normalize}
 * (anything else is GRPO); the OpenRLHF shaping parameters of {@link TokenCredit}.
 * Presets: {@code verl} (defaults), {@code openrlhf}, {@code trl}.
 *
 * <h2>Edge cases</h2>
 * All-equal group: 0. A trajectory without policy tokens: its score enters the mean; it gets
 * nothing. Context tokens: 0.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class DrGrpo implements BufferedEstimator {
    static final String ID = "dr_grpo";
    private final Descriptor descriptor;

    public DrGrpo() {
        List<ParamSpec> ps = new ArrayList<>(List.of(
                GroupNormalization.singleton(
                        "raw",
                        List.of("raw", "zero", "error"),
                        "a one-sample group: raw = keeps its score (verl), zero = 0, error = refuse (OpenRLHF asserts n > 1)"),
                ParamSpec.choice(
                        "scale_rewards", "none", List.of("none"), "TRL scale_rewards; Dr. GRPO never divides by a std"),
                ParamSpec.choice(
                        "multi_objective_aggregation",
                        "sum_then_normalize",
                        List.of("sum_then_normalize"),
                        "TRL multi-objective aggregation; only sum_then_normalize keeps the advantage unscaled"),
                GroupNormalization.rewardWeights(),
                GroupNormalization.missingReward()));
        ps.addAll(TokenCredit.openRlhfParams());
        this.descriptor = GroupNormalization.outcomeReference(ID, true)
                .title("Dr. GRPO (GRPO without std normalisation)")
                .source(
                        "Liu et al. 2025, arXiv 2503.20783; reference volcengine/verl@b178a3c compute_grpo_outcome_advantage"
                                + " (norm_adv_by_std_in_grpo=False); OpenRLHF@3c3be62 dr_grpo; huggingface/trl@f2cd577 scale_rewards=none")
                .parameters(ps.toArray(new ParamSpec[0]))
                .preset("verl", Map.of("singleton", "raw"))
                .preset("openrlhf", Grpo.openRlhf(Map.of()))
                .preset("trl", Map.of("singleton", "zero", "missing_reward", "skip"))
                .summary("A_i = s_i − mean_g on every policy token")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** {@inheritDoc} The advantages go into {@code buffers} when given (as {@link Grpo} does). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        return Grpo.run(ID, batch, params, execution, GroupNormalization.Scale.NONE, false, buffers);
    }
}
