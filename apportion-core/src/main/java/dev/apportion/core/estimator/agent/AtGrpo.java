package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AT-GRPO, agent- and turn-wise grouped relative policy optimization ({@code at_grpo}): every
 * turn of every agent is credited against the other trajectories' turns of the <em>same
 * agent</em> at the <em>same turn</em> of the same prompt group, with a reward that mixes the
 * shared team outcome and the agent's own local reward. The per-agent group baseline of a
 * multi-agent system with one shared outcome.
 *
 * <h2>Formula</h2>
 * For turn {@code t} of agent {@code k} in trajectory {@code i} of group {@code g}:
 * <ul>
 *   <li>reward {@code r = α·R_i + ℓ}: {@code R_i} the shared outcome (the scalar outcome, else
 *       the sum of the outcome components), {@code ℓ} the span reward of the turn (the agent's
 *       local reward, 0 when absent);</li>
 *   <li>statistics cell by {@code grouping}: {@code agent_turn} (the paper) = (g, k, t) where
 *       {@code t} counts agent k's own turns in the trajectory (0, 1, …; the round index when
 *       agents take turns round robin); {@code agent} = (g, k), pooling all of agent k's turns
 *       of the group; {@code group} = g, every turn of the group (a shared baseline, MAGRPO
 *       style);</li>
 *   <li>{@code A = (r − μ_cell)/(σ_cell + ε)}, σ unbiased ({@code torch.std}, as verl's GRPO
 *       that the reference trainer calls), or {@code r − μ_cell} without std; on every token of
 *       the turn; context tokens 0.</li>
 * </ul>
 * A policy span without an agent belongs to the anonymous agent {@code ""}: with no agents at
 * all, {@code agent_turn} is a per-turn-index GRPO.
 *
 * <h2>Source</h2>
 * Y. Zhao, L. Hu, Y. Wang, M. Hou, H. Zhang, K. Ding, J. Zhao, "Stronger-MAS: Multi-Agent
 * Reinforcement Learning for Collaborative LLMs" (AT-GRPO), arXiv 2510.11062 (ICLR 2026); code
 * pettingllms-ai/PettingLLMs, which feeds rows keyed by (environment, agent, turn) to verl's
 * GRPO. Fidelity {@code paper}: the reward mix {@code α·r_team + r_loc} with α = 1 and the
 * (environment, agent, turn) grouping follow the paper; the paper's tree-structured sampling
 * (K candidates per agent and turn, the best one executed) is a rollout procedure outside
 * credit assignment: without it, a cell compares the group's G parallel trajectories at that
 * agent's turn, whose prompts may differ. No golden vectors were run.
 *
 * <h2>Parameters and presets</h2>
 * {@code alpha} = 1.0 (paper), {@code grouping} = agent_turn, {@code normalize_by_std} = true,
 * {@code epsilon} = 1e-6, {@code singleton} = zero. Preset {@code paper} = the defaults;
 * preset {@code verl} sets {@code singleton = raw}: verl's GRPO gives a one-member group mean 0
 * and std 1, so its reward passes through unnormalized (a quirk; the default gives such a turn
 * 0 because it has no baseline to compare with).
 *
 * <h2>Edge cases</h2>
 * One agent: {@code agent_turn} reduces to per-turn-index GRPO. An agent absent from some
 * trajectories of the group is compared only with the trajectories where it acted. A
 * one-trajectory group: every cell is a singleton (0, or the raw reward with {@code raw}). A
 * trajectory without an outcome throws a {@link dev.apportion.core.rollout.RolloutException}
 * when {@code alpha > 0}. Span advantages carry the turn values.
 *
 * <p>Stateless and thread-safe.
 */
public final class AtGrpo implements Estimator {
    static final String ID = "at_grpo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("AT-GRPO: agent- and turn-wise grouped GRPO on a team + local reward")
            .source("Zhao et al., Stronger-MAS / AT-GRPO, arXiv 2510.11062 (code pettingllms-ai/PettingLLMs)")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(SignalRequirement.trajectory("outcome", "the shared team outcome (verifier or reward model)"))
            .parameters(
                    ParamSpec.real("alpha", 1.0, 0.0, null, "weight of the shared team outcome in each turn's reward"),
                    ParamSpec.choice("grouping", "agent_turn", List.of("agent_turn", "agent", "group"),
                            "statistics cell: (group, agent, agent's turn), (group, agent) or group"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the cell's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                    ParamSpec.choice("singleton", "zero", List.of("zero", "raw"),
                            "a one-member cell: 0, or its raw reward (verl: mean 0, std 1)"))
            .preset("paper", Map.of("alpha", 1.0, "grouping", "agent_turn", "singleton", "zero"))
            .preset("verl", Map.of("alpha", 1.0, "grouping", "agent_turn", "singleton", "raw"))
            .summary("r = alpha*outcome + span_reward; A = z-score of r within (group, agent, agent's turn index)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        double alpha = params.getDouble("alpha");
        String grouping = params.getString("grouping");
        boolean byStd = params.getBoolean("normalize_by_std");
        double eps = params.getDouble("epsilon");
        boolean raw = params.getString("singleton").equals("raw");

        TurnTable turns = TurnTable.of(batch);
        double[] team = alpha == 0 ? new double[batch.trajectoryCount()] : TurnTable.teamOutcome(batch, ID);
        double[] local = turns.spanRewards(batch);
        List<String> names = new ArrayList<>();
        int[] agent = turns.agentIds(batch, names);
        int m = turns.size();
        double[] r = new double[m];
        int[] cell = new int[m];
        // cell = (group, agent) then (that, agent's turn index); agent -1 (none) is the anonymous agent
        CellIndex groupAgent = new CellIndex(Math.max(16, batch.groupCount() * 2));
        CellIndex cells = new CellIndex(Math.max(16, m / 4));
        int[] count = new int[names.size() + 1];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int g = batch.trajectoryGroup(i);
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int a = agent[j] + 1;
                int t = count[a]++;
                int ga;
                switch (grouping) {
                    case "agent_turn": ga = groupAgent.index(CellIndex.pack(g, a)); cell[j] = cells.index(CellIndex.pack(ga, t)); break;
                    case "agent": cell[j] = cells.index(CellIndex.pack(g, a)); break;
                    default: cell[j] = cells.index(CellIndex.pack(g, 0)); break;
                }
                r[j] = alpha * team[i] + local[j];
            }
            for (int j = turns.start(i); j < turns.end(i); j++) count[agent[j] + 1] = 0;
        }
        GroupStats st = GroupStats.of(r, cell, cells.size());
        double[] a = new double[m];
        int singletons = 0;
        for (int j = 0; j < m; j++) {
            int c = cell[j];
            if (st.count(c) <= 1) {
                singletons++;
                a[j] = raw ? r[j] : 0.0;
                continue;
            }
            double d = r[j] - st.mean(c);
            if (byStd) d /= Math.sqrt(st.unbiasedVariance(c)) + eps;
            a[j] = d;
        }
        return Credit.builder(turns.broadcast(batch, a, execution))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", m)
                .diagnostic("cells", cells.size())
                .diagnostic("singleton_turns", singletons)
                .build();
    }

}
