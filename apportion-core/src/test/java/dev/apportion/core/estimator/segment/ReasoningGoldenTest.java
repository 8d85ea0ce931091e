package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.step.PureRewardEstimator;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.estimator.trajectory.AdoraVlEstimator;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of {@code golden/reasoning.jsonl} (produced by running the authors' code on CPU
 * float32; see {@link ReasoningGoldenCases}) through the registry with preset
 * {@code reference}. Besides the credit (advantages, returns, loss weights, diagnostics) the
 * reference's intermediate arrays are checked where apportion can reproduce them: PURE's
 * process rewards, outcome rewards, KL and shaped rewards (through differences of returns of
 * the public estimators), MA-RLHF's macro boundaries, lengths, values, rewards, advantages and
 * returns, ADORA-VL's weights, RLVR-Schedule's masks and budgets.
 */
class ReasoningGoldenTest {
    private static final Map<String, Integer> PUBLIC_CASES = Map.of(
            "pure_reward", 5, "pure", 5, "ma_rlhf", 5, "a_grae", 4, "adora", 4, "adora_vl", 5, "temporal_schedule", 7);

    @Test
    void everyCaseIsReadAndEveryEstimatorIsRegistered() {
        Map<String, Integer> counts = new TreeMap<>();
        for (ReasoningGoldenCases.Case c : ReasoningGoldenCases.all()) counts.merge(c.estimator(), 1, Integer::sum);
        assertEquals(new TreeMap<>(PUBLIC_CASES), counts);
        for (String id : PUBLIC_CASES.keySet()) {
            Estimator e = EstimatorRegistry.global().get(id);
            assertNotNull(e.descriptor().presets().get(ReasoningGoldenCases.PRESET), id + " has a reference preset");
        }
    }

    @TestFactory
    List<DynamicTest> goldenCasesMatchTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ReasoningGoldenCases.Case c : ReasoningGoldenCases.all()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
        }
        return tests;
    }

    /** Cases whose numbers depend on a reference quirk that the corrected defaults fix. */
    private static final List<String> QUIRK_CASES = List.of(
            "public/pure/vr_only_kl0_zero_rows_excluded",
            "public/ma_rlhf/duplicate_last_boundary_empty_macro",
            "public/ma_rlhf/padded_response_reward_masked_out",
            "public/ma_rlhf/ngram1_is_token_level_gae",
            "public/a_grae/singleton_group_mean0_std1_quirk",
            "public/adora/singletons_raw_score_interleaved",
            "public/adora_vl/truncated_negatives_inf_mean_and_tie");

    @TestFactory
    List<DynamicTest> correctedDefaultsDepartFromTheReferenceOnQuirkCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ReasoningGoldenCases.Case c : ReasoningGoldenCases.all()) {
            if (!QUIRK_CASES.contains(c.name())) continue;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(
                        AssertionError.class,
                        () -> check(c, null),
                        "the corrected defaults reproduce the reference's quirk");
                assertNotNull(e.getMessage());
            }));
        }
        assertEquals(QUIRK_CASES.size(), tests.size(), "every quirk case is in the file");
        return tests;
    }

    private static Credit run(ReasoningGoldenCases.Case c, String preset, Map<String, Object> overrides) {
        Estimator e = EstimatorRegistry.global().get(c.estimator());
        Map<String, Object> p = new HashMap<>(c.params());
        p.putAll(overrides);
        return e.assign(c.batch(), Params.resolve(e.descriptor(), preset, p));
    }

    private static Credit run(ReasoningGoldenCases.Case c, Map<String, Object> overrides) {
        return run(c, ReasoningGoldenCases.PRESET, overrides);
    }

    static void check(ReasoningGoldenCases.Case c) {
        check(c, ReasoningGoldenCases.PRESET);
    }

    static void check(ReasoningGoldenCases.Case c, String preset) {
        Credit credit = run(c, preset, Map.of());
        switch (c.estimator()) {
            case "pure_reward":
                pureReward(c, credit);
                break;
            case "pure":
                pure(c, credit);
                break;
            case "ma_rlhf":
                maRlhf(c, credit);
                break;
            case "a_grae":
            case "adora":
                tokens(c, "advantages", c.expected().get("advantages"), credit.advantages(), true, false);
                break;
            case "adora_vl":
                adoraVl(c, credit);
                break;
            default:
                temporal(c, credit);
                break;
        }
    }

    /** Compares {@code want[row][col]} with {@code got[tokenIndex[row][col]]}; off-policy positions must be 0 when asked. */
    private static void tokens(
            ReasoningGoldenCases.Case c,
            String what,
            JsonNode want,
            float[] got,
            boolean zeroOffPolicy,
            boolean comparePadding) {
        byte[] mask = c.batch().mask();
        assertEquals(c.tokenIndex().length, want.size(), c.name() + ": rows of " + what);
        for (int row = 0; row < c.tokenIndex().length; row++) {
            int[] ti = c.tokenIndex()[row];
            assertEquals(ti.length, want.get(row).size(), c.name() + ": width of " + what + "[" + row + "]");
            for (int col = 0; col < ti.length; col++) {
                int t = ti[col];
                double w = want.get(row).get(col).asDouble();
                if (mask[t] == 1 || comparePadding) value(c, what + "[" + row + "][" + col + "]", w, got[t]);
                else if (zeroOffPolicy && got[t] != 0f)
                    fail(c.name() + ": " + what + "[" + row + "][" + col + "] is a context token but got " + got[t]);
            }
        }
    }

    private static void value(ReasoningGoldenCases.Case c, String where, double want, double got) {
        if (!c.close(want, got)) fail(c.name() + ": " + where + " want " + want + " got " + got);
    }

    // ---- PURE ------------------------------------------------------------------------------

    private static void pureReward(ReasoningGoldenCases.Case c, Credit credit) {
        JsonNode pr = c.expected().get("process_reward");
        JsonNode outcome = c.expected().get("outcome_reward");
        float[] g = credit.returns();
        byte[] mask = c.batch().mask();
        for (int row = 0; row < c.tokenIndex().length; row++) {
            int[] ti = c.tokenIndex()[row];
            int first = -1;
            for (int s = 0; s < ti.length; s++) {
                if (mask[ti[s]] == 0) {
                    value(
                            c,
                            "process_reward[" + row + "][" + s + "] (masked slot)",
                            pr.get(row).get(s).asDouble(),
                            credit.advantages()[ti[s]]);
                    continue;
                }
                if (first < 0) first = s;
                int next = s + 1;
                while (next < ti.length && mask[ti[next]] == 0) next++;
                double later = next < ti.length ? g[ti[next]] : 0;
                value(
                        c,
                        "process_reward[" + row + "][" + s + "] = G_s - G_next",
                        pr.get(row).get(s).asDouble(),
                        g[ti[s]] - later);
            }
            value(c, "outcome_reward[" + row + "] = G_first", outcome.get(row).asDouble(), g[ti[first]]);
        }
    }

    private static void pure(ReasoningGoldenCases.Case c, Credit credit) {
        JsonNode e = c.expected();
        tokens(c, "advantages", e.get("advantages"), credit.advantages(), true, true);
        tokens(c, "returns", e.get("returns"), credit.returns(), true, true);
        Rollouts b = c.batch();
        // step ends = last token of every policy span
        int[][] ti = c.tokenIndex();
        for (int row = 0; row < ti.length; row++) {
            for (int col = 0; col < ti[row].length; col++) {
                int t = ti[row][col];
                boolean end = false;
                for (int s = b.spanStart(row); s < b.spanEnd(row); s++) {
                    if (b.isPolicySpan(s) && b.spanTokenEnd(s) - 1 == t) end = true;
                }
                assertEquals(
                        e.get("step_end_mask").get(row).get(col).asInt(),
                        end ? 1 : 0,
                        c.name() + ": step_end_mask[" + row + "][" + col + "]");
            }
        }
        // process and outcome rewards: pure_reward on the same steps
        Estimator pr = EstimatorRegistry.global().get(PureRewardEstimator.ID);
        Credit steps = pr.assign(
                b,
                Params.resolve(
                        pr.descriptor(),
                        ReasoningGoldenCases.PRESET,
                        Map.of(
                                "temperature",
                                c.params().get("temperature"),
                                "disable_weighted_reward",
                                c.params().get("disable_weighted_reward"))));
        boolean prm = ((String) c.params().get("reward_mode")).contains("PRM");
        for (int row = 0; row < ti.length; row++) {
            double outcome = 0;
            for (int s = b.spanStart(row); s < b.spanEnd(row); s++) {
                if (!b.isPolicySpan(s)) continue;
                int end = b.spanTokenEnd(s) - 1;
                double next = s + 1 < b.spanEnd(row) && b.isPolicySpan(s + 1) ? steps.spanAdvantages()[s + 1] : 0;
                double p = prm ? steps.spanAdvantages()[s] - next : 0;
                int col = end - b.tokenStart(row);
                value(
                        c,
                        "process_reward[" + row + "][" + col + "]",
                        e.get("process_reward").get(row).get(col).asDouble(),
                        p);
                if (s == b.spanStart(row)) outcome = prm ? steps.spanAdvantages()[s] : 0;
            }
            value(
                    c,
                    "outcome_reward[" + row + "]",
                    e.get("outcome_reward").get(row).asDouble(),
                    outcome);
        }
        // shaped rewards: returns without KL, masking and whitening; KL: the difference made by beta = 1
        Credit shaped = run(
                c, Map.of("init_kl_coef", 0.0, "nomask_separator_adv", true, "disable_advantage_normalization", true));
        Credit withKl = run(
                c, Map.of("init_kl_coef", 1.0, "nomask_separator_adv", true, "disable_advantage_normalization", true));
        for (int row = 0; row < ti.length; row++) {
            for (int col = 0; col < ti[row].length; col++) {
                int t = ti[row][col];
                boolean last = col + 1 == ti[row].length || b.mask()[ti[row][col + 1]] == 0;
                double r0 = shaped.returns()[t] - (last ? 0 : shaped.returns()[ti[row][col + 1]]);
                double r1 = withKl.returns()[t] - (last ? 0 : withKl.returns()[ti[row][col + 1]]);
                if (b.mask()[t] == 0) {
                    r0 = 0;
                    r1 = 0;
                }
                value(
                        c,
                        "shaped_reward[" + row + "][" + col + "]",
                        e.get("shaped_reward").get(row).get(col).asDouble(),
                        r0);
                value(
                        c,
                        "kl[" + row + "][" + col + "]",
                        e.get("kl").get(row).get(col).asDouble(),
                        r0 - r1);
            }
        }
    }

    // ---- MA-RLHF ---------------------------------------------------------------------------

    private static void maRlhf(ReasoningGoldenCases.Case c, Credit credit) {
        JsonNode e = c.expected();
        tokens(c, "token_advantages", e.get("token_advantages"), credit.advantages(), true, false);
        tokens(c, "token_returns", e.get("token_returns"), credit.returns(), true, false);
        Rollouts b = c.batch();
        MaRlhfEstimator est = (MaRlhfEstimator)
                EstimatorRegistry.global().get(MaRlhfEstimator.ID).unwrap();
        Params p = Params.resolve(est.descriptor(), ReasoningGoldenCases.PRESET, c.params());
        MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(p);
        MaRlhfEstimator.Inputs in = MaRlhfEstimator.Inputs.of(b, cfg);
        for (int row = 0; row < b.trajectoryCount(); row++) {
            MaRlhfEstimator.Macros m = MaRlhfEstimator.macros(b, in, cfg, row);
            // DeepSpeed-Chat position t scores token t + 1
            int offset = b.tokenStart(row) + 1;
            int[] bounds = new int[m.boundaries().length];
            for (int j = 0; j < bounds.length; j++) bounds[j] = m.boundaries()[j] - offset;
            assertEquals(
                    list(ReasoningGoldenCases.ints(e.get("macro_boundaries"))),
                    list(bounds),
                    c.name() + ": macro_boundaries");
            assertEquals(
                    list(ReasoningGoldenCases.ints(e.get("macro_lengths"))),
                    list(m.lengths()),
                    c.name() + ": macro_lengths");
            macro(c, "macro_values", e.get("macro_values").get(row), m.values());
            macro(c, "macro_rewards", e.get("macro_rewards").get(row), m.rewards());
            macro(c, "advantages", e.get("advantages").get(row), m.advantages());
            macro(c, "returns", e.get("returns").get(row), m.returns());
            JsonNode tr = e.get("token_rewards").get(row);
            for (int k = 0; k < m.tokenRewards().length; k++) {
                int pos = m.regionStart() - offset + k;
                value(c, "token_rewards[" + row + "][" + pos + "]", tr.get(pos).asDouble(), m.tokenRewards()[k]);
            }
        }
    }

    private static void macro(ReasoningGoldenCases.Case c, String what, JsonNode want, double[] got) {
        assertEquals(want.size(), got.length, c.name() + ": number of " + what);
        for (int j = 0; j < got.length; j++)
            value(c, what + "[" + j + "]", want.get(j).asDouble(), got[j]);
    }

    private static List<Integer> list(int[] a) {
        List<Integer> out = new ArrayList<>();
        for (int x : a) out.add(x);
        return out;
    }

    // ---- ADORA-VL --------------------------------------------------------------------------

    private static void adoraVl(ReasoningGoldenCases.Case c, Credit credit) {
        JsonNode e = c.expected();
        Rollouts b = c.batch();
        for (int row = 0; row < b.trajectoryCount(); row++) {
            int t = c.tokenIndex()[row][0];
            if (t >= 0)
                value(
                        c,
                        "shaped_reward[" + row + "]",
                        e.get("shaped_reward").get(row).asDouble(),
                        credit.advantages()[t]);
        }
        double[] w = AdoraVlEstimator.groupWeights(
                b, b.scores(), ((Number) c.params().get("adora_lamda")).doubleValue(), 0.5, 4094, true);
        for (int row = 0; row < b.trajectoryCount(); row++) {
            value(c, "weights[" + row + "]", e.get("weights").get(row).asDouble(), w[b.trajectoryGroup(row)]);
        }
    }

    // ---- RLVR-Schedule ---------------------------------------------------------------------

    private static void temporal(ReasoningGoldenCases.Case c, Credit credit) {
        JsonNode e = c.expected();
        assertEquals(
                e.get("min_schedule_step").asInt(),
                credit.diagnostics().get("min_schedule_step").intValue(),
                c.name() + ": min step");
        assertEquals(
                e.get("max_schedule_step").asInt(),
                credit.diagnostics().get("max_schedule_step").intValue(),
                c.name() + ": max step");
        double rho = credit.diagnostics().get("prefix_ratio");
        value(c, "prefix_ratio", e.get("prefix_ratio").asDouble(), rho);
        String strategy = (String) c.params().get("strategy");
        Rollouts b = c.batch();
        if ("tp_schedule".equals(strategy)) {
            JsonNode in = c.input();
            int[] lengths = TemporalScheduleEstimator.stepLengths(
                    ((Number) paramOf(c, "prompt_length")).intValue(),
                    ((Number) paramOf(c, "response_length")).intValue(),
                    rho);
            assertEquals(e.get("step_prompt_length").asInt(), lengths[0], c.name() + ": step_prompt_length");
            assertEquals(e.get("step_response_length").asInt(), lengths[1], c.name() + ": step_response_length");
            for (int row = 0; row < b.trajectoryCount(); row++) {
                int[] ti = c.tokenIndex()[row];
                int prefix = 0;
                for (int t : ti) if (credit.lossWeights()[t] == 0f) prefix++;
                assertEquals(
                        e.get("prefix_length").get(row).asInt(), prefix, c.name() + ": prefix_length[" + row + "]");
                for (int k = 0; k < ti.length; k++) {
                    assertEquals(
                            k < prefix ? 0f : 1f,
                            credit.lossWeights()[ti[k]],
                            0f,
                            c.name() + ": loss weight of response token " + k);
                }
                // the reference's masks: prompt_mask = left-padded [0]*prompt + [1]*prefix; response_mask = 1 for L -
                // prefix
                int pl = in.get("prompt_lengths").get(row).asInt();
                JsonNode pm = e.get("prompt_mask").get(row);
                assertEquals(lengths[0], pm.size(), c.name() + ": prompt_mask width");
                for (int k = 0; k < pm.size(); k++) {
                    assertEquals(
                            k >= pm.size() - prefix ? 1 : 0,
                            pm.get(k).asInt(),
                            c.name() + ": prompt_mask[" + row + "][" + k + "]");
                }
                assertEquals(true, pl + prefix <= lengths[0], c.name() + ": prompt fits");
                for (String f : new String[] {"response_mask", "response_attention_mask"}) {
                    JsonNode rm = e.get(f).get(row);
                    assertEquals(lengths[1], rm.size(), c.name() + ": " + f + " width");
                    for (int k = 0; k < rm.size(); k++) {
                        assertEquals(
                                k < ti.length - prefix ? 1 : 0,
                                rm.get(k).asInt(),
                                c.name() + ": " + f + "[" + row + "][" + k + "]");
                    }
                }
            }
        } else if ("forking_tok_schedule".equals(strategy)) {
            JsonNode rm = e.get("response_mask");
            for (int row = 0; row < b.trajectoryCount(); row++) {
                int[] ti = c.tokenIndex()[row];
                for (int k = 0; k < ti.length; k++) {
                    assertEquals(
                            rm.get(row).get(k).asDouble(),
                            credit.lossWeights()[ti[k]],
                            0.0,
                            c.name() + ": response_mask[" + row + "][" + k + "]");
                }
            }
        } else {
            tokens(c, "advantages", e.get("advantages"), credit.advantages(), true, false);
        }
    }

    /** A parameter the adapter dropped, read back from the case. */
    private static Object paramOf(ReasoningGoldenCases.Case c, String name) {
        Object v = c.rawParams().get(name);
        if (v == null) throw new IllegalStateException(c.name() + " has no parameter " + name);
        return v;
    }
}
