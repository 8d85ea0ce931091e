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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * AT-GRPO, agent- and turn-wise grouped relative policy optimization ({@code at_grpo}): every
 * action of every agent is credited against the actions of the <em>same agent</em> at the
 * <em>same turn</em> of the other rollouts of the same problem, with the per-turn reward the
 * environment gave that action.
 *
 * <h2>Formula (default = the authors' code)</h2>
 * A row is one agent action = one policy span (its agent = the span's agent; its turn = span
 * signal {@code turn_idx}, else the agent's own action count in the trajectory 0, 1, …).
 * <ul>
 *   <li><b>Reward</b> {@code r = α·team + ℓ}: {@code ℓ} = the span reward plus the token
 *       {@code reward} signal over the row (verl sums the row's {@code token_level_rewards});
 *       {@code team} = span signal {@code team_reward} (the team reward at that turn; absent =
 *       0, i.e. the span reward already holds the environment's mixed per-turn reward, as
 *       PettingLLMs' {@code non_tensor_batch['reward']} does). With {@code team_reward = outcome}
 *       (the earlier paper-level reading, kept as preset {@code outcome_team}) {@code team} is the
 *       trajectory's final outcome on every turn.</li>
 *   <li><b>Group key</b> ({@code _assign_consistent_uids}): {@code rollout_mode = no_tree} →
 *       the trajectory; design-tree mode (span signal {@code design_idx} present and
 *       {@code execute_sample_num > 1}): the designer ({@code designer_agent}) → (group, designer),
 *       an executor → (group, executors) when {@code executor_group_mode = question} (or unset and
 *       {@code execute_sample_num ≤ 2}), else (group, design_idx, executors); otherwise
 *       {@code grouping}: {@code agent_turn} (AT-GRPO) = (group, turn, agent), {@code agent} =
 *       (group, agent), {@code group} = the batch group.</li>
 *   <li><b>Row removal</b>: {@code no_tree} drops every row below its trajectory's last turn;
 *       else with {@code filter_ratio > 0}: {@code dapo} drops groups whose rewards are all equal
 *       (one-row groups included); {@code std} / {@code mean} sort the groups (first-appearance
 *       order, stable) by population variance / range² (0 for range 0 or one row) or by mean
 *       (0.0 for a one-row group) and drop the first ⌊G·ratio⌋; {@code uid} drops, inside each
 *       group of n &gt; 1 rows, the ⌊n·ratio⌋ rows farthest from the group mean (stable). Dropped
 *       rows get advantage 0 and loss weight 0.</li>
 *   <li><b>GRPO over the kept rows</b> (the authors' vendored verl): mean and unbiased std of
 *       the group; {@code A = (r − μ)/(σ + ε)} (or {@code r − μ}); a one-row group gets 0 unless
 *       every group of the batch is a one-row group, then its raw reward ({@code singleton =
 *       vendored_verl}); {@code zero} / {@code raw} always give 0 / the raw reward (upstream
 *       verl: raw). Broadcast over the row's policy tokens.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * Y. Zhao et al., "Stronger-MAS: Multi-Agent Reinforcement Learning for Collaborative LLMs"
 * (AT-GRPO), arXiv 2510.11062; code pettingllms-ai/PettingLLMs @ a054fb18b83f4dc7c1d49aba3b71669d1f93ca71,
 * {@code pettingllms/trainer/multi_agents_ppo_trainer.py} {@code _assign_consistent_uids} and the
 * vendored {@code verl/verl/trainer/ppo/core_algos.py} {@code compute_grpo_outcome_advantage};
 * defaults from {@code pettingllms/config/ppo_trainer/base.yaml}. Fidelity {@code reference}:
 * matches the 14 public golden cases of {@code multi-agent.md} §2. The batch group is the
 * problem ({@code env_idx div sample_num}); the paper's tree sampling itself is a rollout
 * procedure outside credit assignment.
 *
 * <h2>Parameters and presets</h2>
 * {@code alpha} 1.0, {@code team_reward} turn, {@code grouping} agent_turn, {@code rollout_mode}
 * tree, {@code filter_ratio} 0, {@code filter_method} uid, {@code execute_sample_num} 0 (no
 * design mode), {@code executor_group_mode} auto, {@code designer_agent} "0",
 * {@code normalize_by_std} true, {@code epsilon} 1e-6, {@code singleton} vendored_verl. Presets:
 * {@code paper} and {@code pettingllms} = the defaults (paper and code agree); {@code verl} = the
 * defaults (the authors' vendored verl); {@code upstream_verl} = singleton raw;
 * {@code outcome_team} = the earlier apportion behaviour (α × final outcome on every turn,
 * singleton 0).
 *
 * <h2>Edge cases</h2>
 * A one-rollout problem makes every group a singleton (0 when other groups are larger).
 * {@code dapo} with ratio 0 filters nothing. With {@code team_reward = outcome} and α &gt; 0 a
 * trajectory without an outcome is an error. Span advantages carry the row values.
 *
 * <p>Stateless and thread-safe.
 */
public final class AtGrpo implements BufferedEstimator {
    /** Values of the {@code singleton} parameter (lower-case names on the wire). */
    enum Singleton {
        VENDORED_VERL,
        ZERO,
        RAW
    }

    /** Values of the {@code executor_group_mode} parameter (lower-case names on the wire). */
    enum ExecutorGroupMode {
        AUTO,
        QUESTION,
        DESIGN
    }

    /** Values of the {@code filter_method} parameter (lower-case names on the wire). */
    enum FilterMethod {
        UID,
        MEAN,
        STD,
        DAPO
    }

    /** Values of the {@code rollout_mode} parameter (lower-case names on the wire). */
    enum RolloutMode {
        TREE,
        NO_TREE
    }

    /** Values of the {@code grouping} parameter (lower-case names on the wire). */
    enum GroupKey {
        AGENT_TURN,
        AGENT,
        GROUP
    }

    /** Values of the {@code team_reward} parameter (lower-case names on the wire). */
    enum TeamReward {
        TURN,
        OUTCOME
    }

    public static final String ID = "at_grpo";
    /** Span signal: the turn index of the action (PettingLLMs' {@code turn_idx}). */
    public static final String TURN_IDX = "turn_idx";
    /** Span signal: the team reward at that turn (mixed with weight alpha). */
    public static final String TEAM_REWARD = "team_reward";
    /** Span signal: the design index in design-tree mode. */
    public static final String DESIGN_IDX = "design_idx";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("AT-GRPO: agent- and turn-wise grouped GRPO on per-turn team + local rewards")
            .source(
                    "Zhao et al., Stronger-MAS / AT-GRPO, arXiv 2510.11062; pettingllms-ai/PettingLLMs@a054fb1 "
                            + "multi_agents_ppo_trainer.py _assign_consistent_uids + vendored verl compute_grpo_outcome_advantage")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.span("reward", "the environment's per-turn reward of each agent action"))
            .parameters(
                    ParamSpec.real("alpha", 1.0, 0.0, null, "weight of the team reward in each turn's reward"),
                    ParamSpec.choice(
                            "team_reward",
                            TeamReward.TURN,
                            "team reward: span signal team_reward at that turn (reference), or the final outcome on every turn"),
                    ParamSpec.choice(
                            "grouping",
                            GroupKey.AGENT_TURN,
                            "tree-mode group key: (group, turn, agent), (group, agent) or group"),
                    ParamSpec.choice(
                            "rollout_mode",
                            RolloutMode.TREE,
                            "no_tree: group by trajectory and keep only each trajectory's last turn"),
                    ParamSpec.real(
                            "filter_ratio",
                            0.0,
                            0.0,
                            1.0,
                            "fraction of groups (std, mean) or rows (uid) to drop; dapo needs > 0"),
                    ParamSpec.choice("filter_method", FilterMethod.UID, "row / group filter"),
                    ParamSpec.integer(
                            "execute_sample_num",
                            0,
                            0,
                            null,
                            "executors per design in design-tree mode (> 1 turns it on)"),
                    ParamSpec.choice(
                            "executor_group_mode",
                            ExecutorGroupMode.AUTO,
                            "design-tree executors grouped per question or per design (auto: question when execute_sample_num <= 2)"),
                    ParamSpec.string("designer_agent", "0", "agent name of the designer in design-tree mode"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the group's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                    ParamSpec.choice(
                            "singleton",
                            Singleton.VENDORED_VERL,
                            "one-row group: 0 unless all groups are singletons (authors' verl), always 0, or raw reward"))
            .preset("paper", Map.of())
            .preset("pettingllms", Map.of())
            .preset("verl", Map.of("singleton", "vendored_verl"))
            .preset("upstream_verl", Map.of("singleton", "raw"))
            .preset("outcome_team", Map.of("team_reward", "outcome", "alpha", 1.0, "singleton", "zero"))
            .summary(
                    "r = alpha*team_reward(turn) + local; A = z-score of r within (problem, turn, agent); one-row groups 0")
            .build();

    /**
     * The grouping step, for inspection and the golden adapter.
     *
     * @param rowSpan policy span of each row (batch order)
     * @param reward reward of each row
     * @param group group number of each kept row (first appearance among kept rows), -1 if dropped
     */
    public record Grouping(int[] rowSpan, double[] reward, int[] group) {}

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Rows, rewards, keys and row removal (steps 1 and 2). */
    public Grouping grouping(Rollouts batch, Params params) {
        return grouping(batch, params, AgentRows.of(batch));
    }

    private Grouping grouping(Rollouts batch, Params params, AgentRows rows) {
        int m = rows.size();
        double[] r = rewards(batch, rows, params);
        String[] agent = rows.agents(batch);
        float[] turnSig = batch.spanSignal(TURN_IDX);
        float[] design = batch.spanSignal(DESIGN_IDX);
        int exec = params.getInt("execute_sample_num");
        boolean noTree = params.getChoice("rollout_mode", RolloutMode.class) == RolloutMode.NO_TREE;
        boolean designMode = !noTree && design != null && exec > 1;
        ExecutorGroupMode execMode = params.getChoice("executor_group_mode", ExecutorGroupMode.class);
        boolean perDesign = execMode == ExecutorGroupMode.DESIGN || (execMode == ExecutorGroupMode.AUTO && exec > 2);
        String designer = params.getString("designer_agent");
        GroupKey grouping = params.getChoice("grouping", GroupKey.class);
        // agents as small ints (first seen, first numbered): per-row keys without strings
        Map<String, Integer> agentIds = new HashMap<>();
        int[] agentId = new int[m];
        String lastAgent = null; // the previous row's name object: rows of one agent usually share it
        int lastId = -1;
        for (int k = 0; k < m; k++) {
            if (agent[k] == lastAgent) {
                agentId[k] = lastId;
                continue;
            }
            Integer id = agentIds.get(agent[k]);
            if (id == null) {
                id = agentIds.size();
                agentIds.put(agent[k], id);
            }
            agentId[k] = id;
            lastAgent = agent[k];
            lastId = id;
        }
        double[] turn = new double[m];
        int[] own = new int[agentIds.size()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int k = rows.rowStart[i]; k < rows.rowStart[i + 1]; k++) {
                int n = own[agentId[k]]++;
                float t = turnSig == null ? Float.NaN : turnSig[rows.span[k]];
                turn[k] = Float.isNaN(t) ? n : t;
            }
            for (int k = rows.rowStart[i]; k < rows.rowStart[i + 1]; k++) own[agentId[k]] = 0;
        }
        // step 1: keys, numbered by first appearance over the rows. A key is the batch group and a
        // sub-key: per trajectory (no tree); designer / executor (by design value) in design mode;
        // (turn, agent), agent or nothing by the grouping. Distinct sub-keys are distinct values (turns
        // and design values compared by their bits, as their decimal strings are distinct).
        CellIndex keyIndex = new CellIndex(Math.max(16, m));
        CellIndex subIndex = new CellIndex(64);
        CellIndex valueIndex = new CellIndex(64);
        int[] key = new int[m];
        for (int k = 0; k < m; k++) {
            int i = rows.trajectory[k];
            int g = batch.trajectoryGroup(i);
            long cell;
            if (noTree) {
                cell = i;
            } else if (designMode) {
                int sub;
                if (agent[k].equals(designer)) sub = 0;
                else if (!perDesign) sub = 1;
                else {
                    float v = design[rows.span[k]];
                    num(v, batch, i, DESIGN_IDX); // the error for a missing design index
                    sub = 2 + valueIndex.index(Float.floatToIntBits(v) & 0xffffffffL);
                }
                cell = CellIndex.pack(g, sub);
            } else {
                switch (grouping) {
                    case AGENT_TURN:
                        int tid = valueIndex.index(Double.doubleToLongBits(turn[k]));
                        cell = CellIndex.pack(g, subIndex.index(CellIndex.pack(tid, agentId[k])));
                        break;
                    case AGENT:
                        cell = CellIndex.pack(g, agentId[k]);
                        break;
                    default:
                        cell = g;
                        break;
                }
            }
            key[k] = keyIndex.index(cell);
        }
        int groups = keyIndex.size();
        boolean[] drop = new boolean[m];
        double ratio = params.getDouble("filter_ratio");
        FilterMethod method = params.getChoice("filter_method", FilterMethod.class);
        if (noTree) {
            double[] last = new double[batch.trajectoryCount()];
            Arrays.fill(last, Double.NEGATIVE_INFINITY);
            for (int k = 0; k < m; k++) last[rows.trajectory[k]] = Math.max(last[rows.trajectory[k]], turn[k]);
            for (int k = 0; k < m; k++) drop[k] = turn[k] < last[rows.trajectory[k]];
        } else if (ratio > 0) {
            List<List<Integer>> members = new ArrayList<>();
            for (int g = 0; g < groups; g++) members.add(new ArrayList<>());
            for (int k = 0; k < m; k++) members.get(key[k]).add(k);
            if (method == FilterMethod.DAPO) {
                for (List<Integer> mem : members) {
                    if (range(mem, r) == 0) for (int k : mem) drop[k] = true;
                }
            } else if (method == FilterMethod.UID) {
                for (List<Integer> mem : members) {
                    int n = mem.size();
                    if (n <= 1) continue;
                    double mean = mean(mem, r);
                    List<Integer> order = new ArrayList<>(mem);
                    order.sort((a, b) -> Double.compare(Math.abs(r[b] - mean), Math.abs(r[a] - mean)));
                    int remove = (int) Math.floor(n * ratio);
                    for (int j = 0; j < remove; j++) drop[order.get(j)] = true;
                }
            } else {
                double[] value = new double[groups];
                for (int g = 0; g < groups; g++) {
                    List<Integer> mem = members.get(g);
                    if (method == FilterMethod.MEAN) {
                        value[g] = mem.size() == 1 ? 0.0 : mean(mem, r);
                    } else {
                        double rg = range(mem, r);
                        if (mem.size() > 1 && rg > 0) {
                            double mu = mean(mem, r);
                            double ss = 0;
                            for (int k : mem) ss += (r[k] - mu) * (r[k] - mu);
                            value[g] = ss / mem.size() / (rg * rg);
                        }
                    }
                }
                Integer[] order = new Integer[groups];
                for (int g = 0; g < groups; g++) order[g] = g;
                Arrays.sort(order, (a, b) -> Double.compare(value[a], value[b]));
                int remove = (int) Math.floor(groups * ratio);
                for (int j = 0; j < remove; j++) for (int k : members.get(order[j])) drop[k] = true;
            }
        }
        int[] group = new int[m];
        int[] renumber = new int[groups];
        Arrays.fill(renumber, -1);
        int next = 0;
        for (int k = 0; k < m; k++) {
            if (drop[k]) {
                group[k] = -1;
                continue;
            }
            if (renumber[key[k]] < 0) renumber[key[k]] = next++;
            group[k] = renumber[key[k]];
        }
        return new Grouping(rows.span.clone(), r, group);
    }

    /** Writes the advantages and loss weights into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean byStd = params.getBoolean("normalize_by_std");
        double eps = params.getDouble("epsilon");
        Singleton singleton = params.getChoice("singleton", Singleton.class);
        AgentRows rows = AgentRows.of(batch);
        Grouping gr = grouping(batch, params, rows);
        int m = rows.size();
        int[] group = gr.group();
        double[] reward = gr.reward();
        int groups = 0;
        for (int g : group) groups = Math.max(groups, g + 1);
        int[] count = new int[groups];
        double[] sum = new double[groups];
        for (int k = 0; k < m; k++) {
            int g = group[k];
            if (g < 0) continue;
            count[g]++;
            sum[g] += reward[k];
        }
        int maxLen = 0;
        for (int c : count) maxLen = Math.max(maxLen, c);
        double[] mean = new double[groups];
        double[] ss = new double[groups];
        for (int g = 0; g < groups; g++) mean[g] = count[g] == 0 ? 0 : sum[g] / count[g];
        for (int k = 0; k < m; k++) {
            int g = group[k];
            if (g >= 0) ss[g] += (reward[k] - mean[g]) * (reward[k] - mean[g]);
        }
        // the divisor once per group (the same double as computing it for every row)
        double[] div = new double[groups];
        if (byStd) {
            for (int g = 0; g < groups; g++) if (count[g] > 1) div[g] = Math.sqrt(ss[g] / (count[g] - 1)) + eps;
        }
        double[] a = new double[m];
        int singles = 0;
        int dropped = 0;
        double[] kept = new double[m]; // loss weight of each row: 1 when kept, 0 when dropped
        for (int k = 0; k < m; k++) {
            int g = group[k];
            if (g < 0) {
                dropped++;
                continue;
            }
            kept[k] = 1.0;
            double x = reward[k];
            if (count[g] == 1) {
                singles++;
                boolean raw = singleton == Singleton.RAW || (singleton == Singleton.VENDORED_VERL && maxLen == 1);
                a[k] = raw ? x : 0.0;
                continue;
            }
            double d = x - mean[g];
            if (byStd) d /= div[g];
            a[k] = d;
        }
        float[] adv = AgentOutput.advantages(batch, buffers);
        float[] weights = AgentOutput.lossWeights(batch, buffers);
        writeBoth(batch, rows, a, adv, kept, weights);
        return Credit.builder(adv)
                .spanAdvantages(rows.spanValues(batch, a))
                .lossWeights(weights)
                .diagnostic("rows", m)
                .diagnostic("groups", groups)
                .diagnostic("dropped_rows", dropped)
                .diagnostic("singleton_rows", singles)
                .build();
    }

    /**
     * {@code perRow[r]} into {@code adv} and {@code weight[r]} into {@code weights} on the tokens of row
     * r's policy span, 0 on every other token of both: one walk over the spans for the two outputs.
     */
    private static void writeBoth(
            Rollouts b, AgentRows rows, double[] perRow, float[] adv, double[] weight, float[] weights) {
        int[] tokOff = b.spanTokenOffsets();
        for (int i = 0; i < rows.rowStart.length - 1; i++) {
            int r = rows.rowStart[i];
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                float v = 0f;
                float w = 0f;
                if (b.isPolicySpan(s)) {
                    v = (float) perRow[r];
                    w = (float) weight[r++];
                }
                int t0 = tokOff[s];
                int t1 = tokOff[s + 1];
                Arrays.fill(adv, t0, t1, v);
                Arrays.fill(weights, t0, t1, w);
            }
        }
    }

    private static double[] rewards(Rollouts batch, AgentRows rows, Params params) {
        double alpha = params.getDouble("alpha");
        double[] r = rows.scores(batch);
        if (params.getChoice("team_reward", TeamReward.class) == TeamReward.OUTCOME) {
            if (alpha == 0) return r;
            float[] out = batch.outcome();
            for (int k = 0; k < r.length; k++) {
                int i = rows.trajectory[k];
                double team;
                if (out != null && !Float.isNaN(out[i])) {
                    team = out[i];
                } else if (!batch.outcomeComponents().isEmpty()) {
                    team = 0;
                    for (float[] c : batch.outcomeComponents().values()) if (!Float.isNaN(c[i])) team += c[i];
                } else {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "' with team_reward = outcome and alpha > 0"
                                    + " needs the trajectory's outcome, which is absent",
                            i,
                            "outcome");
                }
                r[k] += alpha * team;
            }
            return r;
        }
        float[] team = batch.spanSignal(TEAM_REWARD);
        if (team != null && alpha != 0) {
            for (int k = 0; k < r.length; k++) {
                float t = team[rows.span[k]];
                if (!Float.isNaN(t)) r[k] += alpha * t;
            }
        }
        return r;
    }

    private static String num(float v, Rollouts batch, int i, String name) {
        if (Float.isNaN(v)) {
            throw new RolloutException(
                    batch.describe(i) + ": estimator '" + ID + "' in design-tree mode needs the span signal " + name
                            + " on every action",
                    i,
                    "spans.signals." + name);
        }
        return Float.toString(v);
    }

    private static double mean(List<Integer> mem, double[] r) {
        double s = 0;
        for (int k : mem) s += r[k];
        return s / mem.size();
    }

    private static double range(List<Integer> mem, double[] r) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int k : mem) {
            lo = Math.min(lo, r[k]);
            hi = Math.max(hi, r[k]);
        }
        return hi - lo;
    }
}
