package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.step.Prl;
import dev.apportion.core.estimator.token.Poad;
import dev.apportion.core.estimator.turn.Itpo;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.io.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layouts of {@code prl-poad-itpo.jsonl} (semantics: {@code prl-poad-itpo.md}).
 *
 * <h2>{@code prl}</h2>
 * The verl layout: row i → trajectory {@code row<i>} of group {@code index[i]}, spans by runs of
 * {@code response_mask}; {@code token_level_scores} → token signal {@code reward} at every
 * position; {@code old_log_probs} → {@code old_logprob}; {@code ref_log_prob} →
 * {@code ref_logprob}; {@code responses} (token ids) → token text: {@code "\n"} where the id is
 * {@code newline_id}, {@code "\n\n"} where it is {@code double_newline_id}, the id's digits
 * otherwise (params {@code newline_id}, {@code double_newline_id} are consumed here). Compared:
 * {@code advantages} and {@code returns} (standard) and {@code token_level_rewards} =
 * {@link Prl#tokenRewards} at every position.
 *
 * <h2>{@code poad}</h2>
 * The reference's buffer (T steps × R threads × A agents × L slots). Each (thread r, agent a) gives
 * one trajectory per episode (an episode ends after action t when {@code masks[t+1][r][a] = 0}; the
 * last one, when {@code masks[T][r][a] ≠ 0}, carries trajectory signal {@code next_value} =
 * {@code next_value[r][a]}); group {@code thread<r>}. Action t is a policy span of
 * {@code last+1} tokens then a context span of the remaining slots, where {@code last} is the last
 * slot of <em>agent 0's</em> {@code action_tokens[t][r][0]} that differs from {@code pad_token_id}
 * (the reference's two quirks: only trailing pads are cut, and agent 0's length is used for every
 * agent; an all-pad action becomes an empty policy span, which the estimator refuses); span reward
 * {@code rewards[t][r][a]}; token signal {@code value} = {@code values[t][r][a][l]}. At
 * {@code level = action} every action is one token with value {@code values[t][r][a][0]} and
 * {@code algorithm} is dropped (the reference ignores it there). {@code pad_token_id} is consumed
 * here. Compared: {@code advantages}, {@code returns} at every (t, r, a, l) (or (t, r, a)); slots
 * outside an action get 0.
 *
 * <h2>{@code itpo}</h2>
 * Row i → trajectory {@code row<i>} of group {@code block<i / n_samples>} (the reference's
 * consecutive blocks), spans by runs of {@code response_mask}; {@code rm_scores} → token signal
 * {@code rm_score}; {@code extra_info[q][i]} → trajectory signal q; {@code scores[i]} → outcome.
 * Params: {@code n_samples} consumed here; {@code reward_metrics} = the {@code extra_info_keys} in
 * order. Compared: {@code advantages}, {@code returns} (standard), and {@code turn_values},
 * {@code turn_length_proportions} (per row, per turn) from {@link Itpo#turnStatistics}.
 */
public final class PrlPoadItpoAdapter extends FamilyAdapter {
    /** Estimator ids whose cases this adapter knows. */
    public static final Set<String> ESTIMATORS = Set.of(Prl.ID, Poad.ID, Itpo.ID);

    public PrlPoadItpoAdapter() {
        super(
                "prl-poad-itpo",
                layout(
                        Prl.ID,
                        List.of("token_level_scores", "response_mask", "index", "old_log_probs", "ref_log_prob"),
                        PrlPoadItpoAdapter::prl,
                        PrlPoadItpoAdapter::comparePrl),
                layout(
                        Poad.ID,
                        List.of("values", "rewards", "masks", "next_value"),
                        PrlPoadItpoAdapter::poad,
                        PrlPoadItpoAdapter::comparePoad),
                layout(
                        Itpo.ID,
                        List.of("rm_scores", "response_mask", "extra_info_keys", "extra_info"),
                        PrlPoadItpoAdapter::itpo,
                        PrlPoadItpoAdapter::compareItpo));
    }

    /** Spans by runs of the mask row. */
    private static void runs(RolloutsBuilder b, float[] mask) {
        int k = 0;
        while (k < mask.length) {
            boolean on = mask[k] != 0f;
            int e = k;
            while (e < mask.length && (mask[e] != 0f) == on) e++;
            b.span(on ? Role.POLICY : Role.CONTEXT, e - k);
            k = e;
        }
    }

    private static void sameShape(String a, float[][] x, float[][] mask) {
        GoldenInputs.sameRows(a, x.length, "response_mask", mask.length);
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != mask[i].length) {
                throw new IllegalArgumentException(
                        "input." + a + "[" + i + "] has " + x[i].length + " values, response_mask " + mask[i].length);
            }
        }
    }

    private static AdaptedCase prl(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        float[][] scores = GoldenInputs.matrix(c, "token_level_scores");
        float[][] old = GoldenInputs.matrix(c, "old_log_probs");
        float[][] ref = GoldenInputs.matrix(c, "ref_log_prob");
        String[] index = GoldenInputs.strings(c, "index");
        sameShape("token_level_scores", scores, mask);
        sameShape("old_log_probs", old, mask);
        sameShape("ref_log_prob", ref, mask);
        GoldenInputs.sameRows("index", index.length, "response_mask", mask.length);
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of(), Map.of()));
        Object nl = params.remove("newline_id");
        Object nnl = params.remove("double_newline_id");
        float[][] ids = GoldenInputs.has(c, "responses") ? GoldenInputs.matrix(c, "responses") : null;
        if (ids != null) sameShape("responses", ids, mask);
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < mask.length; i++) {
            b.trajectory(index[i], "row" + i);
            runs(b, mask[i]);
            b.tokenSignal(Rollouts.REWARD, scores[i])
                    .tokenSignal(Rollouts.OLD_LOGPROB, old[i])
                    .tokenSignal(Rollouts.REF_LOGPROB, ref[i]);
            if (ids != null) {
                String[] text = new String[mask[i].length];
                for (int t = 0; t < text.length; t++) {
                    long id = (long) ids[i][t];
                    text[t] = nl instanceof Number && id == ((Number) nl).longValue()
                            ? "\n"
                            : nnl instanceof Number && id == ((Number) nnl).longValue() ? "\n\n" : Long.toString(id);
                }
                b.tokenText(text);
            }
        }
        Rollouts batch = b.build();
        return GoldenInputs.adapted(c, batch, Map.copyOf(params));
    }

    private static AdaptedCase itpo(GoldenCase c) {
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        float[][] rm = GoldenInputs.matrix(c, "rm_scores");
        sameShape("rm_scores", rm, mask);
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of(), Map.of()));
        Object ns = params.remove("n_samples");
        if (!(ns instanceof Number) || ((Number) ns).intValue() < 1) {
            throw new IllegalArgumentException("params.n_samples must be a whole number >= 1, got " + ns);
        }
        int n = ((Number) ns).intValue();
        String[] keys = GoldenInputs.strings(c, "extra_info_keys");
        params.put("reward_metrics", String.join(",", keys));
        JsonNode info = GoldenInputs.require(c, "extra_info");
        float[] scores = GoldenInputs.has(c, "scores") ? GoldenInputs.vector(c, "scores") : null;
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < mask.length; i++) {
            b.trajectory("block" + (i / n), "row" + i);
            if (scores != null) b.outcome(scores[i]);
            for (String k : keys) {
                JsonNode v = info.path(k).get(i);
                if (v == null || !v.isNumber()) {
                    throw new IllegalArgumentException(
                            "input.extra_info." + k + "[" + i + "] must be a number, got " + Json.show(v));
                }
                b.signal(k, v.doubleValue());
            }
            runs(b, mask[i]);
            b.tokenSignal(Itpo.RM_SCORE, rm[i]);
        }
        return GoldenInputs.adapted(c, b.build(), Map.copyOf(params));
    }

    // ---- poad ------------------------------------------------------------------------------

    private static double[][][][] array4(GoldenCase c, String field) {
        JsonNode v = GoldenInputs.require(c, field);
        double[][][][] out = new double[v.size()][][][];
        for (int a = 0; a < out.length; a++) {
            JsonNode x = v.get(a);
            out[a] = new double[x.size()][][];
            for (int b = 0; b < out[a].length; b++) {
                JsonNode y = x.get(b);
                out[a][b] = new double[y.size()][];
                for (int d = 0; d < out[a][b].length; d++) {
                    JsonNode z = y.get(d);
                    if (z == null || !z.isArray()) {
                        throw new IllegalArgumentException("input." + field + "[" + a + "][" + b + "][" + d
                                + "] must be an array, got " + Json.show(z));
                    }
                    out[a][b][d] = new double[z.size()];
                    for (int e = 0; e < z.size(); e++)
                        out[a][b][d][e] = num(z.get(e), field + "[" + a + "][" + b + "][" + d + "][" + e + "]");
                }
            }
        }
        return out;
    }

    private static double[][][] array3(GoldenCase c, String field) {
        JsonNode v = GoldenInputs.require(c, field);
        double[][][] out = new double[v.size()][][];
        for (int a = 0; a < out.length; a++) {
            JsonNode x = v.get(a);
            out[a] = new double[x.size()][];
            for (int b = 0; b < out[a].length; b++) {
                JsonNode y = x.get(b);
                if (y == null || !y.isArray())
                    throw new IllegalArgumentException("input." + field + "[" + a + "][" + b + "] must be an array");
                out[a][b] = new double[y.size()];
                for (int d = 0; d < y.size(); d++)
                    out[a][b][d] = num(y.get(d), field + "[" + a + "][" + b + "][" + d + "]");
            }
        }
        return out;
    }

    private static double num(JsonNode x, String where) {
        if (x == null || !x.isNumber())
            throw new IllegalArgumentException("input." + where + " must be a number, got " + Json.show(x));
        return x.doubleValue();
    }

    private static AdaptedCase poad(GoldenCase c) {
        Map<String, Object> params = new LinkedHashMap<>(GoldenInputs.params(c, Set.of(), Map.of()));
        Object pad = params.remove("pad_token_id");
        boolean actionLevel = "action".equals(params.get("level"));
        if (actionLevel) params.remove("algorithm");
        double[][][][] values = array4(c, "values");
        double[][][] rewards = array3(c, "rewards");
        double[][][] masks = array3(c, "masks");
        JsonNode nvNode = GoldenInputs.require(c, "next_value");
        double[][][][] tokens = actionLevel ? null : array4(c, "action_tokens");
        if (!actionLevel && !(pad instanceof Number))
            throw new IllegalArgumentException("params.pad_token_id must be a number, got " + pad);
        long padId = actionLevel ? 0 : ((Number) pad).longValue();
        int steps = values.length;
        if (steps == 0) throw new IllegalArgumentException("input.values has no step");
        int threads = values[0].length;
        int agents = values[0][0].length;
        int slots = actionLevel ? 1 : values[0][0][0].length;
        if (masks.length != steps + 1)
            throw new IllegalArgumentException(
                    "input.masks has " + masks.length + " steps, expected T + 1 = " + (steps + 1));
        // token index: row t·R·A + r·A + a, column l (every slot is a token: action or context)
        int[][] index = new int[steps * threads * agents][slots];
        // action lengths per (t, r), from agent 0's tokens
        int[][] length = new int[steps][threads];
        for (int t = 0; t < steps; t++) {
            for (int r = 0; r < threads; r++) {
                if (actionLevel) {
                    length[t][r] = 1;
                    continue;
                }
                double[] tok = tokens[t][r][0];
                int last = tok.length - 1;
                while (last >= 0 && (long) tok[last] == padId) last--;
                length[t][r] = last + 1;
            }
        }
        RolloutsBuilder b = Rollouts.builder();
        int token = 0;
        for (int r = 0; r < threads; r++) {
            for (int a = 0; a < agents; a++) {
                int episode = 0;
                int t = 0;
                while (t < steps) {
                    b.trajectory("thread" + r, "r" + r + "-a" + a + "-e" + episode);
                    int begin = token;
                    java.util.List<Float> vals = new java.util.ArrayList<>();
                    boolean ended = false;
                    while (t < steps && !ended) {
                        int len = length[t][r];
                        b.span(Role.POLICY, len, rewards[t][r][a], null, null);
                        for (int l = 0; l < slots; l++) {
                            index[(t * threads + r) * agents + a][l] = token++;
                            vals.add((float) values[t][r][a][l]);
                        }
                        if (slots > len) b.span(Role.CONTEXT, slots - len);
                        double m = masks[t + 1][r][a];
                        if (m != 0 && m != 1)
                            throw new IllegalArgumentException(
                                    "input.masks[" + (t + 1) + "][" + r + "][" + a + "] must be 0 or 1, got " + m);
                        ended = m == 0;
                        t++;
                    }
                    if (!ended)
                        b.signal(Poad.NEXT_VALUE, num(nvNode.get(r).get(a), "next_value[" + r + "][" + a + "]"));
                    float[] v = new float[token - begin];
                    for (int k = 0; k < v.length; k++) v[k] = vals.get(k);
                    b.tokenSignal(Rollouts.VALUE, v);
                    episode++;
                }
            }
        }
        return new AdaptedCase(b.build(), index, c.estimator(), c.preset(), Map.copyOf(params));
    }

    // ---- comparison ------------------------------------------------------------------------

    /** The standard comparison, then {@code token_level_rewards} from {@link Prl#tokenRewards}. */
    private static Comparison.Result comparePrl(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Result std = Comparison.standard(c, a, credit);
        if (!std.passed()) return std;
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        float[] v = Prl.tokenRewards(a.batch(), Params.resolve(new Prl().descriptor(), a.preset(), a.params()));
        double[][] want = GoldenCases.matrix(c.expected().get("token_level_rewards"));
        for (int r = 0; r < a.tokenIndex().length; r++) {
            for (int col = 0; col < a.tokenIndex()[r].length; col++) {
                tr.value("token_level_rewards", r, col, want[r][col], v[a.tokenIndex()[r][col]]);
            }
        }
        return merge(std, tr.result());
    }

    /** The standard comparison, then the per-turn statistics of {@link Itpo#turnStatistics}. */
    private static Comparison.Result compareItpo(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Result std = Comparison.standard(c, a, credit);
        if (!std.passed()) return std;
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        Itpo.TurnStats st =
                Itpo.turnStatistics(a.batch(), Params.resolve(new Itpo().descriptor(), a.preset(), a.params()));
        if (!turns(tr, c.expected().get("turn_length_proportions"), st, st.lengthShare(), "turn_length_proportions"))
            return tr.result();
        JsonNode tv = c.expected().get("turn_values");
        if (tv != null && !tv.isNull()) {
            if (st.value() == null) return tr.problem("the case expects turn_values but the estimator computed none");
            if (!turns(tr, tv, st, st.value(), "turn_values")) return tr.result();
        } else if (st.value() != null) {
            return tr.problem("the estimator computed turn_values the case does not have");
        }
        return merge(std, tr.result());
    }

    private static boolean turns(Comparison.Tracker tr, JsonNode want, Itpo.TurnStats st, double[] got, String name) {
        if (want == null || !want.isArray()) {
            tr.problem("the case has no expected." + name);
            return false;
        }
        for (int i = 0; i < want.size(); i++) {
            int k0 = st.offsets()[i];
            int count = st.offsets()[i + 1] - k0;
            if (want.get(i).size() != count) {
                tr.problem(
                        name + "[" + i + "]: expected " + want.get(i).size() + " turns, the estimator found " + count);
                return false;
            }
            for (int k = 0; k < count; k++)
                tr.value(name, i, k, want.get(i).get(k).asDouble(), got[k0 + k]);
        }
        return true;
    }

    private static Comparison.Result merge(Comparison.Result a, Comparison.Result b) {
        if (!b.passed()) return b;
        return new Comparison.Result(true, a.compared() + b.compared(), 0, a.worst(), a.detail() + "; " + b.detail());
    }

    private static Comparison.Result comparePoad(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        if (credit.returns() == null) return tr.problem("the case expects returns but the estimator produced none");
        boolean actionLevel = "action".equals(c.params().get("level"));
        int[][] ix = a.tokenIndex();
        for (String name : new String[] {"advantages", "returns"}) {
            float[] got = name.equals("advantages") ? credit.advantages() : credit.returns();
            JsonNode w = c.expected().get(name);
            if (w == null || !w.isArray()) return tr.problem("the case has no expected." + name);
            int row = 0;
            for (JsonNode step : w) {
                for (JsonNode thread : step) {
                    for (JsonNode cell : thread) {
                        if (row >= ix.length)
                            return tr.problem(
                                    "expected." + name + " has more (step, thread, agent) cells than the input");
                        for (int l = 0; l < ix[row].length; l++) {
                            double want =
                                    actionLevel ? cell.asDouble() : cell.get(l).asDouble();
                            tr.value(name, row, l, want, got[ix[row][l]]);
                        }
                        row++;
                    }
                }
            }
            if (row != ix.length)
                return tr.problem(
                        "expected." + name + " has " + row + " (step, thread, agent) cells, the input " + ix.length);
        }
        return tr.result();
    }
}
