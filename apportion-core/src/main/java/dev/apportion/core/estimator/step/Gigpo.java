package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.DistinguishingTerm;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.credit.WireName;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * GiGPO, group-in-group policy optimization: a trajectory-level (episode) relative advantage
 * plus a step-level relative advantage computed among the steps of a group that start from
 * the same environment state (an "anchor state").
 *
 * <p>Source: L. Feng, Z. Xue, T. Liu, B. An, "Group-in-Group Policy Optimization for LLM
 * Agent Training", arXiv 2505.10978 (NeurIPS 2025); reference code langfengQ/verl-agent @
 * 29e3e8b, {@code gigpo/core_gigpo.py} ({@code compute_gigpo_outcome_advantage},
 * {@code episode_norm_reward}, {@code build_step_group}, {@code step_norm_reward},
 * {@code compute_step_discounted_returns}). Fidelity: reference (reproduces the golden vectors
 * produced by that code).
 *
 * <h2>Steps on apportion's model</h2>
 * A <b>step</b> is a policy span. Its <b>state</b> is the span's state key (required on every
 * policy span). Its <b>tokens</b> are its policy span plus the context spans after it up to
 * the next policy span (the observation it produced); context spans before a trajectory's first
 * policy span belong to no step.
 * <ul>
 *   <li><b>Episode score</b> {@code R_k} of step k: the trajectory outcome (0 when absent; when
 *       only outcome components are given, their sum over components with a value) plus the sum
 *       of the token {@code reward} signal over the step's tokens. verl-agent writes the episode
 *       return on every step row and sums the row, so on its data every step of a trajectory
 *       has the same score. Span rewards do not enter {@code R_k}.</li>
 *   <li><b>Step reward</b> {@code r_k}: the policy span's reward (0 when absent); rewards on
 *       context spans are not read. With {@code outcome_step_reward = when_no_step_rewards}
 *       (default and every preset), a batch in which no policy span carries a reward gets the
 *       trajectory outcome as the reward of the trajectory's last step: in verl-agent the success
 *       reward is the last step's environment reward, so it enters the step return; without this
 *       an outcome-only batch (apportion's {@code outcome} field) would have all-zero step returns
 *       and the anchor-state term would vanish (GiGPO would collapse to a GRPO-like episode
 *       advantage). {@code never} reads span rewards only. Reconstructed mapping (apportion's
 *       outcome field has no verl-agent counterpart); the golden cases carry step rewards or no
 *       outcome and are unaffected.</li>
 *   <li><b>Discounted step return</b> over the trajectory's steps in order (paper Eq. 5):
 *       {@code G_k = r_k + γ·G_{k+1}}, {@code G} after the last step = 0.</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Episode advantage (Eq. 3). Statistics per group over the steps' scores:
 *       {@code episode_stats = per-step-row} (default, the reference's hard-wired
 *       {@code compute_mean_std_cross_steps=True}) uses every step, so a trajectory with T steps
 *       weighs T times; {@code per-trajectory} uses each trajectory's first step once (the
 *       reference's de-duplication, which keeps the first row of each trajectory). A group with
 *       a single entry gets mean 0 and std 1 (the raw score passes through).
 *       {@code mean_norm}: {@code A^E = R − μ}; {@code mean_std_norm}:
 *       {@code A^E = (R − μ)/(σ + ε)}, σ unbiased (N−1).</li>
 *   <li>Step groups (Eq. 6): within a group, steps with identical state keys. With
 *       {@code similarity_threshold} τ in (0, 1) instead: states are visited in batch order
 *       (trajectories in batch order, steps in order) and each joins the <em>first</em> step
 *       group whose first member's state {@code s} satisfies
 *       {@code SequenceMatcher(None, state, s).ratio() ≥ τ} (see {@link SequenceRatio}), or
 *       opens a new one. This mode depends on the batch order, as the reference does. Note
 *       that verl-agent's trainer reorders the rows by length ({@code trainer.balance_batch},
 *       on by default in verl) before computing advantages, so its clusters follow that order;
 *       apportion uses trajectory order, which is the order of verl-agent's rollout collector
 *       and of the golden cases.</li>
 *   <li>Step advantage (Eq. 7) over each step group's returns {@code G}: {@code mean_norm}
 *       {@code A^S = G − μ_s}; {@code mean_std_norm} {@code (G − μ_s)/(σ_s + ε)}, σ unbiased.
 *       A single-member step group gets {@code A^S = 0} (its mean is itself; contrast the
 *       episode level).</li>
 *   <li>Combination (Eq. 8): {@code A = A^E + step_weight·A^S} on every token of the step's
 *       policy span; context tokens get 0. Returns equal the advantages (the reference returns
 *       the same tensor twice); {@link Credit#returns()} is the same array as
 *       {@link Credit#advantages()}. {@link Credit#spanAdvantages()} holds {@code A} per policy
 *       span and 0 per context span.</li>
 * </ol>
 * Diagnostics: {@code steps}, {@code step_groups}, {@code step_group_size_mean},
 * {@code singleton_step_groups}, {@code outcome_in_step_return} (1 when the outcome was used as
 * the last step's reward) and {@code step_term_all_zero} (1 when every step advantage was 0 on
 * the batch; a one-time stderr warning via {@link DistinguishingTerm} when step_weight &gt; 0).
 * Statistics are computed in double precision (the reference uses float32; the difference is
 * within the golden tolerances).
 *
 * <h2>Parameters and presets</h2>
 * Defaults follow verl-agent's {@code ppo_trainer.yaml}: {@code gamma} 1.0, {@code mode}
 * {@code mean_norm}, {@code step_weight} 1.0 ({@code step_advantage_w}), {@code epsilon} 1e-6,
 * {@code episode_stats} {@code per-step-row}, {@code similarity_threshold} 0 (exact match;
 * verl-agent's {@code enable_similarity=False}). Presets:
 * <ul>
 *   <li>{@code verl-agent}: the yaml values (= the defaults).</li>
 *   <li>{@code verl-agent-alfworld}: {@code run_alfworld.sh}, γ 0.95, {@code mean_std_norm}.</li>
 *   <li>{@code verl-agent-webshop}: {@code run_webshop.sh} and {@code run_sokoban.sh}, γ 0.95,
 *       {@code mean_norm}.</li>
 *   <li>{@code verl-agent-search}: {@code run_search.sh}, γ 0.95, {@code mean_std_norm},
 *       similarity grouping at 0.9.</li>
 *   <li>{@code paper}: the paper's equations as written: γ 0.95, episode statistics over
 *       trajectories ({@code per-trajectory}), {@code F_norm = 1} ({@code mean_norm}),
 *       ω = 1. Which {@code F_norm} the paper's agent runs used is not settled by the notes
 *       we have (the ALFWorld script uses the std); pick {@code mean_std_norm} to divide.</li>
 * </ul>
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy spans contributes no step and gets 0 everywhere; a group without
 * steps is skipped; an empty policy span is still a step (it counts in the statistics but has
 * no token to carry its credit). A batch with no reward at all (no outcome, span or token
 * reward) is refused with a {@link RolloutException}, as is a policy span without a state key.
 * verl-agent's {@code adjust_batch} duplicates rows to fill data-parallel shards before this
 * computation; apportion does not, so duplicated rows are not part of the statistics. Outside
 * {@code core_gigpo.py}, verl-agent's trainer subtracts its invalid-action penalty from the
 * already discounted step return of the offending step; here a penalty given as a step reward
 * is discounted into the earlier steps like any other step reward.
 *
 * <p>Thread-safety: stateless and thread-safe. With an {@link Execution} of several threads
 * groups are processed in parallel; results are identical to the sequential run.
 */
public final class Gigpo implements BufferedEstimator {
    /**
     * Values of the {@code episode_stats} parameter; their wire names keep the reference's hyphens
     * ({@code per-step-row}, {@code per-trajectory}).
     */
    enum EpisodeStats implements WireName {
        PER_STEP_ROW("per-step-row"),
        PER_TRAJECTORY("per-trajectory");

        private final String wire;

        EpisodeStats(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    /** Values of the {@code outcome_step_reward} parameter (lower-case names on the wire). */
    enum OutcomeStepReward {
        WHEN_NO_STEP_REWARDS,
        NEVER
    }

    /** Values of the {@code mode} parameter (lower-case names on the wire). */
    enum Mode {
        MEAN_NORM,
        MEAN_STD_NORM
    }

    /** Registry id. */
    public static final String ID = "gigpo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("GiGPO (group-in-group policy optimization)")
            .source(
                    "Feng, Xue, Liu, An, arXiv 2505.10978 (NeurIPS 2025); langfengQ/verl-agent@29e3e8b gigpo/core_gigpo.py")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span("state", "the environment: the anchor observation each step starts from"),
                    SignalRequirement.trajectory(
                                    "reward",
                                    "an outcome or token rewards (episode score) and/or span rewards (step rewards)")
                            .always())
            .parameters(
                    ParamSpec.real(
                            "gamma",
                            1.0,
                            0.0,
                            1.0,
                            "discount of the step return G_k = r_k + gamma*G_{k+1} (verl-agent yaml 1.0, example scripts 0.95)"),
                    ParamSpec.choice(
                            "mode",
                            Mode.MEAN_NORM,
                            "mean_norm: subtract the group mean; mean_std_norm: also divide by the unbiased std + epsilon (both levels)"),
                    ParamSpec.real(
                            "step_weight",
                            1.0,
                            0.0,
                            null,
                            "weight of the step-level advantage (verl-agent step_advantage_w)"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std in mean_std_norm"),
                    ParamSpec.choice(
                            "episode_stats",
                            EpisodeStats.PER_STEP_ROW,
                            "episode statistics over every step (verl-agent; longer trajectories weigh more) or once per trajectory"),
                    ParamSpec.real(
                            "similarity_threshold",
                            0.0,
                            0.0,
                            1.0,
                            "0: step groups by identical state; in (0,1): greedy grouping by difflib ratio >= threshold (verl-agent enable_similarity)"),
                    ParamSpec.choice(
                            "outcome_step_reward",
                            OutcomeStepReward.WHEN_NO_STEP_REWARDS,
                            "when_no_step_rewards: if no policy span of the batch has a reward, the trajectory outcome is the last "
                                    + "step's reward in the step return (verl-agent pays success as the last step's environment reward); "
                                    + "never: step returns read span rewards only"))
            .preset("verl-agent", preset(1.0, Mode.MEAN_NORM, EpisodeStats.PER_STEP_ROW, 0.0))
            .preset("verl-agent-alfworld", preset(0.95, Mode.MEAN_STD_NORM, EpisodeStats.PER_STEP_ROW, 0.0))
            .preset("verl-agent-webshop", preset(0.95, Mode.MEAN_NORM, EpisodeStats.PER_STEP_ROW, 0.0))
            .preset("verl-agent-search", preset(0.95, Mode.MEAN_STD_NORM, EpisodeStats.PER_STEP_ROW, 0.9))
            .preset("paper", preset(0.95, Mode.MEAN_NORM, EpisodeStats.PER_TRAJECTORY, 0.0))
            .summary(
                    "A = A^E(episode score vs group) + step_weight * A^S(discounted step return vs steps of the group from the same state)")
            .build();

    /**
     * One preset's values: every preset of the references pays the outcome as the last step's
     * reward on outcome-only data, weighs the step term 1 and adds 1e-6 to the stds; they differ in
     * the discount, the normalisation, the episode statistics and the state similarity.
     */
    private static Map<String, Object> preset(double gamma, Mode mode, EpisodeStats episodeStats, double similarity) {
        String outcome = WireName.of(OutcomeStepReward.WHEN_NO_STEP_REWARDS);
        String norm = WireName.of(mode);
        String stats = episodeStats.wire();
        return Map.of(
                "outcome_step_reward", outcome,
                "gamma", gamma,
                "mode", norm,
                "step_weight", 1.0,
                "epsilon", 1e-6,
                "episode_stats", stats,
                "similarity_threshold", similarity);
    }

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * Writes the advantages (also the returns) into {@code buffers} when given (reused across
     * calls): the steps' tokens as always, and 0 on every context span.
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Settings cfg = new Settings(
                params.getDouble("gamma"),
                params.getChoice("mode", Mode.class) == Mode.MEAN_STD_NORM,
                params.getDouble("step_weight"),
                params.getDouble("epsilon"),
                params.getChoice("episode_stats", EpisodeStats.class) == EpisodeStats.PER_STEP_ROW,
                params.getDouble("similarity_threshold"));
        if (cfg.threshold >= 1.0) {
            throw new IllegalArgumentException(
                    "estimator '" + ID + "': parameter 'similarity_threshold' must be 0 (exact state match) "
                            + "or lie in (0, 1), got " + cfg.threshold);
        }
        float[] adv = buffers == null ? new float[batch.tokenCount()] : buffers.advantages(batch.tokenCount());
        float[] spanAdv = new float[batch.spanCount()];
        boolean anyStep = false;
        for (int s = 0; s < batch.spanCount() && !anyStep; s++) anyStep = batch.isPolicySpan(s);
        if (!anyStep) {
            if (buffers != null) Arrays.fill(adv, 0, batch.tokenCount(), 0f);
            return Credit.builder(adv)
                    .returns(adv)
                    .spanAdvantages(spanAdv)
                    .diagnostic("steps", 0)
                    .diagnostic("step_groups", 0)
                    .diagnostic("step_group_size_mean", 0)
                    .diagnostic("singleton_step_groups", 0)
                    .build();
        }
        String[] state = batch.requireSpanState(ID);
        float[] spanReward = batch.spanReward();
        boolean outcomeAsStepReward = params.getChoice("outcome_step_reward", OutcomeStepReward.class)
                        == OutcomeStepReward.WHEN_NO_STEP_REWARDS
                && !hasPolicySpanReward(batch, spanReward);
        Inputs in = new Inputs(
                batch,
                state,
                outcomes(batch),
                batch.tokenSignal(Rollouts.REWARD),
                spanReward,
                outcomeAsStepReward,
                adv,
                spanAdv);
        // the grouping works per step (a state key hashed and looked up), not per token
        long[][] diag = new long[execution.chunksForGroups(batch, Execution.Cost.SPAN)][];
        execution.forGroups(batch, Execution.Cost.SPAN, (chunk, from, to) -> {
            Workspace ws = new Workspace(cfg, in);
            for (int g = from; g < to; g++) ws.group(g);
            diag[chunk] = new long[] {ws.steps, ws.stepGroups, ws.singletons, Double.doubleToLongBits(ws.maxAbsStep)};
        });
        // every span's value on its tokens in one ordered walk: the step's advantage on a policy span,
        // 0 on a context span (the groups wrote only spanAdv)
        spanTokens(batch, spanAdv, adv, execution);
        long steps = 0;
        long stepGroups = 0;
        long singletons = 0;
        double maxAbsStep = 0;
        for (long[] d : diag) {
            steps += d[0];
            stepGroups += d[1];
            singletons += d[2];
            maxAbsStep = Math.max(maxAbsStep, Double.longBitsToDouble(d[3]));
        }
        double stepTermZero = DistinguishingTerm.report(
                ID,
                "step_term",
                maxAbsStep,
                cfg.stepWeight,
                "no step return differs within an anchor-state group: states never repeat, or the step rewards carry no signal"
                        + (outcomeAsStepReward
                                ? ""
                                : "; outcome_step_reward=never or span rewards without the outcome"));
        return Credit.builder(adv)
                .returns(adv)
                .spanAdvantages(spanAdv)
                .diagnostic("steps", steps)
                .diagnostic("step_groups", stepGroups)
                .diagnostic("step_group_size_mean", stepGroups == 0 ? 0.0 : (double) steps / stepGroups)
                .diagnostic("singleton_step_groups", singletons)
                .diagnostic("outcome_in_step_return", outcomeAsStepReward ? 1 : 0)
                .diagnostic(DistinguishingTerm.diagnostic("step_term"), stepTermZero)
                .build();
    }

    /** Writes {@code perSpan[s]} on every token of span {@code s} (spans tile the tokens: every token is written). */
    private static void spanTokens(Rollouts batch, float[] perSpan, float[] out, Execution execution) {
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        execution.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int s = spanOff[from], e = spanOff[to]; s < e; s++)
                Arrays.fill(out, tokOff[s], tokOff[s + 1], perSpan[s]);
        });
    }

    /** True when some policy span of the batch carries a (non-NaN) reward. */
    private static boolean hasPolicySpanReward(Rollouts batch, float[] spanReward) {
        if (spanReward == null) return false;
        for (int s = 0; s < spanReward.length; s++) {
            if (batch.isPolicySpan(s) && !Float.isNaN(spanReward[s])) return true;
        }
        return false;
    }

    /** Outcome per trajectory, 0 where absent; the component sum when there is no scalar outcome. */
    private static double[] outcomes(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        float[] o = batch.outcome();
        if (o != null) {
            for (int i = 0; i < n; i++) if (!Float.isNaN(o[i])) out[i] = o[i];
        } else {
            for (float[] c : batch.outcomeComponents().values()) {
                for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) out[i] += c[i];
            }
        }
        return out;
    }

    private record Settings(
            double gamma,
            boolean divideByStd,
            double stepWeight,
            double epsilon,
            boolean perStepRow,
            double threshold) {}

    /** Read-only batch arrays and the two outputs (each group writes only its own spans and tokens). */
    private record Inputs(
            Rollouts batch,
            String[] state,
            double[] outcome,
            float[] tokenReward,
            float[] spanReward,
            boolean outcomeAsStepReward,
            float[] adv,
            float[] spanAdv) {}

    /**
     * Per-chunk work arrays, reused group after group (no allocation per step once grown).
     */
    private static final class Workspace {
        private final Settings cfg;
        private final Inputs in;
        private final int[] trajSpan;
        private final int[] spanTok;
        private final int[] members;
        private final int[] memberStart;

        // per step of the current group
        private int[] stepSpan = new int[64];
        private double[] score = new double[64];
        private double[] reward = new double[64];
        private double[] ret = new double[64];
        private int[] cluster = new int[64];
        private int[] firstStep = new int[16];
        // per step group
        private int[] count = new int[64];
        private double[] sum = new double[64];
        private double[] m2 = new double[64];
        private String[] rep = new String[64];
        private int[] repHash = new int[64];
        private SequenceRatio.Target[] repTarget;
        private final SequenceRatio.Matcher matcher;
        private int[] table = new int[128];

        long steps;
        long stepGroups;
        long singletons;
        double maxAbsStep;

        Workspace(Settings cfg, Inputs in) {
            this.cfg = cfg;
            this.in = in;
            Rollouts b = in.batch;
            this.trajSpan = b.trajectorySpanOffsets();
            this.spanTok = b.spanTokenOffsets();
            this.members = b.groupMembers();
            this.memberStart = b.groupMemberStart();
            boolean similar = cfg.threshold > 0;
            this.repTarget = similar ? new SequenceRatio.Target[64] : null;
            this.matcher = similar ? new SequenceRatio.Matcher() : null;
        }

        void group(int g) {
            Rollouts b = in.batch;
            int ms = memberStart[g];
            int me = memberStart[g + 1];
            int n = 0;
            for (int m = ms; m < me; m++) {
                int i = members[m];
                for (int s = trajSpan[i], e = trajSpan[i + 1]; s < e; s++) if (b.isPolicySpan(s)) n++;
            }
            if (n == 0) return;
            ensureSteps(n, me - ms);
            int k = 0;
            int trajectories = 0;
            float[] tr = in.tokenReward;
            float[] sr = in.spanReward;
            double gamma = cfg.gamma;
            for (int m = ms; m < me; m++) {
                int i = members[m];
                double outcome = in.outcome[i];
                int k0 = k;
                for (int s = trajSpan[i], e = trajSpan[i + 1]; s < e; s++) {
                    if (b.isPolicySpan(s)) {
                        stepSpan[k] = s;
                        score[k] = outcome + sum(tr, spanTok[s], spanTok[s + 1]);
                        reward[k] = sr == null || Float.isNaN(sr[s]) ? 0.0 : sr[s];
                        k++;
                    } else if (k > k0) {
                        score[k - 1] += sum(tr, spanTok[s], spanTok[s + 1]);
                    }
                }
                if (k > k0) {
                    firstStep[trajectories++] = k0;
                    if (in.outcomeAsStepReward) reward[k - 1] += outcome;
                    double run = 0.0;
                    for (int q = k - 1; q >= k0; q--) {
                        run = reward[q] + gamma * run;
                        ret[q] = run;
                    }
                }
            }

            // episode statistics
            double mean;
            double sd;
            int cnt = cfg.perStepRow ? n : trajectories;
            double acc = 0.0;
            for (int t = 0; t < cnt; t++) acc += score[cfg.perStepRow ? t : firstStep[t]];
            if (cnt == 1) {
                mean = 0.0;
                sd = 1.0;
            } else {
                mean = acc / cnt;
                double dev = 0.0;
                for (int t = 0; t < cnt; t++) {
                    double d = score[cfg.perStepRow ? t : firstStep[t]] - mean;
                    dev += d * d;
                }
                sd = Math.sqrt(dev / (cnt - 1));
            }

            // step groups
            int groupsHere = cfg.threshold > 0 ? clusterBySimilarity(n) : clusterExact(n);
            Arrays.fill(count, 0, groupsHere, 0);
            Arrays.fill(sum, 0, groupsHere, 0.0);
            Arrays.fill(m2, 0, groupsHere, 0.0);
            for (int q = 0; q < n; q++) {
                count[cluster[q]]++;
                sum[cluster[q]] += ret[q];
            }
            for (int c = 0; c < groupsHere; c++) {
                sum[c] /= count[c]; // now the mean
                if (count[c] == 1) singletons++;
            }
            for (int q = 0; q < n; q++) {
                double d = ret[q] - sum[cluster[q]];
                m2[cluster[q]] += d * d;
            }

            float[] spanAdv = in.spanAdv;
            boolean div = cfg.divideByStd;
            double eps = cfg.epsilon;
            for (int q = 0; q < n; q++) {
                double episode = div ? (score[q] - mean) / (sd + eps) : score[q] - mean;
                int c = cluster[q];
                double step;
                if (count[c] == 1) {
                    step = 0.0;
                } else {
                    double d = ret[q] - sum[c];
                    step = div ? d / (Math.sqrt(m2[c] / (count[c] - 1)) + eps) : d;
                }
                maxAbsStep = Math.max(maxAbsStep, Math.abs(step));
                float a = (float) (episode + cfg.stepWeight * step);
                int s = stepSpan[q];
                spanAdv[s] = a;
            }
            steps += n;
            stepGroups += groupsHere;
        }

        private static double sum(float[] r, int from, int to) {
            if (r == null) return 0.0;
            double acc = 0.0;
            for (int t = from; t < to; t++) acc += r[t];
            return acc;
        }

        /** Step groups by identical state: an open-addressing table from state to group id. */
        private int clusterExact(int n) {
            int cap = Integer.highestOneBit(Math.max(4, n) * 2 - 1) << 1;
            if (table.length < cap) table = new int[cap];
            else Arrays.fill(table, 0, cap, 0);
            int mask = cap - 1;
            int groups = 0;
            String[] st = in.state;
            for (int q = 0; q < n; q++) {
                String key = st[stepSpan[q]];
                int h = key.hashCode();
                int pos = (h ^ (h >>> 16)) & mask;
                while (true) {
                    int slot = table[pos];
                    if (slot == 0) {
                        rep[groups] = key;
                        repHash[groups] = h;
                        table[pos] = groups + 1;
                        cluster[q] = groups++;
                        break;
                    }
                    int c = slot - 1;
                    if (repHash[c] == h && (rep[c] == key || rep[c].equals(key))) {
                        cluster[q] = c;
                        break;
                    }
                    pos = (pos + 1) & mask;
                }
            }
            Arrays.fill(rep, 0, groups, null);
            return groups;
        }

        /** verl-agent's greedy clustering: join the first group whose first state is similar enough. */
        private int clusterBySimilarity(int n) {
            int groups = 0;
            String[] st = in.state;
            double thr = cfg.threshold;
            for (int q = 0; q < n; q++) {
                String key = st[stepSpan[q]];
                int found = -1;
                for (int c = 0; c < groups && found < 0; c++) {
                    if (repTarget[c] == null) repTarget[c] = SequenceRatio.Target.of(rep[c]);
                    if (matcher.atLeast(key, repTarget[c], thr)) found = c;
                }
                if (found < 0) {
                    rep[groups] = key;
                    repTarget[groups] = null;
                    found = groups++;
                }
                cluster[q] = found;
            }
            Arrays.fill(rep, 0, groups, null);
            Arrays.fill(repTarget, 0, groups, null);
            return groups;
        }

        private void ensureSteps(int n, int trajectories) {
            if (stepSpan.length < n) {
                int cap = Math.max(n, stepSpan.length * 2);
                stepSpan = new int[cap];
                score = new double[cap];
                reward = new double[cap];
                ret = new double[cap];
                cluster = new int[cap];
                count = new int[cap];
                sum = new double[cap];
                m2 = new double[cap];
                rep = new String[cap];
                repHash = new int[cap];
                if (repTarget != null) repTarget = new SequenceRatio.Target[cap];
            }
            if (firstStep.length < trajectories) firstStep = new int[Math.max(trajectories, firstStep.length * 2)];
        }
    }
}
