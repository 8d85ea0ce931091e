package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.segment.SpoChain;
import dev.apportion.core.estimator.segment.SpoTree;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layouts of {@code reasoning-token.jsonl} (semantics: {@code reasoning-token.md}): SPO-chain
 * and SPO-tree cases.
 *
 * <h2>{@code spo_chain}</h2>
 * Ragged rows ({@code response_logprobs}, {@code prefix_values}, {@code prompt_value},
 * {@code score}): row i → trajectory {@code row<i>} (its own group) of one policy span of T_i
 * tokens; outcome = {@code score[i]}; token signal {@code old_logprob} = the log-probs; token
 * signal {@code value} = the value of the state <em>before</em> each token, i.e.
 * {@code prompt_value[i]} for token 0 and {@code prefix_values[i][t−1]} for token t (the value
 * after token T−1 is never read). Compared: {@code advantages} (the estimator's credit, standard),
 * {@code cutpoints} exactly and {@code token_values} (null ↔ no value) from
 * {@link SpoChain#segments} on the same batch.
 *
 * <h2>{@code spo_tree}</h2>
 * {@code tree} (nested nodes): nodes are numbered depth-first in pre-order (root 0). Batch: one
 * group, one trajectory per terminal node (a node without children: a leaf or a truncated
 * segment), whose policy spans are the edges on its path, one token each, with {@code state} =
 * the node's number and the terminal node's {@code reward} as outcome (the estimator derives the
 * internal values from the terminal ones, as the hybrid strategy stores them). Param
 * {@code use_hard_estimation} is dropped (the reference accepts and ignores it). Compared:
 * <ol>
 *   <li>{@code edges} from {@link SpoTree#edges} on the tree read in double precision with its
 *       stored {@code reward}/{@code reward_std} (the reference's input exactly): same count and
 *       order, {@code query_text} (parent's {@code full_text}), {@code response_text}, {@code leaf}
 *       exactly, {@code advantage}, {@code prover_advantage}, {@code value}, {@code reward} within
 *       tolerance;</li>
 *   <li>the estimator's token credit on the batch: every span's token carries its edge's expected
 *       advantage when the edge is emitted, else 0 (within tolerance).</li>
 * </ol>
 * {@code expected.error} (unsupported {@code adv_method}) passes when the estimator refuses.
 */
public final class ReasoningTokenAdapter extends FamilyAdapter {
    /** Estimator ids whose cases this adapter knows. */
    public static final Set<String> ESTIMATORS = Set.of(SpoChain.ID, SpoTree.ID);

    public ReasoningTokenAdapter() {
        super(
                "reasoning-token",
                layout(
                        SpoChain.ID,
                        List.of("response_logprobs", "prefix_values", "prompt_value", "score"),
                        ReasoningTokenAdapter::chain,
                        ReasoningTokenAdapter::compareChain),
                layout(SpoTree.ID, List.of("tree"), ReasoningTokenAdapter::tree, ReasoningTokenAdapter::compareTree));
    }

    private static AdaptedCase chain(GoldenCase c) {
        float[][] lp = GoldenInputs.matrix(c, "response_logprobs");
        float[][] pv = GoldenInputs.matrix(c, "prefix_values");
        float[] prompt = GoldenInputs.vector(c, "prompt_value");
        float[] score = GoldenInputs.vector(c, "score");
        GoldenInputs.sameRows("prefix_values", pv.length, "response_logprobs", lp.length);
        GoldenInputs.sameRows("prompt_value", prompt.length, "response_logprobs", lp.length);
        GoldenInputs.sameRows("score", score.length, "response_logprobs", lp.length);
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[lp.length][];
        int token = 0;
        for (int i = 0; i < lp.length; i++) {
            int t = lp[i].length;
            if (t < 1)
                throw new IllegalArgumentException("input.response_logprobs[" + i + "] must hold at least one token");
            if (pv[i].length != t) {
                throw new IllegalArgumentException(
                        "input.prefix_values[" + i + "] has " + pv[i].length + " values, the response " + t);
            }
            float[] before = new float[t];
            before[0] = prompt[i];
            System.arraycopy(pv[i], 0, before, 1, t - 1);
            b.trajectory("row" + i, "row" + i)
                    .outcome(score[i])
                    .span(Role.POLICY, t)
                    .tokenSignal(Rollouts.OLD_LOGPROB, lp[i])
                    .tokenSignal(Rollouts.VALUE, before);
            ti[i] = new int[t];
            for (int k = 0; k < t; k++) ti[i][k] = token++;
        }
        return new AdaptedCase(b.build(), ti, c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    /** A tree node read from the case, in pre-order. */
    private record Node(
            int parent, String text, String fullText, double reward, double std, boolean leaf, int children) {}

    private static List<Node> nodes(GoldenCase c) {
        List<Node> out = new ArrayList<>();
        visit(GoldenInputs.require(c, "tree"), -1, "tree", out);
        return out;
    }

    private static void visit(JsonNode n, int parent, String where, List<Node> out) {
        if (!n.isObject())
            throw new IllegalArgumentException("input." + where + " must be a node object, got " + Json.kind(n));
        JsonNode kids = n.get("children");
        int count = kids == null || kids.isNull() ? 0 : kids.size();
        if (kids != null && !kids.isNull() && !kids.isArray()) {
            throw new IllegalArgumentException("input." + where + ".children must be an array, got " + Json.kind(kids));
        }
        int self = out.size();
        out.add(new Node(
                parent,
                parent < 0 ? null : text(n, "text", where),
                count > 0 || parent < 0 ? text(n, "full_text", where) : null,
                number(n, "reward", where, false),
                number(n, "reward_std", where, true),
                n.path("leaf").asBoolean(false),
                count));
        for (int k = 0; k < count; k++) visit(kids.get(k), self, where + ".children[" + k + "]", out);
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual())
            throw new IllegalArgumentException(
                    "input." + where + "." + field + " must be a string, got " + Json.show(v));
        return v.asText();
    }

    private static double number(JsonNode n, String field, String where, boolean optional) {
        JsonNode v = n.get(field);
        if ((v == null || v.isNull()) && optional) return Double.NaN;
        if (v == null || !v.isNumber())
            throw new IllegalArgumentException(
                    "input." + where + "." + field + " must be a number, got " + Json.show(v));
        return v.doubleValue();
    }

    private static AdaptedCase tree(GoldenCase c) {
        List<Node> nodes = nodes(c);
        RolloutsBuilder b = Rollouts.builder();
        List<int[]> rows = new ArrayList<>();
        int token = 0;
        for (int k = 1; k < nodes.size(); k++) {
            if (nodes.get(k).children() > 0) continue;
            List<Integer> path = new ArrayList<>();
            for (int x = k; x > 0; x = nodes.get(x).parent()) path.add(0, x);
            b.trajectory("tree", "node" + k).outcome(nodes.get(k).reward());
            int[] row = new int[path.size()];
            for (int j = 0; j < path.size(); j++) {
                b.span(Role.POLICY, 1, Double.NaN, "n" + path.get(j), null);
                row[j] = token++;
            }
            rows.add(row);
        }
        return new AdaptedCase(
                b.build(),
                rows.toArray(new int[0][]),
                c.estimator(),
                c.preset(),
                GoldenInputs.params(c, Set.of("use_hard_estimation"), Map.of()));
    }

    // ---- comparison ------------------------------------------------------------------------

    private static Comparison.Result compareChain(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Result adv = Comparison.standard(c, a, credit);
        if (!adv.passed()) return adv;
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        Params p = Params.resolve(new SpoChain().descriptor(), a.preset(), a.params());
        JsonNode cuts = c.expected().get("cutpoints");
        JsonNode vals = c.expected().get("token_values");
        Rollouts batch = a.batch();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            SpoChain.Segments s = SpoChain.segments(batch, i, p);
            JsonNode want = cuts.get(i);
            if (want.size() != s.cutpoints().length) {
                return tr.problem(
                        "cutpoints[" + i + "]: want " + want + ", got " + java.util.Arrays.toString(s.cutpoints()));
            }
            for (int k = 0; k < want.size(); k++) {
                if (want.get(k).asInt() != s.cutpoints()[k]) {
                    return tr.problem(
                            "cutpoints[" + i + "]: want " + want + ", got " + java.util.Arrays.toString(s.cutpoints()));
                }
            }
            JsonNode v = vals.get(i);
            for (int t = 0; t < v.size(); t++) {
                double got = s.nodeValues()[t];
                if (v.get(t).isNull() != Double.isNaN(got)) {
                    return tr.problem("token_values[" + i + "][" + t + "]: want " + v.get(t) + ", got "
                            + (Double.isNaN(got) ? "null" : got));
                }
                if (!Double.isNaN(got)) tr.value("token_values", i, t, v.get(t).asDouble(), got);
            }
        }
        Comparison.Result r = tr.result();
        if (!r.passed()) return r;
        return new Comparison.Result(
                true,
                adv.compared() + r.compared(),
                0,
                adv.worst(),
                adv.detail() + "; cutpoints and token_values match");
    }

    private static Comparison.Result compareTree(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        List<Node> nodes = nodes(c);
        int n = nodes.size();
        int[] parent = new int[n];
        double[] value = new double[n];
        double[] std = new double[n];
        for (int k = 0; k < n; k++) {
            parent[k] = Math.max(0, nodes.get(k).parent());
            value[k] = nodes.get(k).reward();
            std[k] = nodes.get(k).std();
        }
        Params p = Params.resolve(new SpoTree().descriptor(), a.preset(), a.params());
        List<SpoTree.Edge> all = SpoTree.edges(
                new SpoTree.Tree(parent, value, std),
                p.getString("adv_method"),
                p.getBoolean("only_adv_greater_than_zero"),
                p.getInt("prover_best_of"));
        List<SpoTree.Edge> kept = new ArrayList<>();
        for (SpoTree.Edge e : all) if (e.kept()) kept.add(e);
        JsonNode want = c.expected().get("edges");
        if (want == null || !want.isArray()) return tr.problem("the case has no expected.edges array");
        if (want.size() != kept.size())
            return tr.problem("expected " + want.size() + " edges, the tree API emits " + kept.size());
        double[] edgeAdv = new double[n];
        boolean[] emitted = new boolean[n];
        for (int k = 0; k < kept.size(); k++) {
            SpoTree.Edge e = kept.get(k);
            Node node = nodes.get(e.node());
            JsonNode w = want.get(k);
            String query = nodes.get(node.parent()).fullText();
            if (!w.path("query_text").asText().equals(query)
                    || !w.path("response_text").asText().equals(node.text())
                    || w.path("leaf").asBoolean() != node.leaf()) {
                return tr.problem("edge " + k + ": want (" + w.path("query_text") + ", " + w.path("response_text")
                        + ", leaf " + w.path("leaf") + "), got (\"" + query + "\", \"" + node.text() + "\", leaf "
                        + node.leaf() + ")");
            }
            tr.value("advantage", k, 0, w.path("advantage").asDouble(), e.advantage());
            tr.value("prover_advantage", k, 0, w.path("prover_advantage").asDouble(), e.proverAdvantage());
            tr.value("value", k, 0, w.path("value").asDouble(), e.value());
            tr.value("reward", k, 0, w.path("reward").asDouble(), e.value());
            edgeAdv[e.node()] = w.path("advantage").asDouble();
            emitted[e.node()] = true;
        }
        // the estimator's token credit: span j of row r is the j-th node on that path
        Rollouts batch = a.batch();
        String[] state = batch.spanState();
        for (int r = 0; r < a.tokenIndex().length; r++) {
            for (int j = 0; j < a.tokenIndex()[r].length; j++) {
                int t = a.tokenIndex()[r][j];
                int s = batch.spanStart(r) + j;
                int node = Integer.parseInt(state[s].substring(1));
                tr.value("token_advantage", r, j, emitted[node] ? edgeAdv[node] : 0.0, credit.advantages()[t]);
            }
        }
        return tr.result();
    }
}
