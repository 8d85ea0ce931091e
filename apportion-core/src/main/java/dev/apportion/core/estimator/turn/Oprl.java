package dev.apportion.core.estimator.turn;

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
import java.util.List;
import java.util.Map;

/**
 * OPRL / iStar ({@code oprl}, alias {@code istar}): implicit step rewards from a process reward
 * model trained by trajectory-level DPO, turned into a step-level advantage and added to an
 * episode advantage, in the modes of the authors' released estimator code.
 *
 * <h2>Step reward</h2>
 * Turn {@code t} (a non-empty policy span, one verl-agent step row):
 * {@code r_t = β·Σ_{k ∈ turn t} [log π_φ(y_k) − log π_ref(y_k)]} ({@code step_reward_aggregation
 * = mean} divides by the turn length; the authors' code sums). {@code log π_φ} is the token
 * signal {@code prm_signal} ({@code prm_logprob}), {@code log π_ref} the signal
 * {@code reference_signal} ({@code old_logprob}: the authors' reward model scores against the
 * rollout policy's log-probs when no separate reference model is loaded). With
 * {@code step_reward_norm = batch_max} (the authors' {@code istar_norm: batch_norm}) every step
 * reward is divided by {@code max over the batch of |r| + 1e-6}; {@code none} keeps β-scaled
 * rewards.
 *
 * <h2>Modes</h2>
 * {@code R_i} = {@link Rollouts#scores()} (the episode reward, which verl-agent puts on every step
 * row). The episode pool of a group holds one {@code R_i} per trajectory with turns; the step
 * pool holds the <b>first</b> turn's reward of each such trajectory (the authors' code keeps the
 * first row per (prompt, trajectory) pair), yet every turn is compared with it. {@code N} = pool
 * size.
 * <ul>
 *   <li>{@code istar_rloo} (the scripts' {@code adv_estimator}): leave-one-out, no std:
 *       {@code E_i = N/(N−1)·(R_i − mean pool)}, {@code S_t = N/(N−1)·(r_t − mean step pool)};
 *       a group of one keeps the raw values. {@code A_t = E_i + α·S_t} ({@code use_process_only}:
 *       {@code A_t = S_t}).</li>
 *   <li>{@code istar_grpo_mean_norm} / {@code istar_grpo_mean_std_norm}: subtract the pool mean
 *       (and divide by the pool's unbiased std + ε); a group of one has mean 0, std 1.</li>
 *   <li>{@code istar_reinforce_plus_baseline}: subtract the pool mean (0 for a group of one), then
 *       whiten each term over all policy tokens of the batch (verl {@code masked_whiten}: token-
 *       weighted mean, unbiased variance, {@code rsqrt(var + 1e-8)}).</li>
 *   <li>{@code process_outcome_combined}: one RLOO on {@code R_i + α·r_t} with the first-turn
 *       pool.</li>
 *   <li>{@code pooled_zscore}: apportion's earlier reconstruction, kept as a named variant:
 *       {@code E} = GRPO z-score of {@code R} (a group of one gets 0), {@code S} = z-score over all
 *       turns of the group (unbiased std + ε), no batch normalisation in its preset.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * X. Liu et al., "Agentic Reinforcement Learning with Implicit Step Rewards" (iStar / OPRL),
 * arXiv 2509.19199; code Tongyi-ConvAI/Qwen-Character @ 1de87a220bc06fb8402c7680809f7e5e4b49f4ea,
 * {@code CharacterRL-iStar/istar/core_istar.py} ({@code compute_istar_rloo_advantage},
 * {@code compute_istar_grpo_advantage}, {@code compute_istar_reinforce_plus_baseline_advantage},
 * {@code process_outcome_combined_advantage}) and {@code CharacterRL-iStar/istar/dp_rm.py}
 * ({@code _forward_micro_batch} step rewards with {@code step_granularity = step},
 * {@code istar_norm}); scripts {@code examples/istar_trainer/run_webshop.sh}, {@code run_sokoban.sh}
 * ({@code istar_rloo}, {@code beta_train = 0.05}). Fidelity {@code port}: a line-by-line port of
 * that code, checked on the worked example of issue 12 (outcomes 1/0/0, log-ratio sums
 * a = [2, 1], b = [−1, 0], c = [0, −2], β = 0.05 → a = [2.25, 1.50], b = [−1.50, −0.75],
 * c = [−0.75, −2.25]); no golden vectors. Training the PRM (the DPO step) happens outside credit
 * assignment; this estimator consumes its log-probs.
 *
 * <h2>Parameters and presets</h2>
 * Defaults = preset {@code paper} = the released scripts: {@code mode} = istar_rloo,
 * {@code beta} = 0.05, {@code alpha} (the code's {@code step_advantage_w}) = 1,
 * {@code step_reward_norm} = batch_max, {@code step_reward_aggregation} = sum,
 * {@code use_process_only} = false, {@code epsilon} = 1e-6 (GRPO modes). Preset
 * {@code pooled_zscore}: the earlier apportion variant ({@code mode = pooled_zscore},
 * {@code step_reward_norm = none}).
 *
 * <h2>Edge cases</h2>
 * The batch maximum and the REINFORCE++ whitening make the estimator batch-level (not
 * group-local). A trajectory without turns gets nothing and is in no pool. A batch whose step
 * rewards are all 0 keeps them 0 under {@code batch_max}. A batch without the two token signals
 * throws a {@link RolloutException} naming the one that is missing.
 *
 * <p>Stateless and thread-safe.
 */
public final class Oprl implements BufferedEstimator {
    static final String ID = "oprl";
    /** Values of {@code mode}: how the episode and step terms are baselined. */
    enum Mode {
        ISTAR_RLOO,
        ISTAR_GRPO_MEAN_NORM,
        ISTAR_GRPO_MEAN_STD_NORM,
        ISTAR_REINFORCE_PLUS_BASELINE,
        PROCESS_OUTCOME_COMBINED,
        POOLED_ZSCORE
    }

    /** Values of {@code step_reward_norm}. */
    enum StepNorm {
        BATCH_MAX,
        NONE
    }

    /** Values of {@code step_reward_aggregation}. */
    enum Aggregation {
        SUM,
        MEAN
    }

    /** The first-row baselines of the iStar modes. */
    private enum Baseline {
        RLOO,
        MEAN,
        STD,
        REINFORCE
    }

    /** The values of {@code mode}, as written. */
    static final List<String> MODES = java.util.Arrays.stream(Mode.values())
            .map(x -> x.name().toLowerCase(java.util.Locale.ROOT))
            .toList();

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("istar")
            .title(
                    "OPRL / iStar: implicit PRM step rewards (beta * log-ratio) + episode advantage (RLOO / GRPO / REINFORCE++)")
            .source("Liu et al., Agentic RL with Implicit Step Rewards (iStar / OPRL), arXiv 2509.19199; "
                    + "Tongyi-ConvAI/Qwen-Character@1de87a2 CharacterRL-iStar/istar/core_istar.py, istar/dp_rm.py")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.PORT)
            .groupLocal(false)
            .requires(
                    SignalRequirement.token("prm_logprob", "the implicit PRM's log-probs of the action tokens"),
                    SignalRequirement.token(
                            Rollouts.OLD_LOGPROB, "the rollout policy's log-probs (the PRM's reference)"),
                    SignalRequirement.trajectory("reward", "the outcome reward").always())
            .parameters(
                    ParamSpec.choice(
                            "mode",
                            Mode.ISTAR_RLOO,
                            "how the episode and step terms are baselined (the authors' estimators)"),
                    ParamSpec.real(
                            "beta", 0.05, 0.0, null, "scale of the implicit reward (the PRM's DPO beta, beta_train)"),
                    ParamSpec.real("alpha", 1.0, 0.0, null, "weight of the step-level term (step_advantage_w)"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the stds (GRPO and pooled_zscore modes)"),
                    ParamSpec.choice(
                            "step_reward_norm",
                            StepNorm.BATCH_MAX,
                            "divide step rewards by the batch's largest |step reward| + 1e-6 (istar_norm batch_norm) or not"),
                    ParamSpec.bool("use_process_only", false, "istar_rloo: the step term alone"),
                    ParamSpec.choice(
                            "step_reward_aggregation",
                            Aggregation.SUM,
                            "sum (the authors' code) or mean of the token log-ratios of a turn"),
                    ParamSpec.string("prm_signal", "prm_logprob", "token signal with the PRM's log-probs"),
                    ParamSpec.string(
                            "reference_signal", Rollouts.OLD_LOGPROB, "token signal with the reference log-probs"))
            .preset(
                    "paper",
                    Map.of(
                            "mode",
                            "istar_rloo",
                            "beta",
                            0.05,
                            "alpha",
                            1.0,
                            "step_reward_norm",
                            "batch_max",
                            "step_reward_aggregation",
                            "sum",
                            "use_process_only",
                            false))
            .preset("pooled_zscore", Map.of("mode", "pooled_zscore", "step_reward_norm", "none"))
            .summary("r_t = beta*sum_tokens(logp_prm - logp_old) / batch max|r|; A = RLOO(R) + alpha*RLOO(r_t) "
                    + "(step pool: first turn per trajectory)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double beta = params.getDouble("beta");
        double alpha = params.getDouble("alpha");
        double eps = params.getDouble("epsilon");
        Mode mode = params.getChoice("mode", Mode.class);
        boolean mean = params.getChoice("step_reward_aggregation", Aggregation.class) == Aggregation.MEAN;
        float[] prm = batch.requireTokenSignal(params.getString("prm_signal"), ID, "the implicit PRM's log-probs");
        float[] ref =
                batch.requireTokenSignal(params.getString("reference_signal"), ID, "the PRM's reference log-probs");
        TurnTable turns = TurnTable.of(batch);
        double[] r = turns.sumOfDifference(batch, prm, ref);
        int[] len = turns.lengths(batch);
        int m = r.length;
        int[] groupOfTurn = new int[m];
        double maxAbs = 0;
        for (int j = 0; j < m; j++) {
            r[j] *= beta;
            if (mean) r[j] /= len[j];
            groupOfTurn[j] = batch.trajectoryGroup(turns.trajectory(j));
            maxAbs = Math.max(maxAbs, Math.abs(r[j]));
        }
        if (params.getChoice("step_reward_norm", StepNorm.class) == StepNorm.BATCH_MAX) {
            for (int j = 0; j < m; j++) r[j] /= maxAbs + 1e-6;
        }
        double[] score = batch.scores();
        double[] episode = new double[m];
        for (int j = 0; j < m; j++) episode[j] = score[turns.trajectory(j)];
        double[] a = new double[m];
        switch (mode) {
            case POOLED_ZSCORE: {
                double[] stepZ = GroupZScores.zscore(r, groupOfTurn, batch.groupCount(), true, true, eps);
                double[] ep = TurnTable.groupOutcomeAdvantage(batch, eps);
                for (int j = 0; j < m; j++) a[j] = ep[turns.trajectory(j)] + alpha * stepZ[j];
                break;
            }
            case PROCESS_OUTCOME_COMBINED: {
                double[] combined = new double[m];
                for (int j = 0; j < m; j++) combined[j] = episode[j] + alpha * r[j];
                a = firstRowBaseline(batch, turns, combined, Baseline.RLOO, eps);
                break;
            }
            default: {
                Baseline kind = mode == Mode.ISTAR_RLOO
                        ? Baseline.RLOO
                        : mode == Mode.ISTAR_GRPO_MEAN_NORM
                                ? Baseline.MEAN
                                : mode == Mode.ISTAR_GRPO_MEAN_STD_NORM ? Baseline.STD : Baseline.REINFORCE;
                double[] e = firstRowBaseline(batch, turns, episode, kind, eps);
                double[] st = firstRowBaseline(batch, turns, r, kind, eps);
                if (kind == Baseline.REINFORCE) {
                    whiten(e, len);
                    whiten(st, len);
                }
                boolean processOnly = mode == Mode.ISTAR_RLOO && params.getBoolean("use_process_only");
                for (int j = 0; j < m; j++) a[j] = processOnly ? st[j] : e[j] + alpha * st[j];
                break;
            }
        }
        return Credit.builder(turns.broadcast(batch, a, execution, Outputs.advantages(buffers, batch.tokenCount())))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", m)
                .diagnostic("step_reward_batch_max", maxAbs)
                .build();
    }

    /**
     * The authors' baseline: per group, a pool holding each trajectory's FIRST turn value; every
     * turn is compared with the pool. {@code rloo}: N/(N−1)·(v − mean), raw for N = 1;
     * {@code mean}: v − mean (mean 0 for N = 1); {@code std}: (v − mean)/(std + ε) (mean 0, std 1
     * for N = 1); {@code reinforce}: v − mean (mean 0 for N = 1).
     */
    private static double[] firstRowBaseline(Rollouts batch, TurnTable turns, double[] v, Baseline kind, double eps) {
        int groups = batch.groupCount();
        double[] sum = new double[groups];
        int[] cnt = new int[groups];
        int m = v.length;
        for (int j = 0; j < m; j++) {
            if (turns.indexInTrajectory(j) != 0) continue;
            int g = batch.trajectoryGroup(turns.trajectory(j));
            sum[g] += v[j];
            cnt[g]++;
        }
        double[] sq = new double[groups];
        for (int j = 0; j < m; j++) {
            if (turns.indexInTrajectory(j) != 0) continue;
            int g = batch.trajectoryGroup(turns.trajectory(j));
            double d = v[j] - sum[g] / cnt[g];
            sq[g] += d * d;
        }
        double[] out = new double[m];
        for (int j = 0; j < m; j++) {
            int g = batch.trajectoryGroup(turns.trajectory(j));
            int n = cnt[g];
            double mu = n > 1 ? sum[g] / n : 0.0;
            switch (kind) {
                case RLOO:
                    out[j] = n > 1 ? (v[j] - mu) * n / (n - 1) : v[j];
                    break;
                case STD:
                    out[j] = (v[j] - mu) / ((n > 1 ? Math.sqrt(sq[g] / (n - 1)) : 1.0) + eps);
                    break;
                default:
                    out[j] = v[j] - mu;
                    break;
            }
        }
        return out;
    }

    /** verl masked_whiten over the policy tokens: each turn value counts once per token. */
    private static void whiten(double[] v, int[] len) {
        double tokens = 0;
        double s = 0;
        for (int j = 0; j < v.length; j++) {
            tokens += len[j];
            s += v[j] * len[j];
        }
        if (tokens < 2) {
            throw new RolloutException(
                    "estimator '" + ID + "' (istar_reinforce_plus_baseline) whitens over the batch's policy "
                            + "tokens and needs at least 2, the batch has " + (long) tokens,
                    -1,
                    "spans");
        }
        double mu = s / tokens;
        double var = 0;
        for (int j = 0; j < v.length; j++) var += (v[j] - mu) * (v[j] - mu) * len[j];
        var = var / tokens * (tokens / (tokens - 1));
        double k = 1.0 / Math.sqrt(var + 1e-8);
        for (int j = 0; j < v.length; j++) v[j] = (v[j] - mu) * k;
    }
}
