package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.token.Delta;
import dev.apportion.core.estimator.turn.Archer;
import dev.apportion.core.estimator.turn.At2po;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The three layouts of {@code delta-at2po-archer.jsonl} (semantics: {@code delta-at2po-archer.md}):
 * <ul>
 *   <li><b>delta</b> (padded verl rows with hidden states): row {@code i} is trajectory
 *       {@code row<i>} of one group; its tokens are the positions where {@code attention_mask} is
 *       1 (a prefix: padding is no token), cut into spans at every change of
 *       {@code response_mask}; token signals {@code old_logprob} = {@code log_probs} and
 *       {@code advantage} = {@code advantages}, token vector {@code hidden} (width H). Runs with
 *       {@code base_advantage = token_signal} (the reference reweights a given advantage);
 *       {@code micro_batch_size} is dropped (it only changes the float32 summation order).
 *       Compared: {@code weights}, {@code weighted_advantages}, {@code preds} at every position
 *       (0 where no token), {@code W}, {@code b} from {@link Delta#components}, and the credit's
 *       advantages (the weighted advantages on policy tokens).</li>
 *   <li><b>at2po</b> (one row per sampled leaf, trees given as node lists): tree {@code t} is
 *       group {@code tree<t>}; row {@code i} is trajectory {@code row<i>}, whose tokens are its
 *       {@code L} positions. For each non-root node {@code u} on the row's root-to-leaf path the
 *       positions {@code [len(parent), min(len(u), L))} become spans tagged {@code tree_node = u},
 *       {@code tree_parent}, {@code tree_entropy}, cut at changes of {@code response_mask} (an empty
 *       segment is one zero-token span); the positions after the leaf are an untagged context
 *       span. Nodes on no row's path are declared by zero-token {@code tree_detached} spans in the
 *       tree's first row. The outcome is {@code token_level_scores[i][n_i − 1]} with
 *       {@code n_i = Σ attention_mask[i]} (0 when {@code n_i = 0}), as the reference reads it.
 *       Compared: {@code advantages} at every position against the credit's returns (the
 *       reference fills tool-result positions too) and against the advantages on policy tokens,
 *       {@code token_level_rewards}, {@code node_value} and {@code node_advantage} from
 *       {@link At2po#trees}.</li>
 *   <li><b>archer</b> (one row per transition): row {@code r} is trajectory {@code row<r>} of one
 *       group with one policy span (the {@code action_mask} prefix, or one token in the plain
 *       case) and a context span of the padding; the per-row critic outputs, {@code done} are span
 *       signals, {@code reward} the span reward; token signals {@code value} =
 *       {@code token_values}, {@code logprob} = {@code token_log_probs} (plain case: the one token
 *       carries {@code sum_log_prob}). Compared: {@code advantages} against the span advantages,
 *       TD and V targets from {@link Archer#components}, the losses against the diagnostics, and
 *       {@code token_advantages} where {@code action_mask} = 1.</li>
 * </ul>
 */
public final class DeltaAt2poArcherAdapter extends FamilyAdapter {
    public DeltaAt2poArcherAdapter() {
        super(
                "delta / at2po / archer rows",
                layout(
                        Delta.ID,
                        List.of("hidden", "attention_mask"),
                        DeltaAt2poArcherAdapter::delta,
                        withAdvantages(DeltaAt2poArcherAdapter::compareDelta)),
                layout(
                        At2po.ID,
                        List.of("trees", "row_leaf"),
                        DeltaAt2poArcherAdapter::at2po,
                        withAdvantages(DeltaAt2poArcherAdapter::compareAt2po)),
                layout(
                        Archer.ID,
                        List.of("critic_q1_pi", "reward"),
                        DeltaAt2poArcherAdapter::archer,
                        withAdvantages(DeltaAt2poArcherAdapter::compareArcher)));
    }

    // ---- delta ---------------------------------------------------------------------------

    private static AdaptedCase delta(GoldenCase c) {
        float[][] attn = GoldenInputs.matrix(c, "attention_mask");
        float[][] resp = GoldenInputs.matrix(c, "response_mask");
        float[][] adv = GoldenInputs.matrix(c, "advantages");
        float[][] lp = GoldenInputs.matrix(c, "log_probs");
        JsonNode hidden = GoldenInputs.require(c, "hidden");
        int rows = attn.length;
        GoldenInputs.sameRows("response_mask", resp.length, "attention_mask", rows);
        GoldenInputs.sameRows("advantages", adv.length, "attention_mask", rows);
        GoldenInputs.sameRows("log_probs", lp.length, "attention_mask", rows);
        GoldenInputs.sameRows("hidden", hidden.size(), "attention_mask", rows);
        int width = -1;
        RolloutsBuilder b = Rollouts.builder();
        int[][] index = new int[rows][];
        int tokens = 0;
        for (int r = 0; r < rows; r++) {
            int n = prefix(attn[r], "attention_mask", r);
            b.trajectory("batch", "row" + r);
            spansByMask(b, resp[r], 0, n, null);
            float[] vec = null;
            JsonNode hr = hidden.get(r);
            if (!hr.isArray() || hr.size() != attn[r].length) {
                throw new IllegalArgumentException(
                        "input.hidden[" + r + "] must have " + attn[r].length + " positions, got " + Json.show(hr));
            }
            for (int j = 0; j < n; j++) {
                JsonNode hv = hr.get(j);
                if (width < 0) width = hv.size();
                if (!hv.isArray() || hv.size() != width || width == 0) {
                    throw new IllegalArgumentException("input.hidden[" + r + "][" + j + "] must be an array of " + width
                            + " numbers, got " + Json.show(hv));
                }
                if (vec == null) vec = new float[n * width];
                for (int k = 0; k < width; k++)
                    vec[j * width + k] = (float) hv.get(k).doubleValue();
            }
            b.tokenSignal(Rollouts.OLD_LOGPROB, java.util.Arrays.copyOf(lp[r], n));
            b.tokenSignal(Delta.ADVANTAGE, java.util.Arrays.copyOf(adv[r], n));
            if (width < 0) {
                JsonNode any = hr.size() > 0 ? hr.get(0) : null;
                width = any != null && any.isArray() && any.size() > 0 ? any.size() : 1;
            }
            b.tokenVector(Delta.HIDDEN, width, vec == null ? new float[0] : vec);
            index[r] = new int[attn[r].length];
            for (int j = 0; j < index[r].length; j++) index[r][j] = j < n ? tokens + j : -1;
            tokens += n;
        }
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of("micro_batch_size"), Map.of()));
        params.put("base_advantage", "token_signal");
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), params);
    }

    private static Comparison.Result compareDelta(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        Delta d = new Delta();
        Delta.Components comp = d.components(a.batch(), Params.resolve(d.descriptor(), a.preset(), a.params()));
        int[] at = new int[a.batch().tokenCount()];
        java.util.Arrays.fill(at, -1);
        for (int k = 0; k < comp.tokens().length; k++) at[comp.tokens()[k]] = k;
        JsonNode want = c.expected();
        byte[] mask = a.batch().mask();
        int[][] ti = a.tokenIndex();
        Map<String, double[]> arrays = new LinkedHashMap<>();
        arrays.put("weights", comp.weights());
        arrays.put("weighted_advantages", comp.weightedAdvantages());
        arrays.put("preds", comp.preds());
        for (Map.Entry<String, double[]> e : arrays.entrySet()) {
            double[][] w = matrix(want, e.getKey());
            if (w == null) return tr.problem("the case has no expected." + e.getKey());
            for (int r = 0; r < ti.length; r++) {
                for (int j = 0; j < ti[r].length; j++) {
                    int t = ti[r][j];
                    double got = t < 0 || at[t] < 0 ? 0.0 : e.getValue()[at[t]];
                    tr.value(e.getKey(), r, j, w[r][j], got);
                }
            }
        }
        double[][] wadv = matrix(want, "weighted_advantages");
        for (int r = 0; r < ti.length; r++) {
            for (int j = 0; j < ti[r].length; j++) {
                int t = ti[r][j];
                if (t < 0) continue;
                if (mask[t] == 1) tr.value("advantages", r, j, wadv[r][j], credit.advantages()[t]);
                else tr.mustBeZero("advantages", r, j, credit.advantages()[t]);
            }
        }
        JsonNode w = want.get("W");
        if (w == null || !w.isArray() || w.size() != comp.w().length) {
            return tr.problem("expected.W must have " + comp.w().length + " entries");
        }
        for (int k = 0; k < w.size(); k++) tr.value("W", 0, k, w.get(k).asDouble(), comp.w()[k]);
        tr.value("b", 0, 0, want.path("b").asDouble(), comp.b());
        return tr.result();
    }

    // ---- at2po ---------------------------------------------------------------------------

    private static AdaptedCase at2po(GoldenCase c) {
        JsonNode trees = GoldenInputs.require(c, "trees");
        JsonNode rowLeaf = GoldenInputs.require(c, "row_leaf");
        float[][] scores = GoldenInputs.matrix(c, "token_level_scores");
        float[][] attn = GoldenInputs.matrix(c, "attention_mask");
        float[][] resp = GoldenInputs.matrix(c, "response_mask");
        int rows = scores.length;
        GoldenInputs.sameRows("row_leaf", rowLeaf.size(), "token_level_scores", rows);
        GoldenInputs.sameRows("attention_mask", attn.length, "token_level_scores", rows);
        GoldenInputs.sameRows("response_mask", resp.length, "token_level_scores", rows);
        List<Map<Integer, JsonNode>> nodes = new ArrayList<>();
        for (int t = 0; t < trees.size(); t++) {
            Map<Integer, JsonNode> m = new LinkedHashMap<>();
            for (JsonNode nd : trees.get(t)) m.put(nd.get("id").asInt(), nd);
            nodes.add(m);
        }
        // nodes on some row's path, per tree
        List<Set<Integer>> onPath = new ArrayList<>();
        for (int t = 0; t < trees.size(); t++) onPath.add(new java.util.HashSet<>());
        List<List<Integer>> paths = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int t = rowLeaf.get(r).get(0).asInt();
            int id = rowLeaf.get(r).get(1).asInt();
            if (t < 0 || t >= nodes.size() || !nodes.get(t).containsKey(id)) {
                throw new IllegalArgumentException(
                        "input.row_leaf[" + r + "] = " + rowLeaf.get(r) + " names no node of input.trees");
            }
            List<Integer> path = new ArrayList<>();
            for (JsonNode nd = nodes.get(t).get(id); nd != null; ) {
                path.add(0, nd.get("id").asInt());
                JsonNode p = nd.get("parent");
                nd = p == null || p.isNull() ? null : nodes.get(t).get(p.asInt());
            }
            paths.add(path);
            onPath.get(t).addAll(path);
        }
        RolloutsBuilder b = Rollouts.builder();
        Map<Integer, Boolean> declared = new HashMap<>();
        int[][] index = new int[rows][];
        int tokens = 0;
        for (int r = 0; r < rows; r++) {
            int t = rowLeaf.get(r).get(0).asInt();
            int L = scores[r].length;
            Map<Integer, JsonNode> tree = nodes.get(t);
            List<Integer> path = paths.get(r);
            int n = 0;
            for (float x : attn[r]) n += x == 1f ? 1 : 0;
            b.trajectory("tree" + t, "row" + r).outcome(n > 0 ? scores[r][n - 1] : 0.0);
            int covered = 0;
            for (int k = 1; k < path.size(); k++) {
                JsonNode u = tree.get(path.get(k));
                JsonNode p = tree.get(path.get(k - 1));
                int from = Math.min(p.get("response_len").asInt(), L);
                int to = Math.min(u.get("response_len").asInt(), L);
                if (u.get("response_len").asInt() <= p.get("response_len").asInt()) to = from;
                if (from != covered) {
                    throw new IllegalArgumentException(
                            "input.trees[" + t + "] node " + path.get(k) + ": its segment starts at " + from
                                    + " but the path so far covers " + covered + " positions");
                }
                double[] tag = {
                    path.get(k), k == 1 ? -1 : path.get(k - 1), u.get("entropy").asDouble()
                };
                spansByMask(b, resp[r], from, to, tag);
                covered = to;
            }
            b.span(Role.CONTEXT, L - covered);
            if (!declared.containsKey(t)) {
                declared.put(t, true);
                for (Map.Entry<Integer, JsonNode> e : tree.entrySet()) {
                    JsonNode nd = e.getValue();
                    if (onPath.get(t).contains(e.getKey()) || nd.get("parent").isNull()) continue;
                    int parent = nd.get("parent").asInt();
                    boolean parentIsRoot = tree.get(parent).get("parent").isNull();
                    b.span(Role.CONTEXT, 0)
                            .spanSignal(At2po.TREE_NODE, e.getKey())
                            .spanSignal(At2po.TREE_PARENT, parentIsRoot ? -1 : parent)
                            .spanSignal(At2po.TREE_ENTROPY, nd.get("entropy").asDouble())
                            .spanSignal(At2po.TREE_DETACHED, 1);
                }
            }
            index[r] = new int[L];
            for (int j = 0; j < L; j++) index[r][j] = tokens + j;
            tokens += L;
        }
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareAt2po(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        At2po est = new At2po();
        At2po.Trees trees = est.trees(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        JsonNode want = c.expected();
        double[][] adv = matrix(want, "advantages");
        double[][] tlr = matrix(want, "token_level_rewards");
        if (adv == null || tlr == null)
            return tr.problem("the case needs expected.advantages and expected.token_level_rewards");
        if (credit.returns() == null) return tr.problem("at2po returned no returns");
        byte[] mask = a.batch().mask();
        int[][] ti = a.tokenIndex();
        for (int r = 0; r < ti.length; r++) {
            for (int j = 0; j < ti[r].length; j++) {
                int t = ti[r][j];
                tr.value("advantages", r, j, adv[r][j], credit.returns()[t]);
                if (mask[t] == 1) tr.value("advantages(policy)", r, j, adv[r][j], credit.advantages()[t]);
                else tr.mustBeZero("advantages(context)", r, j, credit.advantages()[t]);
                tr.value("token_level_rewards", r, j, tlr[r][j], trees.tokenValue()[t]);
            }
        }
        JsonNode inTrees = c.input().get("trees");
        Map<String, Integer> groupOf = new HashMap<>();
        for (int g = 0; g < a.batch().groupCount(); g++) groupOf.put(a.batch().groupKey(g), g);
        for (String field : new String[] {"node_value", "node_advantage"}) {
            JsonNode w = want.get(field);
            if (w == null) return tr.problem("the case has no expected." + field);
            for (int t = 0; t < inTrees.size(); t++) {
                Integer g = groupOf.get("tree" + t);
                if (g == null) continue;
                for (int k = 0; k < inTrees.get(t).size(); k++) {
                    JsonNode nd = inTrees.get(t).get(k);
                    int id = nd.get("parent").isNull() ? -1 : nd.get("id").asInt();
                    int idx = trees.find(g, id);
                    if (idx < 0)
                        return tr.problem("tree " + t + " node " + nd.get("id") + " is missing from the batch's tree");
                    double got = field.equals("node_value") ? trees.value()[idx] : trees.advantage()[idx];
                    tr.value(field, t, k, w.get(t).get(k).asDouble(), got);
                }
            }
        }
        return tr.result();
    }

    // ---- archer --------------------------------------------------------------------------

    private static final String[] ARCHER_SIGNALS = {
        Archer.Q1,
        Archer.Q2,
        Archer.Q1_PI,
        Archer.Q2_PI,
        Archer.V1,
        Archer.V2,
        Archer.TARGET_Q1_PI,
        Archer.TARGET_Q2_PI,
        Archer.TARGET_V1_NEXT,
        Archer.TARGET_V2_NEXT,
        Archer.DONE
    };

    private static AdaptedCase archer(GoldenCase c) {
        float[] reward = GoldenInputs.vector(c, "reward");
        int rows = reward.length;
        Map<String, float[]> sig = new LinkedHashMap<>();
        for (String s : ARCHER_SIGNALS) {
            float[] v = GoldenInputs.vector(c, s);
            GoldenInputs.sameRows(s, v.length, "reward", rows);
            sig.put(s, v);
        }
        boolean tokens = GoldenInputs.has(c, "action_mask");
        float[][] mask = tokens ? GoldenInputs.matrix(c, "action_mask") : null;
        float[][] values =
                tokens && GoldenInputs.has(c, "token_values") ? GoldenInputs.matrix(c, "token_values") : null;
        float[][] lps =
                tokens && GoldenInputs.has(c, "token_log_probs") ? GoldenInputs.matrix(c, "token_log_probs") : null;
        float[] sumLp = GoldenInputs.has(c, "sum_log_prob") ? GoldenInputs.vector(c, "sum_log_prob") : null;
        RolloutsBuilder b = Rollouts.builder();
        int[][] index = new int[rows][];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            b.trajectory("replay", "row" + r);
            int len = tokens ? mask[r].length : 1;
            int n = tokens ? prefix(mask[r], "action_mask", r) : 1;
            b.span(Role.POLICY, n, reward[r], null, null);
            for (Map.Entry<String, float[]> e : sig.entrySet()) b.spanSignal(e.getKey(), e.getValue()[r]);
            b.span(Role.CONTEXT, len - n);
            if (values != null) b.tokenSignal(Rollouts.VALUE, values[r]);
            if (lps != null) b.tokenSignal(Rollouts.LOGPROB, lps[r]);
            else if (sumLp != null) b.tokenSignal(Rollouts.LOGPROB, new float[] {sumLp[r]});
            index[r] = new int[len];
            for (int j = 0; j < len; j++) index[r][j] = at + j;
            at += len;
        }
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), GoldenInputs.params(c, Set.of(), Map.of()));
    }

    private static Comparison.Result compareArcher(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr) {
        Archer est = new Archer();
        Archer.Components comp = est.components(a.batch(), Params.resolve(est.descriptor(), a.preset(), a.params()));
        JsonNode want = c.expected();
        Map<String, double[]> perRow = new LinkedHashMap<>();
        perRow.put("td_targets_q1", comp.tdTargetQ1());
        perRow.put("td_targets_q2", comp.tdTargetQ2());
        perRow.put("v_targets_1", comp.vTarget1());
        perRow.put("v_targets_2", comp.vTarget2());
        int rows = a.tokenIndex().length;
        if (comp.spans().length != rows)
            return tr.problem(rows + " transitions but " + comp.spans().length + " utterances");
        JsonNode advW = want.get("advantages");
        for (int r = 0; r < rows; r++)
            tr.value("advantages", r, 0, advW.get(r).asDouble(), credit.spanAdvantages()[comp.spans()[r]]);
        for (Map.Entry<String, double[]> e : perRow.entrySet()) {
            JsonNode w = want.get(e.getKey());
            if (w == null) return tr.problem("the case has no expected." + e.getKey());
            for (int r = 0; r < rows; r++) tr.value(e.getKey(), r, 0, w.get(r).asDouble(), e.getValue()[r]);
        }
        JsonNode losses = want.get("critic_losses");
        String[][] names = {
            {"q1", "critic_loss_q1"},
            {"q2", "critic_loss_q2"},
            {"v1", "critic_loss_v1"},
            {"v2", "critic_loss_v2"},
            {null, "pg_loss"},
            {null, "value_loss"}
        };
        for (String[] nm : names) {
            JsonNode w = nm[0] == null ? want.get(nm[1]) : losses == null ? null : losses.get(nm[0]);
            if (w == null) continue;
            Double got = credit.diagnostics().get(nm[1]);
            if (got == null) return tr.problem("archer reports no diagnostic '" + nm[1] + "'");
            tr.value(nm[1], 0, 0, w.asDouble(), got);
        }
        double[][] tokAdv = matrix(want, "token_advantages");
        if (tokAdv != null) {
            float[][] mask = GoldenInputs.matrix(c, "action_mask");
            int[][] ti = a.tokenIndex();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < mask[r].length; j++) {
                    if (mask[r][j] == 1f)
                        tr.value("token_advantages", r, j, tokAdv[r][j], credit.advantages()[ti[r][j]]);
                }
            }
        }
        return tr.result();
    }

    // ---- shared --------------------------------------------------------------------------

    /** Spans over positions [from, to) of a row cut at changes of the response mask; optional at2po tags. */
    private static void spansByMask(RolloutsBuilder b, float[] resp, int from, int to, double[] tag) {
        if (from == to) {
            b.span(Role.CONTEXT, 0);
            tag(b, tag);
            return;
        }
        int start = from;
        for (int j = from + 1; j <= to; j++) {
            if (j == to || (resp[j] == 1f) != (resp[start] == 1f)) {
                b.span(resp[start] == 1f ? Role.POLICY : Role.CONTEXT, j - start);
                tag(b, tag);
                start = j;
            }
        }
    }

    private static void tag(RolloutsBuilder b, double[] tag) {
        if (tag == null) return;
        b.spanSignal(At2po.TREE_NODE, tag[0])
                .spanSignal(At2po.TREE_PARENT, tag[1])
                .spanSignal(At2po.TREE_ENTROPY, tag[2]);
    }

    /** Number of leading ones; the rest must be zeros. */
    private static int prefix(float[] m, String field, int row) {
        int n = 0;
        while (n < m.length && m[n] == 1f) n++;
        for (int j = n; j < m.length; j++) {
            if (m[j] != 0f) {
                throw new IllegalArgumentException(
                        "input." + field + "[" + row + "] has the value " + m[j] + " at position " + j
                                + " after its valid prefix; this layout needs valid positions first, then padding (0s)");
            }
        }
        return n;
    }

    private static double[][] matrix(JsonNode want, String field) {
        JsonNode v = want.get(field);
        return v == null || !v.isArray() ? null : GoldenCases.matrix(v);
    }
}
