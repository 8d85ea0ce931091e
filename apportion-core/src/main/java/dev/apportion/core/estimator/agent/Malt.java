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
import dev.apportion.core.estimator.step.TurnTable;
import dev.apportion.core.rollout.Rollouts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
public final class Malt implements Estimator {
    static final String ID = "malt";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("MALT: value iteration over the generate-verify-refine tree, per-role SFT/DPO labels as credit")
            .source("Motwani et al., MALT: Improving Reasoning with Multi-Agent LLM Training, arXiv 2412.01928")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.span("state", "the input each agent saw (identifies the previous agent's output)"),
                    SignalRequirement.trajectory("outcome", "the graded final answer"))
            .parameters(
                    ParamSpec.real("threshold", 0.5, null, null, "a node is correct when its value is above this"),
                    ParamSpec.choice("credit", "label", List.of("label", "value"),
                            "label: +1 correct, -1 incorrect with a correct sibling, else 0; value: V(node) - V(parent)"))
            .preset("paper", Map.of("threshold", 0.5, "credit", "label"))
            .summary("V(leaf)=outcome, V(node)=mean V(children); credit = +1 correct / -1 DPO-rejected / 0, or V - V(parent)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        double threshold = params.getDouble("threshold");
        boolean label = params.getString("credit").equals("label");
        String[] state = batch.requireSpanState(ID);
        TurnTable turns = TurnTable.of(batch);
        double[] outcome = TurnTable.teamOutcome(batch, ID);
        int m = turns.size();

        // nodes
        int[] node = new int[m];
        Map<NodeKey, Integer> ids = new HashMap<>();
        List<Integer> depth = new ArrayList<>();
        List<Integer> groupOfNode = new ArrayList<>();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int g = batch.trajectoryGroup(i);
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int t = turns.indexInTrajectory(j);
                NodeKey key = turns.isLast(j) ? new NodeKey(g, t, null, i) : new NodeKey(g, t, state[turns.span(j + 1)], -1);
                Integer id = ids.get(key);
                if (id == null) {
                    id = ids.size();
                    ids.put(key, id);
                    depth.add(t);
                    groupOfNode.add(g);
                }
                node[j] = id;
            }
        }
        int nodes = ids.size();
        int maxDepth = 0;
        for (int d : depth) maxDepth = Math.max(maxDepth, d);

        // edges (parent -> distinct children) and leaf values
        List<Set<Integer>> children = new ArrayList<>(nodes);
        for (int k = 0; k < nodes; k++) children.add(new HashSet<>());
        double[] value = new double[nodes];
        boolean[] leaf = new boolean[nodes];
        int[] parent = new int[m];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int j = turns.start(i); j < turns.end(i); j++) {
                parent[j] = j == turns.start(i) ? -1 : node[j - 1];
                if (parent[j] >= 0) children.get(parent[j]).add(node[j]);
                if (turns.isLast(j)) {
                    leaf[node[j]] = true;
                    value[node[j]] = outcome[i];
                }
            }
        }
        // value iteration from the deepest level up
        List<List<Integer>> byDepth = new ArrayList<>();
        for (int d = 0; d <= maxDepth; d++) byDepth.add(new ArrayList<>());
        for (int k = 0; k < nodes; k++) byDepth.get(depth.get(k)).add(k);
        for (int d = maxDepth; d >= 0; d--) {
            for (int k : byDepth.get(d)) {
                if (leaf[k]) continue;
                double sum = 0;
                for (int c : children.get(k)) sum += value[c];
                value[k] = sum / children.get(k).size();
            }
        }
        // roots per group: distinct depth-0 nodes
        int groups = batch.groupCount();
        List<Set<Integer>> roots = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) roots.add(new HashSet<>());
        for (int k : byDepth.isEmpty() ? List.<Integer>of() : byDepth.get(0)) roots.get(groupOfNode.get(k)).add(k);

        boolean[] correct = new boolean[nodes];
        for (int k = 0; k < nodes; k++) correct[k] = value[k] > threshold;
        long pairs = 0;
        for (int k = 0; k < nodes; k++) pairs += pairs(children.get(k), correct);
        for (Set<Integer> r : roots) pairs += pairs(r, correct);

        double[] a = new double[m];
        for (int j = 0; j < m; j++) {
            int k = node[j];
            Set<Integer> siblings = parent[j] < 0 ? roots.get(groupOfNode.get(k)) : children.get(parent[j]);
            if (label) {
                if (correct[k]) {
                    a[j] = 1.0;
                } else {
                    boolean correctSibling = false;
                    for (int s : siblings) if (s != k && correct[s]) correctSibling = true;
                    a[j] = correctSibling ? -1.0 : 0.0;
                }
            } else {
                double pv;
                if (parent[j] >= 0) {
                    pv = value[parent[j]];
                } else {
                    double sum = 0;
                    for (int s : siblings) sum += value[s];
                    pv = sum / siblings.size();
                }
                a[j] = value[k] - pv;
            }
        }
        return Credit.builder(turns.broadcast(batch, a, execution))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("nodes", nodes)
                .diagnostic("dpo_pairs", pairs)
                .build();
    }

    private static long pairs(Set<Integer> siblings, boolean[] correct) {
        long c = 0;
        long w = 0;
        for (int s : siblings) {
            if (correct[s]) c++;
            else w++;
        }
        return c * w;
    }

    private record NodeKey(int group, int depth, String nextState, int leafTrajectory) {
    }
}
