package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.kernel.LongIntMap;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * AT²PO's tree-search turn credit ({@code at2po}): every node of a prompt's search tree (one
 * generation turn, with the tool result before it) gets a value from the rewards of the leaves
 * below it, and an advantage from that value; each token gets its node's advantage.
 *
 * <h2>The tree in a batch</h2>
 * A group is one tree; its trajectories are the tree's sampled leaves (one trajectory per leaf).
 * Every span of a trajectory's response carries the span signal {@code tree_node} (the id of the
 * node whose segment the span belongs to: a whole number, unique within the group) and
 * {@code tree_parent} (the parent's id, −1 for a child of the root; the root is the prompt and is
 * implicit). A trajectory's tagged spans list the nodes of its root-to-leaf path in order (several
 * spans may share a node: tool result and generation); its last node is its leaf. Spans without
 * {@code tree_node} (the prompt) get no credit. {@code tree_entropy} (the node's mean negative
 * log-prob of its last generated segment) is needed by {@code child_softmax}. A node that lies on
 * no leaf's path (a non-leaf node that never got children) is declared by a zero-token span with
 * {@code tree_detached = 1} in any trajectory of the group. Nodes, their parents and entropies
 * must agree wherever they appear.
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Leaf value: the trajectory's score ({@link Rollouts#scores()}); with
 *       {@code leaf_value_norm} the leaves of a tree are z-scored:
 *       {@code (v − μ)/(σ + 1e-6)} with the population std.</li>
 *   <li>Other nodes (root included): {@code child_mean}: mean of the children's values;
 *       {@code child_softmax}: {@code Σ_k softmax(entropy)_k·value_k} over the children (no
 *       temperature: the less confident child weighs more); {@code leaf_mean}: mean of the leaf
 *       values in the subtree. A non-leaf node without children (or leaves) has value 0, and that 0
 *       counts in its parent's mean or softmax.</li>
 *   <li>Advantage: {@code node_value}: the value; {@code diff_parent}: value − parent's value;
 *       {@code diff_global}: value − root value; {@code diff_localglobal}: the sum of both
 *       differences (the root's advantage is its value in every mode).</li>
 *   <li>Every token of a span gets its node's advantage (policy tokens only in
 *       {@link Credit#advantages()}); {@link Credit#returns()} holds it on tool-result tokens too,
 *       as the reference's {@code returns}/{@code advantages} tensor does; span advantages are the
 *       node advantages.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * AT²PO, arXiv 2601.04767; code zzfoutofspace/ATPO @ 98e60f655eb2079e3f09dc9c50293f255d65fde0,
 * {@code ATPO/verl_atpo/verl/workers/rollout/vllm_rollout/vllm_rollout_with_tools_tree_offline.py}
 * ({@code ToolTreeNode.compute_value_from_children} and the PHASE 6 block of
 * {@code generate_sequences}). Fidelity {@code reference}: the golden vectors of
 * {@code delta-at2po-archer.jsonl} pass. {@code node_adv_mode = vanilla} (plain GRPO) is the
 * {@code grpo} estimator and is not repeated here.
 *
 * <h2>Parameters and presets</h2>
 * Defaults are the paper script {@code ATPO_qwen3_4B.sh}: {@code leaf_value_norm} = true,
 * {@code node_value_mode} = child_softmax, {@code node_adv_mode} = node_value. Preset
 * {@code yaml} is the YAML default ({@code leaf_value_norm} = false, child_mean; the YAML's
 * {@code vanilla} advantage is GRPO, so this preset keeps {@code node_value}).
 *
 * <h2>Edge cases</h2>
 * A tree whose leaves have equal rewards gives 0 everywhere under normalisation. A leaf node
 * without tokens of its own still has a value (its segment is empty). Two trajectories with the
 * same leaf, a node that is a leaf for one trajectory and inner for another, a broken chain of
 * parents, or a node whose parent or entropy differs between spans are errors naming the
 * trajectory and span.
 *
 * <p>Stateless and thread-safe.
 */
public final class At2po implements Estimator {
    public static final String ID = "at2po";
    public static final String TREE_NODE = "tree_node";
    public static final String TREE_PARENT = "tree_parent";
    public static final String TREE_ENTROPY = "tree_entropy";
    public static final String TREE_DETACHED = "tree_detached";

    /** Values of {@code node_value_mode}: the value of a non-leaf node. */
    enum NodeValue {
        CHILD_MEAN,
        CHILD_SOFTMAX,
        LEAF_MEAN
    }

    /** Values of {@code node_adv_mode}. */
    enum NodeAdvantage {
        NODE_VALUE,
        DIFF_PARENT,
        DIFF_GLOBAL,
        DIFF_LOCALGLOBAL
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("AT2PO tree-search turn credit (node values and advantages)")
            .source(
                    "AT2PO, arXiv 2601.04767; zzfoutofspace/ATPO@98e60f6 ATPO/verl_atpo/verl/workers/rollout/vllm_rollout/"
                            + "vllm_rollout_with_tools_tree_offline.py ToolTreeNode.compute_value_from_children + generate_sequences PHASE 6")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span(TREE_NODE, "the tree rollout (node id of each span)"),
                    SignalRequirement.span(
                            TREE_PARENT, "the tree rollout (parent id of each span's node, -1 under the root)"),
                    SignalRequirement.token(Rollouts.REWARD, "the leaf reward (outcome)"))
            .parameters(
                    ParamSpec.bool(
                            "leaf_value_norm",
                            true,
                            "z-score the leaf rewards within each tree (population std, +1e-6)"),
                    ParamSpec.choice(
                            "node_value_mode",
                            NodeValue.CHILD_SOFTMAX,
                            "value of a non-leaf node: mean of children, entropy-softmax of children, or mean of subtree leaves"),
                    ParamSpec.choice(
                            "node_adv_mode",
                            NodeAdvantage.NODE_VALUE,
                            "advantage: value, value - parent value, value - root value, or the sum of both differences"))
            .preset(
                    "paper",
                    Map.of("leaf_value_norm", true, "node_value_mode", "child_softmax", "node_adv_mode", "node_value"))
            .preset(
                    "yaml",
                    Map.of("leaf_value_norm", false, "node_value_mode", "child_mean", "node_adv_mode", "node_value"))
            .summary("node value from leaf rewards (child mean / entropy softmax / leaf mean), advantage = value or a "
                    + "difference to parent/root; each token gets its tree node's advantage")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * The trees of a batch with their values.
     *
     * @param nodeGroup group (tree) of each node; index −1-free, one entry per node
     * @param nodeId id of each node (−1 for a group's root)
     * @param value value of each node
     * @param advantage advantage of each node
     * @param spanNode node index of each span, −1 for untagged and detached spans
     * @param tokenValue the node value on every token of a tagged span (the reference's
     *     {@code token_level_rewards}), 0 elsewhere
     */
    public record Trees(
            int[] nodeGroup, int[] nodeId, double[] value, double[] advantage, int[] spanNode, float[] tokenValue) {
        /** Index of node {@code id} of group {@code g} ({@code id = −1}: the root), or −1. */
        public int find(int g, int id) {
            for (int k = 0; k < nodeId.length; k++) if (nodeGroup[k] == g && nodeId[k] == id) return k;
            return -1;
        }
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} The per-token outputs go into {@code buffers} when given: every token is
     * written once, trajectory by trajectory (returns = the node's advantage on every token of a
     * tagged span, advantages the same on tagged policy spans, 0 elsewhere).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Trees tr = build(batch, params, false);
        int tokens = batch.tokenCount();
        float[] adv = Outputs.advantages(buffers, tokens);
        float[] ret = Outputs.second(buffers, tokens);
        float[] spanAdv = new float[batch.spanCount()];
        int[] spanTok = batch.spanTokenOffsets();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int t = batch.tokenStart(i);
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                java.util.Arrays.fill(adv, t, spanTok[s], 0f);
                java.util.Arrays.fill(ret, t, spanTok[s], 0f);
                t = spanTok[s + 1];
                int k = tr.spanNode[s];
                float a = 0f;
                if (k >= 0) {
                    a = (float) tr.advantage[k];
                    spanAdv[s] = a;
                }
                java.util.Arrays.fill(ret, spanTok[s], t, a);
                java.util.Arrays.fill(adv, spanTok[s], t, batch.isPolicySpan(s) ? a : 0f);
            }
            java.util.Arrays.fill(adv, t, batch.tokenEnd(i), 0f);
            java.util.Arrays.fill(ret, t, batch.tokenEnd(i), 0f);
        }
        return Credit.builder(adv)
                .returns(ret)
                .spanAdvantages(spanAdv)
                .diagnostic("tree_nodes", tr.nodeId.length)
                .build();
    }

    /** Builds every group's tree from the span signals and computes node values and advantages. */
    public Trees trees(Rollouts batch, Params params) {
        return build(batch, params, true);
    }

    /**
     * {@link #trees}; the token values (the reference's {@code token_level_rewards}, which the
     * credit does not use) only when {@code tokenValues} (else {@code null}).
     */
    private static Trees build(Rollouts batch, Params params, boolean tokenValues) {
        boolean norm = params.getBoolean("leaf_value_norm");
        NodeValue valueMode = params.getChoice("node_value_mode", NodeValue.class);
        NodeAdvantage advMode = params.getChoice("node_adv_mode", NodeAdvantage.class);
        float[] node = batch.spanSignal(TREE_NODE);
        float[] parent = batch.spanSignal(TREE_PARENT);
        if (node == null || parent == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs the span signals " + TREE_NODE + " and " + TREE_PARENT
                            + " (the search tree), which the batch lacks",
                    -1,
                    "spans.signals." + (node == null ? TREE_NODE : TREE_PARENT));
        }
        float[] entropy = batch.spanSignal(TREE_ENTROPY);
        float[] detached = batch.spanSignal(TREE_DETACHED);
        boolean softmax = valueMode == NodeValue.CHILD_SOFTMAX;
        if (softmax && entropy == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' with node_value_mode=child_softmax needs the span signal " + TREE_ENTROPY
                            + ", which the batch lacks",
                    -1,
                    "spans.signals." + TREE_ENTROPY);
        }
        double[] score = batch.scores();

        // nodes: index per (group, id); the groups' roots first (node g is the root of group g)
        int groups = batch.groupCount();
        int cap = groups + 16;
        int[] nGroup = new int[cap];
        int[] nId = new int[cap];
        int[] nParentId = new int[cap];
        double[] nEntropy = new double[cap];
        LongIntMap index = new LongIntMap(groups + batch.spanCount() / 2);
        int m = 0;
        for (int g = 0; g < groups; g++) {
            index.put(key(g, -1), m);
            nGroup[m] = g;
            nId[m] = -1;
            nParentId[m] = Integer.MIN_VALUE;
            nEntropy[m] = Double.NaN;
            m++;
        }
        int n = batch.trajectoryCount();
        int[] spanNode = new int[batch.spanCount()];
        java.util.Arrays.fill(spanNode, -1);
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (Float.isNaN(node[s])) continue;
                int id = wholeId(batch, i, node[s], s, TREE_NODE, 0);
                if (Float.isNaN(parent[s])) {
                    String at = at(batch, i, s);
                    throw new RolloutException(
                            batch.describe(i) + ": " + at + " has " + TREE_NODE + " " + id + " but no " + TREE_PARENT,
                            i,
                            at + ".signals." + TREE_PARENT);
                }
                int pid = wholeId(batch, i, parent[s], s, TREE_PARENT, -1);
                double e = entropy == null ? Double.NaN : entropy[s];
                if (softmax && Double.isNaN(e)) {
                    String at = at(batch, i, s);
                    throw new RolloutException(
                            batch.describe(i) + ": " + at + " (node " + id + ") has no " + TREE_ENTROPY
                                    + ", which child_softmax needs",
                            i,
                            at + ".signals." + TREE_ENTROPY);
                }
                int k = index.get(key(g, id), -1);
                if (k < 0) {
                    k = m++;
                    if (k == nId.length) {
                        int c = 2 * k;
                        nGroup = java.util.Arrays.copyOf(nGroup, c);
                        nId = java.util.Arrays.copyOf(nId, c);
                        nParentId = java.util.Arrays.copyOf(nParentId, c);
                        nEntropy = java.util.Arrays.copyOf(nEntropy, c);
                    }
                    index.put(key(g, id), k);
                    nGroup[k] = g;
                    nId[k] = id;
                    nParentId[k] = pid;
                    nEntropy[k] = e;
                } else {
                    if (nParentId[k] != pid) {
                        String at = at(batch, i, s);
                        throw new RolloutException(
                                batch.describe(i) + ": " + at + " gives node " + id + " the parent " + pid
                                        + " but another span gives " + nParentId[k],
                                i,
                                at + ".signals." + TREE_PARENT);
                    }
                    double known = nEntropy[k];
                    if (!Double.isNaN(e) && !Double.isNaN(known) && known != e) {
                        String at = at(batch, i, s);
                        throw new RolloutException(
                                batch.describe(i) + ": " + at + " gives node " + id + " the entropy " + e
                                        + " but another span gives " + known,
                                i,
                                at + ".signals." + TREE_ENTROPY);
                    }
                    if (Double.isNaN(known)) nEntropy[k] = e;
                }
                boolean det = detached != null && !Float.isNaN(detached[s]) && detached[s] != 0;
                if (det) {
                    if (batch.spanTokenEnd(s) > batch.spanTokenStart(s)) {
                        String at = at(batch, i, s);
                        throw new RolloutException(
                                batch.describe(i) + ": " + at + " is marked " + TREE_DETACHED
                                        + " but has tokens; a detached node is declared by a zero-token span",
                                i,
                                at + ".tokens");
                    }
                } else {
                    spanNode[s] = k;
                }
            }
        }
        int[] par = new int[m];
        for (int k = 0; k < m; k++) {
            if (nId[k] == -1) {
                par[k] = -1;
                continue;
            }
            int p = index.get(key(nGroup[k], nParentId[k]), -1);
            if (p < 0) {
                throw new RolloutException(
                        "group '" + batch.groupKey(nGroup[k]) + "': node " + nId[k] + " has parent " + nParentId[k]
                                + ", which no span declares",
                        -1,
                        "spans.signals." + TREE_PARENT);
            }
            par[k] = p;
        }
        // paths and leaves
        int[] leafOwner = new int[m];
        java.util.Arrays.fill(leafOwner, -1);
        boolean[] inner = new boolean[m];
        double[] leafValue = new double[m];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            int root = g; // node g is the root of group g
            int cur = root;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                int k = spanNode[s];
                if (k < 0 || k == cur) continue;
                if (par[k] != cur) {
                    String at = "spans[" + (s - batch.spanStart(i)) + "]";
                    throw new RolloutException(
                            batch.describe(i) + ": " + at + " is node " + nId[k] + " with parent "
                                    + nParentId[k] + ", but the path so far ends at node " + nId[cur]
                                    + " (a trajectory's spans must follow its root-to-leaf path)",
                            i,
                            at + ".signals." + TREE_PARENT);
                }
                if (cur != root) inner[cur] = true;
                cur = k;
            }
            if (nId[cur] == -1) {
                throw new RolloutException(
                        batch.describe(i) + ": no span carries " + TREE_NODE
                                + ", so the trajectory has no leaf in its group's tree",
                        i,
                        "spans.signals." + TREE_NODE);
            }
            if (leafOwner[cur] >= 0) {
                throw new RolloutException(
                        batch.describe(i) + ": its leaf node " + nId[cur] + " is also the leaf of "
                                + batch.describe(leafOwner[cur]) + "; each leaf is one trajectory",
                        i,
                        "spans.signals." + TREE_NODE);
            }
            leafOwner[cur] = i;
            leafValue[cur] = score[i];
        }
        for (int k = 0; k < m; k++) {
            if (leafOwner[k] >= 0 && inner[k]) {
                throw new RolloutException(
                        batch.describe(leafOwner[k]) + ": its leaf node " + nId[k]
                                + " is an inner node of another trajectory's path",
                        leafOwner[k],
                        "spans.signals." + TREE_NODE);
            }
        }
        if (norm) {
            double[] sum = new double[groups];
            double[] cnt = new double[groups];
            for (int k = 0; k < m; k++) {
                if (leafOwner[k] < 0) continue;
                sum[nGroup[k]] += leafValue[k];
                cnt[nGroup[k]]++;
            }
            double[] sq = new double[groups];
            for (int k = 0; k < m; k++) {
                if (leafOwner[k] < 0) continue;
                int g = nGroup[k];
                double d = leafValue[k] - sum[g] / cnt[g];
                sq[g] += d * d;
            }
            for (int k = 0; k < m; k++) {
                if (leafOwner[k] < 0) continue;
                int g = nGroup[k];
                leafValue[k] = (leafValue[k] - sum[g] / cnt[g]) / (Math.sqrt(sq[g] / cnt[g]) + 1e-6);
            }
        }
        // children lists (in order of first appearance)
        int[] childCount = new int[m + 1];
        for (int k = 0; k < m; k++) if (par[k] >= 0) childCount[par[k] + 1]++;
        for (int k = 0; k < m; k++) childCount[k + 1] += childCount[k];
        int[] children = new int[Math.max(childCount[m], 0)];
        int[] fill = java.util.Arrays.copyOf(childCount, m);
        for (int k = 0; k < m; k++) if (par[k] >= 0) children[fill[par[k]]++] = k;

        double[] value = new double[m];
        // post-order without recursion: process nodes by decreasing depth
        int[] depth = new int[m];
        for (int k = 0; k < m; k++) {
            int d = 0;
            for (int p = par[k]; p >= 0; p = par[p]) {
                d++;
                if (d > m)
                    throw new RolloutException(
                            "group '" + batch.groupKey(nGroup[k]) + "': the parent links of node " + nId[k]
                                    + " form a cycle",
                            -1,
                            "spans.signals." + TREE_PARENT);
            }
            depth[k] = d;
        }
        boolean leafMean = valueMode == NodeValue.LEAF_MEAN;
        double[] subtreeSum = new double[m];
        int[] subtreeLeaves = new int[m];
        if (leafMean) {
            for (int q = 0; q < m; q++) {
                if (leafOwner[q] < 0) continue;
                for (int p = par[q]; p >= 0; p = par[p]) {
                    subtreeSum[p] += leafValue[q];
                    subtreeLeaves[p]++;
                }
            }
        }
        // nodes by decreasing depth, index order within a depth (a counting sort)
        int maxDepth = 0;
        for (int k = 0; k < m; k++) maxDepth = Math.max(maxDepth, depth[k]);
        int[] at = new int[maxDepth + 2];
        for (int k = 0; k < m; k++) at[maxDepth - depth[k] + 1]++;
        for (int d = 0; d <= maxDepth; d++) at[d + 1] += at[d];
        int[] order = new int[m];
        for (int k = 0; k < m; k++) order[at[maxDepth - depth[k]]++] = k;
        for (int k : order) {
            if (leafOwner[k] >= 0) {
                value[k] = leafValue[k];
            } else if (leafMean) {
                value[k] = subtreeLeaves[k] == 0 ? 0.0 : subtreeSum[k] / subtreeLeaves[k];
            } else {
                int from = childCount[k];
                int to = childCount[k + 1];
                if (from == to) {
                    value[k] = 0.0;
                } else if (softmax) {
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int c = from; c < to; c++) mx = Math.max(mx, nEntropy[children[c]]);
                    double z = 0;
                    double s = 0;
                    for (int c = from; c < to; c++) {
                        double w = Math.exp(nEntropy[children[c]] - mx);
                        z += w;
                        s += w * value[children[c]];
                    }
                    value[k] = s / z;
                } else {
                    double s = 0;
                    for (int c = from; c < to; c++) s += value[children[c]];
                    value[k] = s / (to - from);
                }
            }
        }
        double[] adv = new double[m];
        for (int k = 0; k < m; k++) {
            if (par[k] < 0) {
                adv[k] = value[k];
                continue;
            }
            double root = value[nGroup[k]]; // node g is the root of group g
            double pv = value[par[k]];
            switch (advMode) {
                case DIFF_PARENT:
                    adv[k] = value[k] - pv;
                    break;
                case DIFF_GLOBAL:
                    adv[k] = value[k] - root;
                    break;
                case DIFF_LOCALGLOBAL:
                    adv[k] = (value[k] - root) + (value[k] - pv);
                    break;
                default:
                    adv[k] = value[k];
                    break;
            }
        }
        float[] tokenValue = null;
        if (tokenValues) {
            tokenValue = new float[batch.tokenCount()];
            for (int s = 0; s < spanNode.length; s++) {
                if (spanNode[s] < 0) continue;
                java.util.Arrays.fill(
                        tokenValue, batch.spanTokenStart(s), batch.spanTokenEnd(s), (float) value[spanNode[s]]);
            }
        }
        return new Trees(
                java.util.Arrays.copyOf(nGroup, m), java.util.Arrays.copyOf(nId, m), value, adv, spanNode, tokenValue);
    }

    private static String at(Rollouts batch, int i, int s) {
        return "spans[" + (s - batch.spanStart(i)) + "]";
    }

    private static long key(int group, int id) {
        return ((long) group << 32) ^ (id & 0xffffffffL);
    }

    private static int wholeId(Rollouts batch, int i, float v, int s, String signal, int min) {
        if (v != Math.rint(v) || v < min || v > (1 << 24)) {
            String field = at(batch, i, s) + ".signals." + signal;
            throw new RolloutException(
                    batch.describe(i) + ": " + field + " must be a whole number >= " + min + ", got " + v, i, field);
        }
        return (int) v;
    }
}
