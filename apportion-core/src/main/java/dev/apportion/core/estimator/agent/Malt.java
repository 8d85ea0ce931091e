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
 * <p>Cost: per turn, one lookup in a small open-addressing table of the group's nodes and one of
 * its edges (the tables are sized for the largest group and reused group after group, so they stay
 * in cache), the value iteration per group, then one fill per turn of the advantages.
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
        int groups = batch.groupCount();

        // The tree is group-local: each group is numbered, iterated and labelled on its own, in small
        // tables reused from group to group. Within a group, nodes and edges are numbered in the order
        // the turns first reach them (members in batch order, turns in order), so every sum over a
        // parent's children (and over a group's depth-0 nodes) adds the same values in the same order.
        int[] members = batch.groupMembers();
        int[] memberStart = batch.groupMemberStart();
        int most = 0;
        for (int g = 0; g < groups; g++) {
            int c = 0;
            for (int q = memberStart[g]; q < memberStart[g + 1]; q++)
                c += turns.end(members[q]) - turns.start(members[q]);
            most = Math.max(most, c);
        }
        GroupTree tree = new GroupTree(most);
        int nodes = 0;
        long pairs = 0;
        double[] a = new double[m];
        for (int g = 0; g < groups; g++) {
            tree.clear();
            // the state keys' hashes and lengths first, in a loop of independent loads: each key is a
            // String of its own somewhere in the heap (its bytes another object), and reading them inside
            // the table probe and the equality test serialised cache misses with the probing
            int u = 0;
            for (int q = memberStart[g]; q < memberStart[g + 1]; q++) {
                int i = members[q];
                for (int j = turns.start(i); j < turns.end(i); j++, u++) {
                    String next = turns.isLast(j) ? null : state[turns.span(j + 1)];
                    tree.turnHash[u] = next == null ? 0 : next.hashCode();
                    tree.turnLength[u] = next == null ? -1 : next.length();
                }
            }
            u = 0;
            // nodes: (depth, next turn's state) for inner turns, the trajectory itself for its last turn
            for (int q = memberStart[g]; q < memberStart[g + 1]; q++) {
                int i = members[q];
                for (int j = turns.start(i); j < turns.end(i); j++) {
                    int t = turns.indexInTrajectory(j);
                    boolean last = turns.isLast(j);
                    int id = last
                            ? tree.newNode(t)
                            : tree.innerNode(t, state[turns.span(j + 1)], tree.turnHash[u], tree.turnLength[u]);
                    u++;
                    tree.addTurn(j, id, j == turns.start(i));
                    if (last) {
                        tree.leaf[id] = true;
                        tree.value[id] = outcome[i];
                    }
                }
            }
            tree.iterate(threshold);
            nodes += tree.nodes;
            pairs += tree.pairs();
            for (u = 0; u < tree.turns; u++) {
                int k = tree.turnNode[u];
                int p = tree.turnParent[u];
                double credit;
                if (label) {
                    int correctSiblings = p < 0 ? tree.rootCorrect : tree.correctChildren[p];
                    credit = tree.correct[k] ? 1.0 : (correctSiblings > 0 ? -1.0 : 0.0);
                } else {
                    double pv = p >= 0 ? tree.value[p] : tree.rootSum / (tree.rootCorrect + tree.rootWrong);
                    credit = tree.value[k] - pv;
                }
                a[tree.turnIndex[u]] = credit;
            }
        }
        return Credit.builder(AgentOutput.turns(batch, turns, a, execution, buffers))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("nodes", nodes)
                .diagnostic("dpo_pairs", pairs)
                .build();
    }

    /**
     * One group's tree, in arrays sized for the group with the most turns and reused for every group:
     * nodes numbered in order of first appearance (inner nodes through an open-addressing table on
     * (depth, state), leaves one per trajectory), distinct parent → child edges in order of first
     * appearance (a table on the pair), the value iteration and the labels.
     */
    private static final class GroupTree {
        final int[] nodeDepth;
        final boolean[] leaf;
        final double[] value;
        final double[] childSum;
        final int[] childCount;
        final boolean[] correct;
        final int[] correctChildren;
        final int[] wrongChildren;
        final int[] edgeParent;
        final int[] edgeChild;
        final int[] edgeOrder;
        final int[] depthStart;
        final int[] depthNext;
        /** Per turn of the group, in order: its index in the batch's turn table, node and parent node (−1 at depth 0). */
        final int[] turnIndex;

        final int[] turnNode;
        final int[] turnParent;
        /** Per turn of the group: the hash and length of the next turn's state (0 and −1 for a last turn or a null state). */
        final int[] turnHash;

        final int[] turnLength;
        /** (depth, state) → inner node: depth and state per slot, node −1 when empty. */
        final int[] slotNode;

        final int[] slotDepth;
        final String[] slotState;
        final int[] slotLength;
        /** (parent, child) → edge: the packed pair per slot, edge −1 when empty. */
        final long[] edgeKey;

        final int[] edgeSlot;
        final int slotMask;
        int nodes;
        int edges;
        int turns;
        int maxDepth;
        int rootCorrect;
        int rootWrong;
        double rootSum;

        GroupTree(int most) {
            int size = Math.max(1, most);
            nodeDepth = new int[size];
            leaf = new boolean[size];
            value = new double[size];
            childSum = new double[size];
            childCount = new int[size];
            correct = new boolean[size];
            correctChildren = new int[size];
            wrongChildren = new int[size];
            edgeParent = new int[size];
            edgeChild = new int[size];
            edgeOrder = new int[size];
            depthStart = new int[size + 2];
            depthNext = new int[size + 2];
            turnIndex = new int[size];
            turnNode = new int[size];
            turnParent = new int[size];
            turnHash = new int[size];
            turnLength = new int[size];
            int slots = Integer.highestOneBit(Math.max(8, size * 2 - 1)) << 1;
            slotNode = new int[slots];
            slotDepth = new int[slots];
            slotState = new String[slots];
            slotLength = new int[slots];
            edgeKey = new long[slots];
            edgeSlot = new int[slots];
            slotMask = slots - 1;
        }

        void clear() {
            java.util.Arrays.fill(slotNode, -1);
            java.util.Arrays.fill(edgeSlot, -1);
            java.util.Arrays.fill(slotState, null);
            nodes = 0;
            edges = 0;
            turns = 0;
            maxDepth = 0;
        }

        int newNode(int depth) {
            int id = nodes++;
            nodeDepth[id] = depth;
            leaf[id] = false;
            value[id] = 0;
            childSum[id] = 0;
            childCount[id] = 0;
            correctChildren[id] = 0;
            wrongChildren[id] = 0;
            maxDepth = Math.max(maxDepth, depth);
            return id;
        }

        /** The inner node of depth {@code depth} whose next turn saw {@code state} (equal strings, or both null). */
        int innerNode(int depth, String state, int hash, int length) {
            int h = hash * 0x9E3779B1 + depth;
            int slot = (h ^ (h >>> 16)) & slotMask;
            while (slotNode[slot] >= 0) {
                if (slotDepth[slot] == depth
                        && slotLength[slot] == length
                        && java.util.Objects.equals(slotState[slot], state)) return slotNode[slot];
                slot = (slot + 1) & slotMask;
            }
            int id = newNode(depth);
            slotNode[slot] = id;
            slotDepth[slot] = depth;
            slotState[slot] = state;
            slotLength[slot] = length;
            return id;
        }

        /** Records turn {@code j} as node {@code id}; its parent is the previous turn's node unless it is the first. */
        void addTurn(int j, int id, boolean first) {
            int u = turns++;
            int parent = first ? -1 : turnNode[u - 1];
            turnIndex[u] = j;
            turnNode[u] = id;
            turnParent[u] = parent;
            if (parent < 0) return;
            long key = ((long) parent << 32) | id;
            long h = key * 0x9E3779B97F4A7C15L;
            int slot = (int) (h ^ (h >>> 32)) & slotMask;
            while (edgeSlot[slot] >= 0) {
                if (edgeKey[slot] == key) return;
                slot = (slot + 1) & slotMask;
            }
            int e = edges++;
            edgeKey[slot] = key;
            edgeSlot[slot] = e;
            edgeParent[e] = parent;
            edgeChild[e] = id;
        }

        /** Value iteration from the deepest level up, labels, and the per-parent and root counts. */
        void iterate(double threshold) {
            // edges by their child's depth, ascending edge number within a depth (a counting sort)
            java.util.Arrays.fill(depthStart, 0, maxDepth + 2, 0);
            for (int k = 0; k < edges; k++) depthStart[nodeDepth[edgeChild[k]] + 1]++;
            for (int d = 0; d <= maxDepth; d++) depthStart[d + 1] += depthStart[d];
            int[] pos = edgeOrder;
            System.arraycopy(depthStart, 0, depthNext, 0, maxDepth + 1);
            for (int k = 0; k < edges; k++) pos[depthNext[nodeDepth[edgeChild[k]]]++] = k;
            for (int d = maxDepth; d >= 1; d--) {
                for (int x = depthStart[d]; x < depthStart[d + 1]; x++) {
                    int k = pos[x];
                    int c = edgeChild[k];
                    if (!leaf[c]) value[c] = childSum[c] / childCount[c];
                    childSum[edgeParent[k]] += value[c];
                    childCount[edgeParent[k]]++;
                }
            }
            for (int k = 0; k < nodes; k++) if (nodeDepth[k] == 0 && !leaf[k]) value[k] = childSum[k] / childCount[k];
            for (int k = 0; k < nodes; k++) correct[k] = value[k] > threshold;
            for (int k = 0; k < edges; k++) {
                if (correct[edgeChild[k]]) correctChildren[edgeParent[k]]++;
                else wrongChildren[edgeParent[k]]++;
            }
            rootCorrect = 0;
            rootWrong = 0;
            rootSum = 0;
            for (int k = 0; k < nodes; k++) {
                if (nodeDepth[k] != 0) continue;
                if (correct[k]) rootCorrect++;
                else rootWrong++;
                rootSum += value[k];
            }
        }

        /** DPO pairs of the group: correct × incorrect children of each parent and of the root. */
        long pairs() {
            long p = 0;
            for (int k = 0; k < nodes; k++) p += (long) correctChildren[k] * wrongChildren[k];
            return p + (long) rootCorrect * rootWrong;
        }
    }
}
