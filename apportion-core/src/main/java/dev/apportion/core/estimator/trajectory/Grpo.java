package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO: group-relative advantage, one z-score per trajectory laid on all its policy tokens.
 *
 * <h2>Formula</h2>
 * With {@code s_i} the trajectory's score ({@link Rollouts#scores()}: outcome + span rewards +
 * token rewards, verl's row sum), {@code μ_g} the mean and {@code σ_g} the standard deviation
 * of the scores of its group {@code g}:
 * <pre>  A_i = (s_i − μ_g) / (σ_g + ε)        on every policy token of trajectory i, 0 elsewhere</pre>
 * {@code normalize_by_std=false} (or {@code scale_rewards=none}) drops the division (Dr. GRPO);
 * returns equal the advantages (the same array).
 *
 * <h2>Sources</h2>
 * Shao et al., DeepSeekMath (arXiv 2402.03300). Reference: volcengine/verl@b178a3c
 * {@code compute_grpo_outcome_advantage} (and {@code compute_grpo_vectorized_outcome_advantage}
 * for {@code std_floor}); OpenRLHF@3c3be62 (v0.11.0) {@code group_norm};
 * huggingface/trl@f2cd577 {@code GRPOTrainer} advantage block.
 *
 * <h2>Parameters and presets</h2>
 * <ul>
 *   <li>{@code epsilon} (1e-6), {@code epsilon_on} ({@code std}: added to σ; {@code variance}:
 *       {@code sqrt(σ² + ε)}), {@code std} ({@code unbiased} = torch.std | {@code population}),
 *       {@code normalize_by_std} (true), {@code std_floor} (0 = none; else
 *       {@code σ = sqrt(max(var, floor²))} with verl's vectorized float32 single-pass moments,
 *       which differ from the loop version when {@code 0 < var < floor²}).</li>
 *   <li>{@code singleton}: a one-sample group gets its raw score {@code s/(1+ε)} (mean 0, std 1,
 *       verl), 0, or is refused ({@code error}).</li>
 *   <li>{@code scale_rewards} ({@code group} | {@code batch}: batch σ with the group mean, TRL |
 *       {@code none}), {@code multi_objective_aggregation} ({@code sum_then_normalize} |
 *       {@code normalize_then_sum}: z-score each outcome component in its group, weight, sum,
 *       then z-score over the batch, ignoring {@code scale_rewards} as TRL does),
 *       {@code reward_weights} (per outcome component), {@code missing_reward}
 *       ({@code zero} | {@code skip}: a trajectory with no outcome value leaves the statistics and
 *       gets 0).</li>
 *   <li>OpenRLHF shaping ({@code reward_clip_range}, {@code kl_coef}, {@code kl_estimator},
 *       {@code kl_use_loss}, {@code kl_clamp}; {@code gamma}, {@code lambda}, {@code no_std_norm}
 *       are accepted and unused, as OpenRLHF forces γ = 1 and does not whiten group_norm): see
 *       {@link TokenCredit}.</li>
 * </ul>
 * Presets: {@code verl} (the defaults), {@code verl_vectorized} ({@code std_floor=1e-3}),
 * {@code openrlhf} (ε 1e-9 on the unbiased std, groups of one refused, clip [−10, 10], KL
 * penalty k1 with coefficient 0.01 on logprob/ref_logprob clamped to ±10, cumulative returns),
 * {@code trl} (ε 1e-4, nanmean/nanstd: {@code missing_reward=skip}, one-sample groups 0),
 * {@code paper} (population std as in the paper's formula, one-sample groups 0).
 *
 * <h2>Edge cases</h2>
 * All-equal group: 0 exactly (verl's vectorized float32 kernel can leave a residue of order
 * 1e-8/σ_floor on ties of non-dyadic values; apportion does not). One-sample group: see
 * {@code singleton}. A trajectory with no
 * policy token: its score still enters its group's statistics; it receives nothing. Context
 * tokens: 0 (OpenRLHF leaves non-zero values there). {@code scale_rewards=batch} and
 * {@code normalize_then_sum} make credit depend on the whole batch.
 *
 * <p>Thread-safety: stateless; safe to share. Parallel over trajectories for the broadcast.
 */
public final class Grpo implements BufferedEstimator {
    static final String ID = "grpo";
    private final Descriptor descriptor;

    public Grpo() {
        List<ParamSpec> ps = new ArrayList<>(List.of(
                GroupNormalization.epsilon(1e-6),
                ParamSpec.bool(
                        "normalize_by_std", true, "divide the centred score by the std (verl norm_adv_by_std_in_grpo)"),
                GroupNormalization.stdFloor(),
                GroupNormalization.std(),
                GroupNormalization.epsilonOn(),
                GroupNormalization.singleton(
                        "raw",
                        List.of("raw", "zero", "error"),
                        "a one-sample group: raw = mean 0, std 1 (verl), zero = 0, error = refuse (OpenRLHF asserts n > 1)"),
                ParamSpec.choice(
                        "scale_rewards",
                        GroupNormalization.Scale.GROUP,
                        "which std divides: the group's, the batch's (with the group mean, TRL), or none; normalize_by_std=false means none"),
                ParamSpec.choice(
                        "multi_objective_aggregation",
                        GroupNormalization.Aggregation.SUM_THEN_NORMALIZE,
                        "TRL: normalise the (weighted) sum of outcome components, or each component in its group and then the sum over the batch"),
                GroupNormalization.rewardWeights(),
                GroupNormalization.missingReward()));
        ps.addAll(TokenCredit.openRlhfParams());
        Map<String, Object> verl = new LinkedHashMap<>();
        verl.put("epsilon", 1e-6);
        verl.put("std", "unbiased");
        verl.put("epsilon_on", "std");
        verl.put("singleton", "raw");
        this.descriptor = GroupNormalization.outcomeReference(ID, true)
                .title("GRPO (group-relative policy optimization)")
                .source(
                        "Shao et al. 2024, arXiv 2402.03300; reference volcengine/verl@b178a3c compute_grpo_outcome_advantage,"
                                + " compute_grpo_vectorized_outcome_advantage; OpenRLHF@3c3be62 group_norm; huggingface/trl@f2cd577 GRPOTrainer")
                .parameters(ps.toArray(new ParamSpec[0]))
                .preset("verl", verl)
                .preset("verl_vectorized", Map.of("std_floor", 1e-3))
                .preset("openrlhf", openRlhf(Map.of("epsilon", 1e-9, "std", "unbiased", "epsilon_on", "std")))
                .preset(
                        "trl",
                        Map.of(
                                "epsilon",
                                1e-4,
                                "std",
                                "unbiased",
                                "epsilon_on",
                                "std",
                                "singleton",
                                "zero",
                                "missing_reward",
                                "skip"))
                .preset("paper", Map.of("std", "population", "singleton", "zero"))
                .summary("A_i = (s_i − mean_g) / (std_g + ε) on every policy token; s = outcome + span + token rewards")
                .build();
    }

    /** The OpenRLHF framework defaults shared by the openrlhf presets of this package. */
    static Map<String, Object> openRlhf(Map<String, Object> extra) {
        Map<String, Object> m = new LinkedHashMap<>(extra);
        m.put("singleton", "error");
        m.put("gamma", 1.0);
        m.put("kl_coef", 0.01);
        m.put("kl_estimator", "k1");
        m.put("kl_use_loss", false);
        m.put("kl_clamp", 10.0);
        m.put("reward_clip_range", List.of(-10.0, 10.0));
        return m;
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls, e.g. by {@code apportion perf}). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean byStd = params.getBoolean("normalize_by_std");
        GroupNormalization.Scale scale = byStd
                ? params.getChoice("scale_rewards", GroupNormalization.Scale.class)
                : GroupNormalization.Scale.NONE;
        boolean nts = params.getChoice("multi_objective_aggregation", GroupNormalization.Aggregation.class)
                == GroupNormalization.Aggregation.NORMALIZE_THEN_SUM;
        return run(ID, batch, params, execution, scale, nts, buffers);
    }

    /** The computation shared with {@link DrGrpo}. */
    static Credit run(
            String id,
            Rollouts batch,
            Params params,
            Execution execution,
            GroupNormalization.Scale scale,
            boolean normalizeThenSum,
            Credit.Buffers buffers) {
        GroupNormalization.Settings s = GroupNormalization.settings(params, scale, normalizeThenSum);
        TokenCredit.Shaping shaping = TokenCredit.Shaping.of(params, id);
        if (batch.trajectoryCount() == 0)
            return Credit.builder(new float[batch.tokenCount()]).build();
        if (s.singleton() == GroupNormalization.Singleton.ERROR) {
            TokenCredit.requireGroupsOfTwo(
                    batch, id, "with singleton=error (OpenRLHF asserts n_samples_per_prompt > 1)");
        }
        GroupNormalization.Stats st = new GroupNormalization.Stats();
        double[] perTraj = normalizeThenSum
                ? GroupNormalization.normalizeThenSum(
                        batch, OutcomeScores.components(batch, s.weights(), s.skipMissing(), id), s, st)
                : GroupNormalization.advantages(
                        batch, OutcomeScores.scores(batch, s.weights(), s.skipMissing(), id), s, st);
        float[] adv = TokenCredit.assign(batch, perTraj, shaping, id, execution, buffers);
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups", st.groups)
                .diagnostic("singleton_groups", st.singletonGroups)
                .diagnostic("tied_groups", st.tiedGroups)
                .diagnostic("skipped_trajectories", st.skipped)
                .diagnostic("gamma_requested", shaping.gammaRequested())
                .build();
    }
}
