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
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Splits a shared outcome over the agents of each trajectory by their Shapley values (or by
 * difference rewards), then credits every turn of an agent with that agent's share, compared
 * with the same agent's share in the other trajectories of the group. Two registered variants
 * share this class.
 *
 * <h2>{@code agent_shapley}: coalition values given</h2>
 * The agents {@code N} of trajectory {@code i} are the distinct agents of its turns. The value
 * {@code v(S)} of a coalition {@code S ⊆ N} (what the team would have scored with only the
 * agents in {@code S} contributing, e.g. the others' messages masked, as SHARP does) is the
 * trajectory signal named {@code coalition_prefix} + the agent names joined by {@code +} in any
 * order: {@code coalition:agent0}, {@code coalition:agent0+agent1} (agent names must therefore
 * not contain {@code +}). {@code v(∅)} is the signal
 * {@code coalition:} when given, else 0; {@code v(N)} is its signal when given, else the
 * trajectory's outcome.
 * <ul>
 *   <li>{@code method = shapley}:
 *       {@code φ_k = Σ_{S ⊆ N∖{k}} |S|!(n−|S|−1)!/n! · [v(S ∪ {k}) − v(S)]}, so
 *       {@code Σ_k φ_k = v(N) − v(∅)} (efficiency). Needs all {@code 2^n} values; n ≤ 16.</li>
 *   <li>{@code method = difference} (difference rewards / wonderful-life utility):
 *       {@code φ_k = v(N) − v(N∖{k})}: only the leave-one-out coalitions are needed.</li>
 * </ul>
 * A needed coalition value that is absent (no signal, or NaN) throws a
 * {@link RolloutException}; with {@code missing_coalition = zero} it counts as {@code v(∅)}
 * instead, which makes the split equal when no coalition value is given at all.
 *
 * <h2>{@code agent_shapley_ig}: the marginal contributions of the order that was played</h2>
 * Without coalition values, each turn's span signal {@code info_gain} (the change of the
 * success probability over the turn) is the marginal contribution of the acting agent given
 * the agents who acted before it; {@code φ_k = Σ_{turns t of k} info_gain_t}. This is the
 * Shapley average restricted to the single ordering that was played (one permutation sample);
 * it keeps efficiency in the sense that {@code Σ_k φ_k} is the total change of success
 * probability over the trajectory. An approximation of ours, labelled {@code reconstructed}.
 *
 * <h2>Credit</h2>
 * {@code x_{i,k} = team_weight·R_i + φ_{i,k}} ({@code R_i} the outcome; {@code team_weight} = 0
 * by default), then within each cell (group, agent) over the trajectories where agent k acted:
 * {@code baseline = group_z}: {@code (x − μ)/(σ + ε)}, σ unbiased; {@code group_mean}:
 * {@code x − μ}; {@code none}: {@code x}. A one-trajectory cell gets 0 under {@code group_z}
 * and {@code group_mean}. The value is written on every token of every turn of agent k in
 * trajectory i (SHARP normalizes agent-specific advantages across the trajectory group).
 *
 * <h2>Source</h2>
 * L. S. Shapley, "A value for n-person games" (1953); for multi-agent RL credit: J. Wang et al.,
 * "Shapley Q-value", arXiv 1907.05707, and J. Li et al., "Shapley Counterfactual Credits for
 * Multi-Agent Reinforcement Learning", arXiv 2106.00285; for LLM multi-agent systems: Y. Li et
 * al., "SHARP: Shapley Credit-based Optimization for Multi-Agent System", arXiv 2602.08335
 * (Shapley marginal credit per agent from counterfactual masking, normalized per agent across
 * the trajectory group). Difference rewards: D. Wolpert, K. Tumer, "Optimal payoff functions
 * for members of collectives" (2001). Fidelity {@code reconstructed}: the Shapley formula is
 * exact, but how SHARP weighs its global, marginal and tool terms is not available; the
 * normalization and {@code team_weight} default are ours.
 *
 * <h2>Edge cases</h2>
 * A policy span without an agent throws a {@link RolloutException} (multi-agent credit needs
 * the acting agent). One agent: {@code φ = v(N) − v(∅)}, the whole outcome. An agent that did
 * not act in a trajectory gets nothing there and is left out of its cell's statistics.
 *
 * <p>Stateless and thread-safe.
 */
public final class AgentShapley implements BufferedEstimator {
    /** Values of the {@code missing_coalition} parameter (lower-case names on the wire). */
    enum MissingCoalition {
        ERROR,
        ZERO
    }

    /** Values of the {@code method} parameter (lower-case names on the wire). */
    enum Method {
        SHAPLEY,
        DIFFERENCE
    }

    /** Values of the {@code baseline} parameter (lower-case names on the wire). */
    enum Baseline {
        GROUP_Z,
        GROUP_MEAN,
        NONE
    }

    static final String ID = "agent_shapley";
    static final String IG_ID = "agent_shapley_ig";
    static final int MAX_AGENTS = 16;

    private final boolean infoGain;
    private final Descriptor descriptor;

    private AgentShapley(boolean infoGain) {
        this.infoGain = infoGain;
        this.descriptor = infoGain ? igDescriptor() : coalitionDescriptor();
    }

    /** {@code agent_shapley}: coalition values from trajectory signals. */
    public static AgentShapley fromCoalitions() {
        return new AgentShapley(false);
    }

    /** {@code agent_shapley_ig}: realized-order marginal contributions from {@code info_gain}. */
    public static AgentShapley fromInfoGain() {
        return new AgentShapley(true);
    }

    private static List<ParamSpec> commonParams() {
        return List.of(
                ParamSpec.real(
                        "team_weight", 0.0, 0.0, null, "weight of the shared outcome added to each agent's share"),
                ParamSpec.choice(
                        "baseline", Baseline.GROUP_Z, "per (group, agent) cell: z-score, mean-centre, or raw share"),
                ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the cell's std"));
    }

    private static Descriptor coalitionDescriptor() {
        List<ParamSpec> ps = new ArrayList<>(List.of(
                ParamSpec.choice(
                        "method",
                        Method.SHAPLEY,
                        "Shapley value over all coalitions, or difference rewards v(N) - v(N without k)"),
                ParamSpec.string(
                        "coalition_prefix", "coalition:", "prefix of the trajectory signals holding coalition values"),
                ParamSpec.choice(
                        "missing_coalition",
                        MissingCoalition.ERROR,
                        "an absent coalition value: error, or count it as v(empty)")));
        ps.addAll(commonParams());
        return Descriptor.builder(ID)
                .title("Shapley split of the shared outcome over agents (coalition values given)")
                .source("Shapley (1953); Li et al. arXiv 2106.00285; SHARP, Li et al. arXiv 2602.08335")
                .granularity(Granularity.MULTI_AGENT)
                .methodology(Methodology.GAME_THEORETIC)
                .fidelity(Fidelity.RECONSTRUCTED)
                .groupLocal(true)
                .requires(
                        SignalRequirement.span("agent", "the acting agent of every turn"),
                        SignalRequirement.trajectory(
                                "outcome", "the shared outcome v(N), unless coalition:<all agents> is given"))
                .parameters(ps.toArray(new ParamSpec[0]))
                .preset("difference", Map.of("method", "difference"))
                .summary(
                        "phi_k = sum_S |S|!(n-|S|-1)!/n! [v(S+k) - v(S)] from signals coalition:<agents>; z-scored per (group, agent)")
                .build();
    }

    private static Descriptor igDescriptor() {
        return Descriptor.builder(IG_ID)
                .title("Agent credit as the sum of its turns' information gain (Shapley along the played order)")
                .source(
                        "Shapley (1953) permutation form, one ordering; SHARP arXiv 2602.08335 normalization; approximation ours")
                .granularity(Granularity.MULTI_AGENT)
                .methodology(Methodology.GAME_THEORETIC)
                .fidelity(Fidelity.RECONSTRUCTED)
                .groupLocal(true)
                .requires(
                        SignalRequirement.span("agent", "the acting agent of every turn"),
                        SignalRequirement.span("info_gain", "change of the success probability over the turn"))
                .parameters(commonParams().toArray(new ParamSpec[0]))
                .summary("phi_k = sum of info_gain over agent k's turns; z-scored per (group, agent)")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String id = descriptor.id();
        TurnTable turns = TurnTable.of(batch);
        int n = batch.trajectoryCount();
        List<String> names = new ArrayList<>();
        int[] agent = turns.agentIds(batch, names);
        // rank of every agent id in name order, so each trajectory lists its agents sorted by name
        Integer[] order = new Integer[names.size()];
        for (int k = 0; k < order.length; k++) order[k] = k;
        Arrays.sort(order, (u, v) -> names.get(u).compareTo(names.get(v)));
        int[] rank = new int[order.length];
        for (int k = 0; k < order.length; k++) rank[order[k]] = k;
        // entries: one per (trajectory, agent that acted in it), CSR by trajectory, agents in name order
        int[] entryStart = new int[n + 1];
        int[] entryAgent = new int[turns.size()];
        int[] indexOfTurn = new int[turns.size()];
        int[] seen = new int[names.size()];
        Arrays.fill(seen, -1);
        int e = 0;
        for (int i = 0; i < n; i++) {
            entryStart[i] = e;
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int a = agent[j];
                if (a < 0) {
                    int local = turns.span(j) - batch.spanStart(i);
                    throw new RolloutException(
                            batch.describe(i) + ": policy span " + local + " has no agent (spans[" + local
                                    + "].agent), which estimator '" + id + "' needs to split credit over agents",
                            i,
                            "spans[" + local + "].agent");
                }
                if (seen[a] == i) continue;
                seen[a] = i;
                int pos = e++;
                while (pos > entryStart[i] && rank[entryAgent[pos - 1]] > rank[a]) {
                    entryAgent[pos] = entryAgent[pos - 1];
                    pos--;
                }
                entryAgent[pos] = a;
            }
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int k = entryStart[i];
                while (entryAgent[k] != agent[j]) k++;
                indexOfTurn[j] = k;
            }
        }
        entryStart[n] = e;
        int entries = e;
        double[] phi = infoGain
                ? infoGainShares(batch, turns, entries, indexOfTurn)
                : coalitionShares(batch, params, names, entryStart, entryAgent);

        double teamWeight = params.getDouble("team_weight");
        double[] team = teamWeight == 0 ? new double[n] : TurnTable.teamOutcome(batch, id);
        double[] x = new double[entries];
        int[] cell = new int[entries];
        CellIndex cells = new CellIndex(Math.max(16, batch.groupCount() * 2));
        for (int i = 0; i < n; i++) {
            for (int k = entryStart[i]; k < entryStart[i + 1]; k++) {
                x[k] = teamWeight * team[i] + phi[k];
                cell[k] = cells.index(CellIndex.pack(batch.trajectoryGroup(i), entryAgent[k]));
            }
        }
        Baseline baseline = params.getChoice("baseline", Baseline.class);
        double[] credit = baseline == Baseline.NONE
                ? x
                : GroupZScores.zscore(
                        x, cell, cells.size(), baseline == Baseline.GROUP_Z, true, params.getDouble("epsilon"));
        double[] perTurn = new double[turns.size()];
        for (int j = 0; j < perTurn.length; j++) perTurn[j] = credit[indexOfTurn[j]];
        return Credit.builder(AgentOutput.turns(batch, turns, perTurn, execution, buffers))
                .spanAdvantages(turns.spanValues(batch, perTurn))
                .diagnostic("agent_entries", entries)
                .diagnostic("cells", cells.size())
                .build();
    }

    private static double[] infoGainShares(Rollouts batch, TurnTable turns, int entries, int[] indexOfTurn) {
        double[] ig =
                turns.requireSpanSignal(batch, "info_gain", IG_ID, "change of the success probability over the turn");
        double[] phi = new double[entries];
        for (int j = 0; j < ig.length; j++) phi[indexOfTurn[j]] += ig[j];
        return phi;
    }

    private double[] coalitionShares(
            Rollouts batch, Params params, List<String> agentNames, int[] entryStart, int[] entryAgent) {
        String prefix = params.getString("coalition_prefix");
        boolean shapley = params.getChoice("method", Method.class) == Method.SHAPLEY;
        boolean missingZero = params.getChoice("missing_coalition", MissingCoalition.class) == MissingCoalition.ZERO;
        // canonical coalition key (sorted names joined by '+') -> values
        Map<String, float[]> coalitions = new HashMap<>();
        for (Map.Entry<String, float[]> s : batch.trajectorySignals().entrySet()) {
            if (!s.getKey().startsWith(prefix)) continue;
            String rest = s.getKey().substring(prefix.length());
            TreeSet<String> set = new TreeSet<>();
            for (String part : rest.split("\\+")) if (!part.trim().isEmpty()) set.add(part.trim());
            String key = String.join("+", set);
            if (coalitions.put(key, s.getValue()) != null) {
                throw new RolloutException(
                        "estimator '" + ID + "': two trajectory signals name the same coalition {" + key + "} (signals."
                                + s.getKey() + ")",
                        -1,
                        "signals." + s.getKey());
            }
        }
        float[] outcome = batch.outcome();
        double[] phi = new double[entryStart[entryStart.length - 1]];
        // the coalition columns of the last agent set seen (consecutive trajectories usually have the same
        // agents): each coalition's key is built and looked up once per agent set instead of per trajectory
        Columns cols = null;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int n = entryStart[i + 1] - entryStart[i];
            if (n == 0) continue;
            if (n > MAX_AGENTS) {
                throw new RolloutException(
                        batch.describe(i) + ": " + n + " agents; estimator '" + ID + "' supports at most " + MAX_AGENTS,
                        i,
                        "spans.agent");
            }
            int base = entryStart[i];
            if (cols == null || !cols.isFor(entryAgent, base, n)) {
                String[] names = new String[n];
                for (int k = 0; k < n; k++) names[k] = agentNames.get(entryAgent[base + k]);
                cols = new Columns(coalitions, names, Arrays.copyOfRange(entryAgent, base, base + n), shapley);
            }
            String[] names = cols.names;
            int full = (1 << n) - 1;
            double empty = cols.value(0, i);
            if (Double.isNaN(empty)) empty = 0.0;
            double[] v = new double[full + 1];
            v[0] = empty;
            double grand = cols.value(full, i);
            if (Double.isNaN(grand)) {
                if (outcome == null || Float.isNaN(outcome[i])) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "' needs v(N): the signal " + prefix
                                    + key(names, full) + " or the outcome, and the trajectory has neither",
                            i,
                            "outcome");
                }
                grand = outcome[i];
            }
            v[full] = grand;
            if (shapley) {
                for (int s = 1; s < full; s++) v[s] = need(cols, s, i, batch, prefix, missingZero, empty);
                double[] w = cols.weights;
                for (int k = 0; k < n; k++) {
                    int bit = 1 << k;
                    double sum = 0;
                    for (int s = 0; s <= full; s++) {
                        if ((s & bit) != 0) continue;
                        sum += w[Integer.bitCount(s)] * (v[s | bit] - v[s]);
                    }
                    phi[base + k] = sum;
                }
            } else {
                for (int k = 0; k < n; k++) {
                    int without = full & ~(1 << k);
                    double vw = without == 0 ? empty : need(cols, without, i, batch, prefix, missingZero, empty);
                    phi[base + k] = grand - vw;
                }
            }
        }
        return phi;
    }

    /**
     * The coalition signals of one agent set (agents in name order): coalition {@code s} (a bit mask
     * over the agents) is the signal named by {@link #key(String[], int) key(names, s)}, looked up on
     * first use; the Shapley weights of the set's size.
     */
    private static final class Columns {
        final String[] names;
        final int[] agents;
        final double[] weights;
        private final Map<String, float[]> coalitions;
        private final float[][] column;
        private final boolean[] looked;

        Columns(Map<String, float[]> coalitions, String[] names, int[] agents, boolean shapley) {
            this.coalitions = coalitions;
            this.names = names;
            this.agents = agents;
            this.weights = shapley ? shapleyWeights(names.length) : null;
            this.column = new float[1 << names.length][];
            this.looked = new boolean[1 << names.length];
        }

        boolean isFor(int[] entryAgent, int from, int n) {
            return n == agents.length && Arrays.equals(entryAgent, from, from + n, agents, 0, n);
        }

        /** The value of coalition {@code mask} for trajectory {@code i}, NaN when the batch has no such signal. */
        double value(int mask, int i) {
            if (!looked[mask]) {
                column[mask] = coalitions.get(key(names, mask));
                looked[mask] = true;
            }
            float[] c = column[mask];
            return c == null ? Double.NaN : c[i];
        }
    }

    private static double need(
            Columns cols, int mask, int i, Rollouts batch, String prefix, boolean missingZero, double empty) {
        double x = cols.value(mask, i);
        if (!Double.isNaN(x)) return x;
        if (missingZero) return empty;
        String key = key(cols.names, mask);
        throw new RolloutException(
                batch.describe(i) + ": estimator '" + ID + "' needs the value of coalition {" + key + "} (signals."
                        + prefix + key + "), which is absent; give it, or set missing_coalition=zero",
                i,
                "signals." + prefix + key);
    }

    private static String key(String[] names, int mask) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < names.length; k++) {
            if ((mask & (1 << k)) == 0) continue;
            if (sb.length() > 0) sb.append('+');
            sb.append(names[k]);
        }
        return sb.toString();
    }

    /** {@code w[s] = s!(n−s−1)!/n!} for a coalition of size s not containing the agent. */
    static double[] shapleyWeights(int n) {
        double[] w = new double[n];
        for (int s = 0; s < n; s++) {
            // s!(n-s-1)!/n! = 1 / (n * C(n-1, s))
            double c = 1;
            for (int q = 1; q <= s; q++) c = c * (n - 1 - s + q) / q;
            w[s] = 1.0 / (n * c);
        }
        return w;
    }
}
