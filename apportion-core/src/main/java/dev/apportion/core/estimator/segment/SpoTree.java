package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SPO-tree: advantages of the <b>edges of a sampling tree</b>: each segment's credit is the
 * value of the node it reaches minus the value of the node it starts from, both values being
 * Monte-Carlo means over the tree's leaves.
 *
 * <p>Source: Y. Guo et al., "Segment Policy Optimization", arXiv 2505.23564; reference code
 * AIFrameResearch/SPO @ b9fc6a263dec54e28137fd488a9b9c0e0d026025,
 * {@code src/treetune/episode_generators/tree_episode_generator.py}
 * {@code TreeEpisodeUtils.extract_edges_from_tree}, called by {@code hybrid_episode_generator.py}
 * ({@code HybridEpisodeGenerator}: {@code adv_method="rloo"}, {@code only_adv_greater_than_zero=True});
 * node statistics as {@code inference_strategies/hybrid_inference_strategy.py} stores them.
 * Fidelity: reference (golden family {@code reasoning-token.jsonl}, semantics
 * {@code reasoning-token.md} §2).
 *
 * <h2>Formula</h2>
 * For every non-root node c with parent p, visited depth-first in pre-order:
 * <ul>
 *   <li>{@code rloo}: {@code A = R(c) − R(p)}; {@code grpo}: {@code A = (R(c) − R(p)) / (σ(p) + 1e-8)},
 *       σ = the population std of p's children's values;</li>
 *   <li>prover advantage {@code B = BoK(R(c)) − BoK(R(p))}, {@code BoK(v) = 1 − (1 − v)^K}
 *       (K = {@code prover_best_of}, 4; applied to any value, −1 gives −15);</li>
 *   <li>with {@code only_adv_greater_than_zero} the edge is kept only when {@code A + B != 0}
 *       (exact comparison: despite the flag's name negative edges are kept; edges between equal
 *       values are dropped, while a difference left by float rounding survives).</li>
 * </ul>
 * An {@code adv_method} other than {@code rloo} or {@code grpo} (case-sensitive) is refused when
 * the first edge is visited, as the reference raises there; a tree without edges is no error.
 *
 * <h2>Two ways in</h2>
 * <ol>
 *   <li><b>Tree API</b> ({@link Tree}, {@link #edges(Tree, String, boolean, int)}): node values and
 *       stds given in double precision, exactly as the reference reads them. This is the path that
 *       reproduces the reference bit for bit, including rounding survivors (a parent stored as
 *       0.10000000000000002 over children of 0.1).</li>
 *   <li><b>Rollouts</b> ({@link #assign}): the trajectories of a group are the root-to-terminal
 *       paths of one tree (the group's prompt is the root). Each policy span is one tree edge (the
 *       segment generated from its parent node) and its {@code state} key names the node it reaches;
 *       a node shared by several paths appears as an equal span in each of them (same state, same
 *       parent). The outcome of a trajectory is the value of its terminal node (a leaf, or a node
 *       truncated at the depth limit). Internal values are derived as the hybrid strategy stores
 *       them: a node's value is the mean of its children's values, its σ their population std.
 *       Memory: one hash entry per node and a few numbers per node, nothing per token. Outcomes are
 *       float32; computed in double from there (children with equal float values give their parent
 *       exactly that value, so such edges are dropped as the reference drops them).</li>
 * </ol>
 *
 * <h2>Outputs of {@link #assign}</h2>
 * Every policy token of a kept edge's span gets the edge's advantage ({@link Credit#advantages()},
 * also per span in {@link Credit#spanAdvantages()}) and the node value as its return
 * ({@link Credit#returns()}, SPO's token value); tokens of dropped edges get 0.
 * {@link Credit#lossWeights()}: 1 on the first copy (in batch order) of each kept edge, 0 on
 * repeated copies of a shared prefix and on dropped edges, so each edge is one training example
 * as in the reference. Diagnostics: {@code nodes}, {@code edges}, {@code kept_edges}. Downstream
 * steps of the reference (use_pav mixing, the trainer's probability mask and whitening) are not
 * part of this estimator.
 *
 * <h2>Edge cases</h2>
 * Refused with a {@link RolloutException} naming trajectory, span and value: a policy span without
 * a state key; a state reached from two different parents; a node that ends one path and has
 * children in another; two paths ending at the same node; a terminal node without an outcome.
 * A trajectory without policy spans is not part of its tree and gets 0.
 *
 * <h2>Cost</h2>
 * The tree of a group is keyed by the spans' state strings (one hash map per group; node lists
 * and values in flat arrays), work the declared floor of {@code docs/performance.md} does not
 * count; the three token outputs are written once per token from per-span values.
 *
 * <p>Stateless and thread-safe; groups are independent and processed in parallel.
 */
public final class SpoTree implements Estimator {
    /** Registry id. */
    public static final String ID = "spo_tree";

    /** The grpo divisor's epsilon, as in the reference. */
    static final double GRPO_EPS = 1e-8;

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SPO-tree: tree edge advantages (node value differences, BoK prover term, non-zero filter)")
            .source("Guo et al., arXiv 2505.23564; AIFrameResearch/SPO@b9fc6a2 src/treetune/episode_generators/"
                    + "tree_episode_generator.py TreeEpisodeUtils.extract_edges_from_tree")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span(
                            "state", "the tree: the node each segment reaches (same key on every path through it)"),
                    SignalRequirement.trajectory("outcome", "the verifier: the terminal node's reward"))
            .parameters(
                    ParamSpec.string(
                            "adv_method",
                            "rloo",
                            "rloo: child value minus parent value; grpo: divided by the parent's children std + 1e-8 (anything else is refused)"),
                    ParamSpec.bool(
                            "only_adv_greater_than_zero",
                            true,
                            "keep only edges whose advantage + prover advantage is non-zero (exact test; negative edges are kept)"),
                    ParamSpec.integer(
                            "prover_best_of",
                            4,
                            1,
                            null,
                            "K of the best-of-K prover value 1 - (1 - v)^K (fixed 4 in the reference)"))
            .preset("grpo", Map.of("adv_method", "grpo"))
            .summary(
                    "edge (p -> c) of the sampling tree: A = V(c) - V(p) (rloo) or / (std(p) + 1e-8) (grpo); kept when A + BoK diff != 0")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * A tree in flat arrays. Node 0 is the root; every other node's parent has a smaller index, and
     * edges are visited in index order (build the arrays in depth-first pre-order, children in list
     * order, to visit edges as the reference does).
     */
    public static final class Tree {
        private final int[] parent;
        private final double[] value;
        private final double[] std;

        /**
         * @param parent parent index per node ({@code parent[0]} is ignored)
         * @param value node value (SPO's node {@code reward})
         * @param std node {@code reward_std} (NaN where absent; read only for parents under {@code grpo})
         */
        public Tree(int[] parent, double[] value, double[] std) {
            if (parent.length == 0) throw new IllegalArgumentException("a tree has at least its root");
            if (value.length != parent.length || std.length != parent.length) {
                throw new IllegalArgumentException("tree arrays differ in length: parent " + parent.length + ", value "
                        + value.length + ", std " + std.length);
            }
            for (int n = 1; n < parent.length; n++) {
                if (parent[n] < 0 || parent[n] >= n) {
                    throw new IllegalArgumentException(
                            "node " + n + ": parent must be an earlier node, got " + parent[n]);
                }
            }
            this.parent = parent.clone();
            this.value = value.clone();
            this.std = std.clone();
        }

        public int size() {
            return parent.length;
        }

        public int parent(int n) {
            return parent[n];
        }

        public double value(int n) {
            return value[n];
        }

        public double std(int n) {
            return std[n];
        }
    }

    /**
     * One visited edge.
     *
     * @param node the child node (the edge's index is that of its child)
     * @param advantage the edge advantage
     * @param proverAdvantage {@code BoK(R(c)) − BoK(R(p))}
     * @param value the child's value (SPO's {@code value} and {@code reward} of the edge)
     * @param kept whether the filter keeps it (always true without the filter)
     */
    public record Edge(int node, double advantage, double proverAdvantage, double value, boolean kept) {}

    /**
     * Every edge of {@code tree} in visiting order, with the filter's verdict.
     *
     * @throws IllegalArgumentException for an unsupported {@code advMethod} when the tree has an edge
     *     (the reference's {@code ValueError}), or a {@code grpo} parent without a std
     */
    public static List<Edge> edges(Tree tree, String advMethod, boolean onlyNonZero, int bestOf) {
        List<Edge> out = new ArrayList<>(Math.max(0, tree.size() - 1));
        boolean grpo = "grpo".equals(advMethod);
        for (int c = 1; c < tree.size(); c++) {
            if (!grpo && !"rloo".equals(advMethod)) {
                throw new IllegalArgumentException("estimator '" + ID + "': adv_method " + advMethod
                        + " is not supported (use rloo or grpo; the reference raises ValueError)");
            }
            int p = tree.parent(c);
            double diff = tree.value(c) - tree.value(p);
            double adv;
            if (grpo) {
                double sd = tree.std(p);
                if (Double.isNaN(sd))
                    throw new IllegalArgumentException(
                            "node " + p + " has no reward_std, which adv_method grpo divides by");
                adv = diff / (sd + GRPO_EPS);
            } else {
                adv = diff;
            }
            double prover = bok(tree.value(c), bestOf) - bok(tree.value(p), bestOf);
            boolean kept = !onlyNonZero || adv + prover != 0.0;
            out.add(new Edge(c, adv, prover, tree.value(c), kept));
        }
        return out;
    }

    /** {@code 1 − (1 − v)^k}, for any v. */
    static double bok(double v, int k) {
        double q = 1.0 - v;
        double pow = 1.0;
        for (int i = 0; i < k; i++) pow *= q;
        return 1.0 - pow;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} Every token of the buffers' arrays is written once: the tree's values are set
     * per span first, then broadcast over each trajectory (0 on context tokens, on tokens outside
     * every span and on spans of dropped edges).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String method = params.getString("adv_method");
        boolean filter = params.getBoolean("only_adv_greater_than_zero");
        int bestOf = params.getInt("prover_best_of");
        int tokens = batch.tokenCount();
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] ret = buffers == null ? new float[tokens] : buffers.returns(tokens);
        float[] weight = buffers == null ? new float[tokens] : buffers.lossWeights(tokens);
        int spanCount = batch.spanCount();
        float[] spanAdv = new float[spanCount];
        float[] spanRet = new float[spanCount];
        float[] spanWeight = new float[spanCount];
        boolean anyPolicySpan = false;
        for (int s = 0; s < spanCount && !anyPolicySpan; s++) anyPolicySpan = batch.isPolicySpan(s);
        if (anyPolicySpan) batch.requireSpanState(ID);
        long[][] counts = new long[execution.chunksForGroups(batch)][3];
        execution.forGroups(batch, (chunk, from, to) -> {
            for (int g = from; g < to; g++) {
                GroupTree gt = build(batch, g);
                if (gt == null) continue;
                List<Edge> edges = edges(gt.tree, method, filter, bestOf);
                counts[chunk][0] += gt.tree.size();
                counts[chunk][1] += edges.size();
                for (Edge e : edges) {
                    if (!e.kept()) continue;
                    counts[chunk][2]++;
                    float a = (float) e.advantage();
                    float v = (float) e.value();
                    int node = e.node();
                    for (int q = gt.nodeStart[node]; q < gt.nodeStart[node + 1]; q++) {
                        int sp = gt.nodeSpans[q];
                        spanAdv[sp] = a;
                        spanRet[sp] = v;
                    }
                    spanWeight[gt.nodeSpans[gt.nodeStart[node]]] = 1f;
                }
            }
        });
        int[] spanTok = batch.spanTokenOffsets();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            for (int i = from; i < to; i++) {
                int t = batch.tokenStart(i);
                for (int sp = batch.spanStart(i); sp < batch.spanEnd(i); sp++) {
                    fill(adv, ret, weight, t, spanTok[sp], 0f, 0f, 0f);
                    t = spanTok[sp + 1];
                    fill(adv, ret, weight, spanTok[sp], t, spanAdv[sp], spanRet[sp], spanWeight[sp]);
                }
                fill(adv, ret, weight, t, batch.tokenEnd(i), 0f, 0f, 0f);
            }
        });
        long nodes = 0;
        long edgeCount = 0;
        long kept = 0;
        for (long[] c : counts) {
            nodes += c[0];
            edgeCount += c[1];
            kept += c[2];
        }
        return Credit.builder(adv)
                .returns(ret)
                .lossWeights(weight)
                .spanAdvantages(spanAdv)
                .diagnostic("nodes", nodes)
                .diagnostic("edges", edgeCount)
                .diagnostic("kept_edges", kept)
                .build();
    }

    private static void fill(float[] adv, float[] ret, float[] weight, int from, int to, float a, float r, float w) {
        if (from >= to) return;
        Arrays.fill(adv, from, to, a);
        Arrays.fill(ret, from, to, r);
        Arrays.fill(weight, from, to, w);
    }

    /**
     * The tree of one group and, per node, the policy spans that are copies of its edge (batch
     * order): those of node k are {@code nodeSpans[nodeStart[k] .. nodeStart[k+1])}.
     */
    private record GroupTree(Tree tree, int[] nodeStart, int[] nodeSpans) {}

    /** The tree of group {@code g}, with derived node values, or null when no member has a policy span. */
    private static GroupTree build(Rollouts batch, int g) {
        String[] state = batch.spanState();
        float[] outcome = batch.outcome();
        int[] members = batch.groupMembers();
        int mFrom = batch.groupMemberStart()[g];
        int mTo = batch.groupMemberStart()[g + 1];
        int policySpans = 0;
        for (int m = mFrom; m < mTo; m++) {
            int i = members[m];
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) policySpans++;
        }
        // nodes: 0 = the root, then in order of first appearance; at most one per policy span
        Map<String, Integer> index = new HashMap<>(Math.max(16, 2 * policySpans));
        int cap = policySpans + 1;
        int[] parent = new int[cap];
        String[] keys = new String[cap];
        int[] endedBy = new int[cap];
        int[] spanNode = new int[policySpans]; // node of each policy span, in visiting order
        int[] spanOf = new int[policySpans];
        parent[0] = -1;
        endedBy[0] = -1;
        int n = 1;
        int visited = 0;
        for (int m = mFrom; m < mTo; m++) {
            int i = members[m];
            int cur = 0;
            int lastSpan = -1;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                String key = state[s];
                Integer node = index.get(key);
                if (node == null) {
                    node = n++;
                    index.put(key, node);
                    parent[node] = cur;
                    keys[node] = key;
                    endedBy[node] = -1;
                } else if (parent[node] != cur) {
                    int p = parent[node];
                    throw new RolloutException(
                            batch.describe(i) + ": spans[" + (s - batch.spanStart(i)) + "].state '" + key
                                    + "' follows " + describeNode(keys, cur) + " here but " + describeNode(keys, p)
                                    + " in an earlier trajectory; spo_tree needs the trajectories of a group to form a tree (state = node key)",
                            i,
                            "spans[" + (s - batch.spanStart(i)) + "].state");
                }
                spanNode[visited] = node;
                spanOf[visited++] = s;
                cur = node;
                lastSpan = s;
            }
            if (lastSpan < 0) continue;
            if (outcome == null || Float.isNaN(outcome[i])) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID
                                + "' needs the outcome (the reward of the path's terminal node), which is absent",
                        i,
                        "outcome");
            }
            if (endedBy[cur] >= 0) {
                throw new RolloutException(
                        batch.describe(i) + ": ends at node '" + keys[cur] + "' like " + batch.describe(endedBy[cur])
                                + "; two paths of a tree cannot end at the same node",
                        i,
                        "spans[" + (lastSpan - batch.spanStart(i)) + "].state");
            }
            endedBy[cur] = i;
        }
        if (n == 1) return null;
        parent = Arrays.copyOf(parent, n);
        // the spans of each node, in visiting (batch) order: a counting sort by node
        int[] nodeStart = new int[n + 1];
        for (int q = 0; q < visited; q++) nodeStart[spanNode[q] + 1]++;
        for (int k = 0; k < n; k++) nodeStart[k + 1] += nodeStart[k];
        int[] fillAt = Arrays.copyOf(nodeStart, n);
        int[] nodeSpans = new int[visited];
        for (int q = 0; q < visited; q++) nodeSpans[fillAt[spanNode[q]]++] = spanOf[q];
        int[] children = new int[n];
        for (int k = 1; k < n; k++) children[parent[k]]++;
        double[] value = new double[n];
        double[] sum = new double[n];
        for (int k = n - 1; k >= 0; k--) {
            int end = endedBy[k];
            if (children[k] > 0) {
                if (end >= 0) {
                    throw new RolloutException(
                            batch.describe(end) + ": ends at node '" + keys[k]
                                    + "', which has children in other trajectories of its group; a terminal node cannot have children",
                            end,
                            "spans.state");
                }
                value[k] = sum[k] / children[k];
            } else {
                value[k] = outcome[end];
            }
            if (k > 0) sum[parent[k]] += value[k];
        }
        double[] sq = new double[n];
        for (int k = 1; k < n; k++) {
            double d = value[k] - value[parent[k]];
            sq[parent[k]] += d * d;
        }
        double[] std = new double[n];
        for (int k = 0; k < n; k++) std[k] = children[k] > 0 ? Math.sqrt(sq[k] / children[k]) : Double.NaN;
        return new GroupTree(new Tree(parent, value, std), nodeStart, nodeSpans);
    }

    private static String describeNode(String[] keys, int node) {
        return node == 0 ? "the root (the prompt)" : "node '" + keys[node] + "'";
    }

    /** For tests: the derived node values of group {@code g}, in order of first appearance (root first). */
    static double[] nodeValues(Rollouts batch, int g) {
        GroupTree t = build(batch, g);
        if (t == null) return new double[0];
        double[] out = new double[t.tree.size()];
        for (int k = 0; k < out.length; k++) out[k] = t.tree.value(k);
        return Arrays.copyOf(out, out.length);
    }
}
