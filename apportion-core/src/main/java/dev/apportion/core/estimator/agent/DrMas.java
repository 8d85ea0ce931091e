package dev.apportion.core.estimator.agent;

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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.HashMap;
import java.util.Map;

/**
 * Dr. MAS agent-wise group normalisation ({@code dr_mas}): verl's outcome estimators with the
 * group index of every agent turn extended by the agent, so each agent is normalised against its
 * own reward statistics within a question.
 *
 * <h2>Formula</h2>
 * A row is one agent turn = one policy span (agent = the span's agent, question = the batch
 * group, trajectory = the batch trajectory); its score {@code s} = span reward + the token
 * {@code reward} signal over the row (verl sums the row's {@code token_level_rewards}). Group
 * {@code g = question + "_" + agent} with {@code group_by_agent_id}, else the question.
 * <ul>
 *   <li>{@code grpo}: with the agent switch every row is a sample of its group; without it each
 *       trajectory's rows are averaged and the row scores replaced by that mean (one sample per
 *       trajectory). One sample → mean 0, std 1; else mean and unbiased std;
 *       {@code A = (s − μ)/(σ + ε)} or {@code s − μ}.</li>
 *   <li>Samples of the other estimators: every row with the agent switch, else only the first
 *       row of each (group, trajectory) pair (later rows still get an advantage from their own
 *       score).</li>
 *   <li>{@code rloo}: n &gt; 1 samples, mean m: {@code A = (s − m)·n/(n − 1)}; n = 1: {@code A = s}.</li>
 *   <li>{@code reinforce_plus_plus_baseline}: {@code x = s − m} (m = 0 for one sample) on the
 *       row's policy tokens, then batch whitening over all policy tokens: μ = Σx/(M + 1e-8),
 *       var = Σ(x − μ)²/(M + 1e-8)·M/(M − 1), {@code (x − μ)/√(var + 1e-8)}.</li>
 *   <li>{@code grpo_passk}: each group needs ≥ 2 samples (else an error); the best sample gets
 *       {@code r_max − r_second} (over {@code σ + ε} when normalising), every other row 0.</li>
 * </ul>
 * Advantages are broadcast over the row's policy tokens.
 *
 * <h2>Source</h2>
 * Dr. MAS, arXiv 2602.08847; code langfengQ/DrMAS @ 19c632bc0f75730b6db98d90b5035ee9bb7f66d1,
 * {@code verl/trainer/ppo/ray_trainer.py} {@code compute_advantage} (group index) and
 * {@code verl/trainer/ppo/core_algos.py} {@code compute_grpo_outcome_advantage},
 * {@code compute_rloo_outcome_advantage},
 * {@code compute_reinforce_plus_plus_baseline_outcome_advantage},
 * {@code compute_grpo_passk_outcome_advantage}; paper preset {@code examples/drmas_trainer/run_math.sh}.
 * Fidelity {@code reference}: matches the 15 public golden cases of {@code multi-agent.md} §1.
 *
 * <h2>Parameters and presets</h2>
 * {@code adv_estimator} grpo, {@code group_by_agent_id} true (the paper's scripts; the verl
 * config default is false = the plain shared baseline), {@code norm_adv_by_std_in_grpo} true,
 * {@code epsilon} 1e-6. Presets {@code paper} (= defaults) and {@code shared_baseline}
 * ({@code group_by_agent_id} false).
 *
 * <h2>Edge cases (reproduced quirks)</h2>
 * Without the agent switch GRPO uses the trajectory mean, the other estimators the first row
 * (inconsistent in the reference). An agent acting twice in a trajectory is two samples of its
 * group. A one-sample group keeps its raw score (grpo, rloo). pass@k with a one-sample group,
 * and whitening with fewer than 2 policy tokens, are errors. Not group-local
 * ({@code reinforce_plus_plus_baseline} whitens over the batch).
 *
 * <p>Stateless and thread-safe.
 */
public final class DrMas implements BufferedEstimator {
    /** Values of the {@code adv_estimator} parameter (lower-case names on the wire). */
    enum AdvEstimator {
        GRPO,
        RLOO,
        REINFORCE_PLUS_PLUS_BASELINE,
        GRPO_PASSK
    }

    public static final String ID = "dr_mas";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Dr. MAS: agent-wise group normalisation for multi-agent GRPO / RLOO / REINFORCE++ / pass@k")
            .source(
                    "Dr. MAS, arXiv 2602.08847; langfengQ/DrMAS@19c632b verl/trainer/ppo/ray_trainer.py compute_advantage + core_algos.py")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.span("reward", "the reward of each agent turn (span reward or token rewards)"))
            .parameters(
                    ParamSpec.choice(
                            "adv_estimator", AdvEstimator.GRPO, "verl outcome estimator run on the agent-wise groups"),
                    ParamSpec.bool(
                            "group_by_agent_id",
                            true,
                            "group index = question + '_' + agent (Dr. MAS); false = question only"),
                    ParamSpec.bool(
                            "norm_adv_by_std_in_grpo",
                            true,
                            "divide by the group's unbiased std + epsilon (grpo, grpo_passk)"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"))
            .preset("paper", Map.of("group_by_agent_id", true))
            .preset("shared_baseline", Map.of("group_by_agent_id", false))
            .summary("A = (s - mean_g)/(std_g + eps), g = (question, agent); also rloo, reinforce++ baseline, pass@k")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        AdvEstimator est = params.getChoice("adv_estimator", AdvEstimator.class);
        boolean byAgent = params.getBoolean("group_by_agent_id");
        boolean byStd = params.getBoolean("norm_adv_by_std_in_grpo");
        double eps = params.getDouble("epsilon");
        AgentRows rows = AgentRows.of(batch);
        int m = rows.size();
        double[] s = rows.scores(batch);
        String[] agent = rows.agents(batch);
        // group index of each row: (question, agent) or the question, numbered by first appearance
        Map<String, Integer> agentIds = new HashMap<>();
        CellIndex index = new CellIndex(Math.max(16, batch.groupCount() * 2));
        int[] g = new int[m];
        for (int k = 0; k < m; k++) {
            int q = batch.trajectoryGroup(rows.trajectory[k]);
            if (byAgent) {
                Integer id = agentIds.get(agent[k]);
                if (id == null) {
                    id = agentIds.size();
                    agentIds.put(agent[k], id);
                }
                g[k] = index.index(CellIndex.pack(q, id));
            } else {
                g[k] = index.index(q);
            }
        }
        int groups = index.size();
        // samples: every row (agent switch), else the first row of each trajectory (all its rows share
        // the question's group), whose score for grpo is the mean of the trajectory's rows
        boolean[] sample = new boolean[m];
        double[] score = s.clone();
        if (byAgent) {
            java.util.Arrays.fill(sample, true);
        } else {
            for (int i = 0; i < batch.trajectoryCount(); i++) {
                int first = rows.rowStart[i];
                int end = rows.rowStart[i + 1];
                if (first == end) continue;
                sample[first] = true;
                if (est == AdvEstimator.GRPO) {
                    double sum = s[first];
                    double count = 1;
                    for (int k = first + 1; k < end; k++) {
                        sum += s[k];
                        count++;
                    }
                    for (int k = first; k < end; k++) score[k] = sum / count;
                }
            }
        }
        int[] n = new int[groups];
        double[] sum = new double[groups];
        for (int k = 0; k < m; k++) {
            if (!sample[k]) continue;
            n[g[k]]++;
            sum[g[k]] += score[k];
        }
        double[] mean = new double[groups];
        double[] std = new double[groups];
        for (int j = 0; j < groups; j++) mean[j] = n[j] == 0 ? 0 : sum[j] / n[j];
        double[] ss = new double[groups];
        for (int k = 0; k < m; k++) if (sample[k]) ss[g[k]] += (score[k] - mean[g[k]]) * (score[k] - mean[g[k]]);
        for (int j = 0; j < groups; j++) std[j] = n[j] > 1 ? Math.sqrt(ss[j] / (n[j] - 1)) : 1.0;
        double[] a = new double[m];
        switch (est) {
            case GRPO:
                for (int k = 0; k < m; k++) {
                    int j = g[k];
                    double mu = n[j] > 1 ? mean[j] : 0.0;
                    double sd = n[j] > 1 ? std[j] : 1.0;
                    a[k] = byStd ? (score[k] - mu) / (sd + eps) : score[k] - mu;
                }
                break;
            case RLOO:
                for (int k = 0; k < m; k++) {
                    int j = g[k];
                    a[k] = n[j] > 1 ? s[k] * n[j] / (n[j] - 1.0) - mean[j] * n[j] / (n[j] - 1.0) : s[k];
                }
                break;
            case GRPO_PASSK:
                passK(batch, rows, s, sample, g, n, std, byStd, eps, a);
                break;
            default:
                return plusPlusBaseline(batch, rows, s, g, n, mean, buffers);
        }
        return Credit.builder(rows.broadcast(batch, a, buffers))
                .spanAdvantages(rows.spanValues(batch, a))
                .diagnostic("rows", m)
                .diagnostic("groups", groups)
                .build();
    }

    private static void passK(
            Rollouts batch,
            AgentRows rows,
            double[] s,
            boolean[] sample,
            int[] g,
            int[] n,
            double[] std,
            boolean byStd,
            double eps,
            double[] a) {
        int groups = n.length;
        int[] best = new int[groups];
        double[] max = new double[groups];
        double[] second = new double[groups];
        java.util.Arrays.fill(best, -1);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        java.util.Arrays.fill(second, Double.NEGATIVE_INFINITY);
        for (int k = 0; k < s.length; k++) {
            if (!sample[k]) continue;
            int j = g[k];
            if (s[k] > max[j]) {
                second[j] = max[j];
                max[j] = s[k];
                best[j] = k;
            } else if (s[k] > second[j]) {
                second[j] = s[k];
            }
        }
        for (int j = 0; j < groups; j++) {
            if (n[j] < 2) {
                int k = 0;
                while (g[k] != j) k++;
                int i = rows.trajectory[k];
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID
                                + "' with adv_estimator = grpo_passk needs at least 2 samples"
                                + " per group, but the group of this trajectory's agent turn " + (k - rows.rowStart[i])
                                + " has " + n[j],
                        i,
                        "group");
            }
            double v = max[j] - second[j];
            a[best[j]] = byStd ? v / (std[j] + eps) : v;
        }
    }

    private static Credit plusPlusBaseline(
            Rollouts batch, AgentRows rows, double[] s, int[] g, int[] n, double[] mean, Credit.Buffers buffers) {
        int m = s.length;
        double[] x = new double[m];
        for (int k = 0; k < m; k++) x[k] = s[k] - (n[g[k]] > 1 ? mean[g[k]] : 0.0);
        long tokens = 0;
        double sum = 0;
        for (int k = 0; k < m; k++) {
            int len = batch.spanTokenEnd(rows.span[k]) - batch.spanTokenStart(rows.span[k]);
            tokens += len;
            sum += x[k] * len;
        }
        if (tokens < 2) {
            throw new RolloutException(
                    "estimator '" + ID + "' with adv_estimator = reinforce_plus_plus_baseline whitens over the batch's"
                            + " policy tokens and needs at least 2, the batch has " + tokens);
        }
        double mu = sum / (tokens + 1e-8);
        double ss = 0;
        for (int k = 0; k < m; k++) {
            int len = batch.spanTokenEnd(rows.span[k]) - batch.spanTokenStart(rows.span[k]);
            ss += (x[k] - mu) * (x[k] - mu) * len;
        }
        double var = ss / (tokens + 1e-8) * tokens / (tokens - 1.0);
        double scale = 1.0 / Math.sqrt(var + 1e-8);
        double[] a = new double[m];
        for (int k = 0; k < m; k++) a[k] = (x[k] - mu) * scale;
        return Credit.builder(rows.broadcast(batch, a, buffers))
                .spanAdvantages(rows.spanValues(batch, a))
                .diagnostic("rows", m)
                .diagnostic("groups", n.length)
                .diagnostic("whiten_mean", mu)
                .diagnostic("whiten_var", var)
                .build();
    }
}
