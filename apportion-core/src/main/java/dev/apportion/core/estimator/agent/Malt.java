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
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.Rollouts;
import java.util.HashMap;
import java.util.Map;

/**
 * MALT's credit for sequential multi-agent pipelines (generate → verify → refine): the group's
 * trajectories form a search tree, leaf outcomes are propagated to every node by value
 * iteration (a node's value is the mean of its children's values), every node is labelled
 * correct or incorrect by thresholding its value, and each turn is credited as MALT selects
 * its training data.
 *
 * <h2>The tree on apportion's model</h2>
 * The trajectories of a group are root-to-leaf paths: turn {@code t} of a trajectory is the
 * output of the agent acting at depth {@code t} (generator, verifier, refiner, …). Two
 * trajectories share the node of turn {@code t} when the <b>next</b> turn sees the same input:
 * the node is keyed by (group, depth t, state key of turn t+1), because the next agent's
 * observation contains the output of turn t (a verifier reads the generator's answer). The
 * last turn of a trajectory is its own leaf. State keys are required on every policy span.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>Leaf value {@code V = R}, the trajectory's outcome (𝟙[final answer correct] in the
 *       paper).</li>
 *   <li>Inner node value {@code V(n) = mean_{c ∈ children(n)} V(c)} over its distinct
 *       children, computed from the deepest level up.</li>
 *   <li>Label {@code correct(n) = V(n) > threshold} (0.5).</li>
 *   <li>{@code credit = label} (default): MALT trains each role by SFT on correct outputs and by
 *       DPO on (correct, incorrect) sibling pairs under one parent. As a per-turn weight:
 *       +1 for a correct node; −1 for an incorrect node that has a correct sibling (it is the
 *       rejected side of a DPO pair); 0 for an incorrect node without a correct sibling (it
 *       enters no training pair).</li>
 *   <li>{@code credit = value}: {@code V(n) − V(parent)}, the value-iteration advantage; the
 *       parent of a depth-0 node is the group's root, whose value is the mean over the group's
 *       distinct depth-0 nodes.</li>
 * </ul>
 * The credit of a node is written on every token of every turn that is that node.
 *
 * <h2>Source</h2>
 * S. R. Motwani, C. Smith, R. J. Das, R. Rafailov, I. Laptev, P. Torr, F. Pizzati, R. Clark,
 * C. Schroeder de Witt, "MALT: Improving Reasoning with Multi-Agent LLM Training",
 * arXiv 2412.01928. Fidelity {@code reconstructed}: the value iteration (mean over children),
 * the 0.5 threshold and the SFT/DPO data selection follow the paper as summarized in the
 * reference notes (not re-read against the PDF); expressing the data selection as per-turn
 * weights and the keying of nodes by the next turn's state are ours. The paper's default
 * branching is 3 × 3 × 3 (27 leaves per question).
 *
 * <h2>Edge cases</h2>
 * A group of one trajectory is a chain: with {@code label}, every node is +1 or 0 (no
 * siblings); with {@code value}, every node gets 0. Trajectories of different depths mix:
 * a leaf may sit at any depth. A missing state key on a policy span throws a
 * {@link dev.apportion.core.rollout.RolloutException}; a trajectory without an outcome too.
 *
 * <p>Stateless and thread-safe.
 */
public final class Malt implements BufferedEstimator {
    /** Values of the {@code credit} parameter (lower-case names on the wire). */
    enum CreditRule {
        LABEL,
        VALUE
    }

    static final String ID = "malt";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("MALT: value iteration over the generate-verify-refine tree, per-role SFT/DPO labels as credit")
            .source("Motwani et al., MALT: Improving Reasoning with Multi-Agent LLM Training, arXiv 2412.01928")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span(
                            "state", "the input each agent saw (identifies the previous agent's output)"),
                    SignalRequirement.trajectory("outcome", "the graded final answer"))
            .parameters(
                    ParamSpec.real("threshold", 0.5, null, null, "a node is correct when its value is above this"),
                    ParamSpec.choice(
                            "credit",
                            CreditRule.LABEL,
                            "label: +1 correct, -1 incorrect with a correct sibling, else 0; value: V(node) - V(parent)"))
            .preset("paper", Map.of("threshold", 0.5, "credit", "label"))
            .summary(
                    "V(leaf)=outcome, V(node)=mean V(children); credit = +1 correct / -1 DPO-rejected / 0, or V - V(parent)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double threshold = params.getDouble("threshold");
        boolean label = params.getChoice("credit", CreditRule.class) == CreditRule.LABEL;
        String[] state = batch.requireSpanState(ID);
        TurnTable turns = TurnTable.of(batch);
        double[] outcome = TurnTable.teamOutcome(batch, ID);
        int m = turns.size();
        int n = batch.trajectoryCount();
        int groups = batch.groupCount();

        // nodes: (group, depth, next turn's state) for inner turns, the trajectory itself for its last turn
        Map<String, Integer> stateIds = new HashMap<>();
        CellIndex groupDepth = new CellIndex(Math.max(16, groups * 4));
        CellIndex nodeIndex = new CellIndex(Math.max(16, m));
        int[] node = new int[m];
        int[] nodeDepth = new int[m];
        int[] nodeGroup = new int[m];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int t = turns.indexInTrajectory(j);
                long key;
                if (turns.isLast(j)) {
                    key = CellIndex.pack(Integer.MIN_VALUE | i, 0); // leaves: one per trajectory (sign bit marks them)
                } else {
                    int sid = stateIds.computeIfAbsent(state[turns.span(j + 1)], k -> stateIds.size());
                    key = CellIndex.pack(groupDepth.index(CellIndex.pack(g, t)), sid);
                }
                int before = nodeIndex.size();
                int id = nodeIndex.index(key);
                if (id == before) {
                    nodeDepth[id] = t;
                    nodeGroup[id] = g;
                }
                node[j] = id;
            }
        }
        int nodes = nodeIndex.size();
        int maxDepth = 0;
        for (int k = 0; k < nodes; k++) maxDepth = Math.max(maxDepth, nodeDepth[k]);

        // distinct edges parent -> child, and leaf values
        boolean[] leaf = new boolean[nodes];
        double[] value = new double[nodes];
        int[] parent = new int[m];
        CellIndex edgeIndex = new CellIndex(Math.max(16, m));
        int[] edgeParent = new int[m];
        int[] edgeChild = new int[m];
        for (int i = 0; i < n; i++) {
            for (int j = turns.start(i); j < turns.end(i); j++) {
                parent[j] = j == turns.start(i) ? -1 : node[j - 1];
                if (parent[j] >= 0) {
                    int before = edgeIndex.size();
                    int eid = edgeIndex.index(CellIndex.pack(parent[j], node[j]));
                    if (eid == before) {
                        edgeParent[eid] = parent[j];
                        edgeChild[eid] = node[j];
                    }
                }
                if (turns.isLast(j)) {
                    leaf[node[j]] = true;
                    value[node[j]] = outcome[i];
                }
            }
        }
        int edges = edgeIndex.size();
        // value iteration, deepest level first: children of depth d are final before their parents (depth d-1)
        int[][] edgesByChildDepth = bucket(edges, maxDepth + 1, k -> nodeDepth[edgeChild[k]]);
        double[] childSum = new double[nodes];
        int[] childCount = new int[nodes];
        for (int d = maxDepth; d >= 1; d--) {
            for (int k : edgesByChildDepth[d]) {
                int c = edgeChild[k];
                if (!leaf[c]) value[c] = childSum[c] / childCount[c];
                childSum[edgeParent[k]] += value[c];
                childCount[edgeParent[k]]++;
            }
        }
        for (int k = 0; k < nodes; k++) if (nodeDepth[k] == 0 && !leaf[k]) value[k] = childSum[k] / childCount[k];

        boolean[] correct = new boolean[nodes];
        for (int k = 0; k < nodes; k++) correct[k] = value[k] > threshold;
        // per parent (and per group root): counts of correct and incorrect children, sum of child values
        int[] correctChildren = new int[nodes];
        int[] wrongChildren = new int[nodes];
        for (int k = 0; k < edges; k++) {
            if (correct[edgeChild[k]]) correctChildren[edgeParent[k]]++;
            else wrongChildren[edgeParent[k]]++;
        }
        int[] rootCorrect = new int[groups];
        int[] rootWrong = new int[groups];
        double[] rootSum = new double[groups];
        for (int k = 0; k < nodes; k++) {
            if (nodeDepth[k] != 0) continue;
            if (correct[k]) rootCorrect[nodeGroup[k]]++;
            else rootWrong[nodeGroup[k]]++;
            rootSum[nodeGroup[k]] += value[k];
        }
        long pairs = 0;
        for (int k = 0; k < nodes; k++) pairs += (long) correctChildren[k] * wrongChildren[k];
        for (int g = 0; g < groups; g++) pairs += (long) rootCorrect[g] * rootWrong[g];

        double[] a = new double[m];
        for (int j = 0; j < m; j++) {
            int k = node[j];
            int p = parent[j];
            if (label) {
                int correctSiblings = p < 0 ? rootCorrect[nodeGroup[k]] : correctChildren[p];
                a[j] = correct[k] ? 1.0 : (correctSiblings > 0 ? -1.0 : 0.0);
            } else {
                int g = nodeGroup[k];
                double pv = p >= 0 ? value[p] : rootSum[g] / (rootCorrect[g] + rootWrong[g]);
                a[j] = value[k] - pv;
            }
        }
        return Credit.builder(AgentOutput.turns(batch, turns, a, execution, buffers))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("nodes", nodes)
                .diagnostic("dpo_pairs", pairs)
                .build();
    }

    /** Indices {@code [0, count)} bucketed by {@code key(k)} in {@code [0, buckets)}, ascending within a bucket. */
    private static int[][] bucket(int count, int buckets, java.util.function.IntUnaryOperator key) {
        int[] size = new int[buckets];
        for (int k = 0; k < count; k++) size[key.applyAsInt(k)]++;
        int[][] out = new int[buckets][];
        for (int b = 0; b < buckets; b++) out[b] = new int[size[b]];
        int[] fill = new int[buckets];
        for (int k = 0; k < count; k++) {
            int b = key.applyAsInt(k);
            out[b][fill[b]++] = k;
        }
        return out;
    }
}
