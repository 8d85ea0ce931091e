package dev.apportion.core.estimator.segment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.estimator.step.PureSteps;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.GoldenJson;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-only reader of {@code golden/reasoning.jsonl} (copied from the shared golden folder;
 * semantics in its {@code reasoning.md}): turns each case's layout into a batch, the padded
 * position → token map and the parameters, with preset {@code reference}. The io module's
 * {@code ReasoningAdapter} does the same for the conformance runner.
 *
 * <p>Layouts:
 * <ul>
 *   <li>{@code pure_reward}: row b → trajectory; slot s → one token, a policy span (a step, span
 *       signals {@code prm_logit0}/{@code prm_logit1}) where {@code reward_mask} is 1, a context
 *       span where it is 0. Param {@code return_outcome_reward} dropped (the outcome reward is
 *       the first step's return).</li>
 *   <li>{@code pure}: row i → trajectory of group {@code i / n_samples_per_prompt}; its
 *       {@code L_i} valid tokens cut into step spans ending at each separator and at
 *       {@code L_i − 1}, step k carrying {@code step_logits[i][k]}; padding → a context span.
 *       Outcome = {@code solved}; {@code action_log_probs}/{@code ref_log_probs} → token
 *       signals. Params {@code n_samples_per_prompt}, {@code micro_rollout_batch_size}
 *       dropped.</li>
 *   <li>{@code ma_rlhf}: row → trajectory: the prompt (width P) as a context span, then the
 *       response positions P..S−1 as spans by runs of {@code attention_mask}; token j's
 *       {@code logprob}/{@code ref_logprob}/{@code value} = entry j − 1 of the [S−1] arrays
 *       (0 for j = 0); outcome = {@code reward_score}. Column k of the [W] token arrays is token
 *       P + k.</li>
 *   <li>{@code a_grae}, {@code adora}: verl layout with {@code eos_mask} as the response mask
 *       (spans by runs), {@code token_level_rewards} → token {@code reward}, group
 *       {@code index}.</li>
 *   <li>{@code adora_vl}: row i → one policy span of {@code response_length[i]} tokens, outcome
 *       {@code reward[i]}, group {@code i / n_samples_per_prompt}; that param dropped.</li>
 *   <li>{@code temporal_schedule}: {@code tp_schedule}: context span of {@code prompt_lengths[i]}
 *       tokens + policy span of {@code response_lengths[i]}; {@code forking_tok_schedule}:
 *       prompt context span of width P, then response positions by runs of
 *       {@code attention_mask[P + t]·response_mask[t]}, token signal {@code entropy};
 *       {@code entropy_adv_schedule}: spans by runs of {@code response_mask}, token signals
 *       {@code advantage} and {@code entropy}, param {@code base_advantage = token_signal}.
 *       Params {@code prompt_length}, {@code response_length} dropped (they only size the
 *       reference's padded prompt; see {@link TemporalScheduleEstimator#stepLengths}).</li>
 * </ul>
 */
final class ReasoningGoldenCases {
    static final String RESOURCE = "/golden/reasoning.jsonl";
    static final String PRESET = "reference";

    private ReasoningGoldenCases() {}

    /** One case, adapted. {@code tokenIndex[row][col]} is a global token index or −1. */
    record Case(
            String name,
            String estimator,
            Rollouts batch,
            int[][] tokenIndex,
            Map<String, Object> params,
            Map<String, Object> rawParams,
            JsonNode input,
            JsonNode expected,
            double atol,
            double rtol) {
        boolean close(double want, double got) {
            return GoldenJson.close(want, got, atol, rtol);
        }
    }

    static List<Case> all() {
        return GoldenJson.read(RESOURCE, (c, lineNo) -> adapt(c));
    }

    static Case adapt(JsonNode c) {
        String est = c.get("estimator").asText();
        JsonNode in = c.get("input");
        Map<String, Object> params = params(c.get("params"));
        Adapted a;
        switch (est) {
            case "pure_reward":
                params.remove("return_outcome_reward");
                a = pureReward(in);
                break;
            case "pure":
                a = pure(in, ((Number) params.remove("n_samples_per_prompt")).intValue());
                params.remove("micro_rollout_batch_size");
                break;
            case "ma_rlhf":
                a = maRlhf(in);
                break;
            case "a_grae":
            case "adora":
                GoldenJson.Padded v = GoldenJson.verl(in, "eos_mask", null);
                a = new Adapted(v.batch(), v.tokenIndex());
                break;
            case "adora_vl":
                a = adoraVl(in, ((Number) params.remove("n_samples_per_prompt")).intValue());
                break;
            case "temporal_schedule": {
                params.remove("prompt_length");
                params.remove("response_length");
                String strategy = (String) params.get("strategy");
                if ("tp_schedule".equals(strategy)) a = tp(in);
                else if ("forking_tok_schedule".equals(strategy)) a = forking(in);
                else {
                    a = entropyAdv(in);
                    params.put("base_advantage", "token_signal");
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown estimator " + est);
        }
        return new Case(
                c.get("case").asText(),
                est,
                a.batch,
                a.tokenIndex,
                params,
                params(c.get("params")),
                in,
                c.get("expected"),
                c.path("atol").asDouble(1e-5),
                c.path("rtol").asDouble(1e-4));
    }

    private record Adapted(Rollouts batch, int[][] tokenIndex) {}

    static Map<String, Object> params(JsonNode p) {
        Map<String, Object> out = new LinkedHashMap<>();
        p.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            Object o = v.isIntegralNumber()
                    ? (Object) v.asInt()
                    : v.isNumber() ? (Object) v.asDouble() : v.isBoolean() ? (Object) v.asBoolean() : v.asText();
            out.put(e.getKey(), o);
        });
        return out;
    }

    private static Adapted pureReward(JsonNode in) {
        JsonNode logits = in.get("logits");
        double[][] mask = GoldenJson.matrix(in.get("reward_mask"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[mask.length][];
        int token = 0;
        for (int row = 0; row < mask.length; row++) {
            b.trajectory("row" + row, "row" + row);
            ti[row] = new int[mask[row].length];
            for (int s = 0; s < mask[row].length; s++) {
                boolean real = mask[row][s] != 0;
                b.span(real ? Role.POLICY : Role.CONTEXT, 1);
                if (real) {
                    b.spanSignal(PureSteps.LOGIT0, logits.get(row).get(s).get(0).asDouble());
                    b.spanSignal(PureSteps.LOGIT1, logits.get(row).get(s).get(1).asDouble());
                }
                ti[row][s] = token++;
            }
        }
        return new Adapted(b.build(), ti);
    }

    private static Adapted pure(JsonNode in, int n) {
        double[][] am = GoldenJson.matrix(in.get("action_mask"));
        double[][] sep = GoldenJson.matrix(in.get("separator_mask"));
        double[][] lp = GoldenJson.matrix(in.get("action_log_probs"));
        double[][] ref = GoldenJson.matrix(in.get("ref_log_probs"));
        double[] solved = GoldenJson.vector(in.get("solved"));
        JsonNode logits = in.get("step_logits");
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[am.length][];
        int token = 0;
        for (int i = 0; i < am.length; i++) {
            int width = am[i].length;
            int len = GoldenJson.prefixLength(am[i], "action_mask[" + i + "]");
            b.trajectory("p" + (i / n), "row" + i).outcome(solved[i]);
            int k = 0;
            int begin = 0;
            for (int t = 0; t < len; t++) {
                if (sep[i][t] != 0 || t == len - 1) {
                    b.span(Role.POLICY, t - begin + 1);
                    b.spanSignal(PureSteps.LOGIT0, logits.get(i).get(k).get(0).asDouble());
                    b.spanSignal(PureSteps.LOGIT1, logits.get(i).get(k).get(1).asDouble());
                    k++;
                    begin = t + 1;
                }
            }
            if (k != in.get("num_steps").get(i).asInt()) {
                throw new IllegalArgumentException("row " + i + ": " + k + " steps but num_steps says "
                        + in.get("num_steps").get(i));
            }
            b.span(Role.CONTEXT, width - len);
            b.tokenSignal(Rollouts.LOGPROB, lp[i]).tokenSignal(Rollouts.REF_LOGPROB, ref[i]);
            ti[i] = GoldenJson.consecutive(token, width);
            token += width;
        }
        return new Adapted(b.build(), ti);
    }

    private static Adapted maRlhf(JsonNode in) {
        int p = in.get("prompt_length").asInt();
        double[][] att = GoldenJson.matrix(in.get("attention_mask"));
        double[][] lp = GoldenJson.matrix(in.get("logprobs"));
        double[][] ref = GoldenJson.matrix(in.get("ref_logprobs"));
        double[][] val = GoldenJson.matrix(in.get("values"));
        double[] score = GoldenJson.vector(in.get("reward_score"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[att.length][];
        int token = 0;
        for (int row = 0; row < att.length; row++) {
            int s = att[row].length;
            b.trajectory("row" + row, "row" + row).outcome(score[row]);
            b.span(Role.CONTEXT, p);
            boolean[] valid = new boolean[s];
            for (int j = p; j < s; j++) valid[j] = att[row][j] != 0;
            GoldenJson.spans(b, valid, p, s);
            b.tokenSignal(Rollouts.LOGPROB, shift(lp[row], s))
                    .tokenSignal(Rollouts.REF_LOGPROB, shift(ref[row], s))
                    .tokenSignal(Rollouts.VALUE, shift(val[row], s));
            ti[row] = GoldenJson.consecutive(token + p, s - p);
            token += s;
        }
        return new Adapted(b.build(), ti);
    }

    /** Entry t of a [S−1] array belongs to token t + 1. */
    private static double[] shift(double[] x, int s) {
        double[] out = new double[s];
        System.arraycopy(x, 0, out, 1, s - 1);
        return out;
    }

    private static Adapted adoraVl(JsonNode in, int n) {
        double[] reward = GoldenJson.vector(in.get("reward"));
        double[] len = GoldenJson.vector(in.get("response_length"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[reward.length][1];
        int token = 0;
        for (int i = 0; i < reward.length; i++) {
            int l = (int) len[i];
            if (l != len[i] || l < 0)
                throw new IllegalArgumentException("response_length[" + i + "] must be a whole number >= 0");
            b.trajectory("p" + (i / n), "row" + i).outcome(reward[i]).span(Role.POLICY, l);
            ti[i][0] = l == 0 ? -1 : token;
            token += l;
        }
        return new Adapted(b.build(), ti);
    }

    private static Adapted tp(JsonNode in) {
        double[] pl = GoldenJson.vector(in.get("prompt_lengths"));
        double[] rl = GoldenJson.vector(in.get("response_lengths"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[pl.length][];
        int token = 0;
        for (int i = 0; i < pl.length; i++) {
            b.trajectory("row" + i, "row" + i).span(Role.CONTEXT, (int) pl[i]).span(Role.POLICY, (int) rl[i]);
            ti[i] = GoldenJson.consecutive(token + (int) pl[i], (int) rl[i]);
            token += (int) pl[i] + (int) rl[i];
        }
        return new Adapted(b.build(), ti);
    }

    private static Adapted forking(JsonNode in) {
        int p = in.get("prompt_width").asInt();
        double[][] att = GoldenJson.matrix(in.get("attention_mask"));
        double[][] resp = GoldenJson.matrix(in.get("response_mask"));
        double[][] ent = GoldenJson.matrix(in.get("entropys"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[resp.length][];
        int token = 0;
        for (int i = 0; i < resp.length; i++) {
            int r = resp[i].length;
            b.trajectory("row" + i, "row" + i).span(Role.CONTEXT, p);
            boolean[] valid = new boolean[r];
            for (int t = 0; t < r; t++) valid[t] = att[i][p + t] != 0 && resp[i][t] != 0;
            GoldenJson.spans(b, valid, 0, r);
            double[] e = new double[p + r];
            System.arraycopy(ent[i], 0, e, p, r);
            b.tokenSignal(Rollouts.ENTROPY, e);
            ti[i] = GoldenJson.consecutive(token + p, r);
            token += p + r;
        }
        return new Adapted(b.build(), ti);
    }

    private static Adapted entropyAdv(JsonNode in) {
        double[][] mask = GoldenJson.matrix(in.get("response_mask"));
        double[][] adv = GoldenJson.matrix(in.get("advantages"));
        double[][] ent = GoldenJson.matrix(in.get("entropys"));
        RolloutsBuilder b = Rollouts.builder();
        int[][] ti = new int[mask.length][];
        int token = 0;
        for (int i = 0; i < mask.length; i++) {
            int r = mask[i].length;
            b.trajectory("row" + i, "row" + i);
            GoldenJson.spans(b, GoldenJson.nonZero(mask[i]), 0, r);
            b.tokenSignal(TemporalScheduleEstimator.ADVANTAGE_SIGNAL, adv[i]).tokenSignal(Rollouts.ENTROPY, ent[i]);
            ti[i] = GoldenJson.consecutive(token, r);
            token += r;
        }
        return new Adapted(b.build(), ti);
    }

    /** Estimator ids of the file. */
    static final Set<String> ESTIMATORS =
            Set.of("pure_reward", "pure", "ma_rlhf", "a_grae", "adora", "adora_vl", "temporal_schedule");

    static int[] ints(JsonNode v) {
        return Arrays.stream(GoldenJson.vector(v)).mapToInt(d -> (int) d).toArray();
    }
}
