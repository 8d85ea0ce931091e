package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.step.PureRewardEstimator;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The intermediate arrays of {@code reasoning.jsonl} that {@link ReasoningAdapter}'s comparison
 * leaves out, reproduced through the public estimators on the adapter's batches (preset
 * {@code reference}): PURE's advantages and returns at every position (padding included), its
 * step ends, process and outcome rewards (through {@code pure_reward} on the same steps), shaped
 * rewards and KL (through differences of returns with and without the KL term); RLVR-Schedule's
 * tp masks (loss weights, {@code prompt_mask}, {@code response_mask},
 * {@code response_attention_mask}). MA-RLHF's macro arrays are checked by
 * {@code dev.apportion.core.estimator.segment.MaRlhfMacrosGoldenTest} (package-private API).
 */
class ReasoningIntermediatesTest {
    private static final String FILE = "reasoning.jsonl";

    @TestFactory
    List<DynamicTest> pureIntermediates() {
        List<DynamicTest> out = new ArrayList<>();
        for (GoldenCase c : GoldenFiles.load(FILE)) {
            if (c.estimator().equals("pure")) out.add(DynamicTest.dynamicTest(c.name(), () -> pure(c)));
        }
        assertEquals(5, out.size());
        return out;
    }

    @TestFactory
    List<DynamicTest> tpScheduleMasks() {
        List<DynamicTest> out = new ArrayList<>();
        for (GoldenCase c : GoldenFiles.load(FILE)) {
            if (c.estimator().equals(TemporalScheduleEstimator.ID)
                    && "tp_schedule".equals(c.params().get("strategy")))
                out.add(DynamicTest.dynamicTest(c.name(), () -> tpSchedule(c)));
        }
        assertTrue(out.size() > 0, "tp_schedule cases");
        return out;
    }

    /** The reasoning layouts' batch and estimator call, and a way to rerun with other parameters. */
    private record Run(GoldenCase c, AdaptedCase a) {
        static Run of(GoldenCase c) {
            return new Run(c, GoldenAdapters.find(c, GoldenAdapters.all()).adapt(c));
        }

        Credit credit(Map<String, Object> overrides) {
            Estimator e = EstimatorRegistry.global().get(a.estimator());
            Map<String, Object> p = new HashMap<>(a.params());
            p.putAll(overrides);
            return e.assign(a.batch(), Params.resolve(e.descriptor(), a.preset(), p));
        }

        void value(String where, double want, double got) {
            if (Math.abs(got - want) > c.atol() + c.rtol() * Math.abs(want))
                throw new AssertionError(c.name() + ": " + where + " want " + want + " got " + got);
        }

        /** {@code want[row][col]} against {@code got} at every padded position, context tokens included. */
        void everyPosition(String what, JsonNode want, float[] got) {
            int[][] ti = a.tokenIndex();
            assertEquals(ti.length, want.size(), c.name() + ": rows of " + what);
            for (int row = 0; row < ti.length; row++) {
                assertEquals(ti[row].length, want.get(row).size(), c.name() + ": width of " + what + "[" + row + "]");
                for (int col = 0; col < ti[row].length; col++)
                    value(
                            what + "[" + row + "][" + col + "]",
                            want.get(row).get(col).asDouble(),
                            got[ti[row][col]]);
            }
        }
    }

    private static void pure(GoldenCase c) {
        Run run = Run.of(c);
        JsonNode e = c.expected();
        Credit credit = run.credit(Map.of());
        run.everyPosition("advantages", e.get("advantages"), credit.advantages());
        run.everyPosition("returns", e.get("returns"), credit.returns());
        Rollouts b = run.a().batch();
        int[][] ti = run.a().tokenIndex();
        // step ends = the last token of every policy span
        for (int row = 0; row < ti.length; row++) {
            for (int col = 0; col < ti[row].length; col++) {
                boolean end = false;
                for (int s = b.spanStart(row); s < b.spanEnd(row); s++)
                    end |= b.isPolicySpan(s) && b.spanTokenEnd(s) - 1 == ti[row][col];
                assertEquals(
                        e.get("step_end_mask").get(row).get(col).asInt(),
                        end ? 1 : 0,
                        c.name() + ": step_end_mask[" + row + "][" + col + "]");
            }
        }
        // process and outcome rewards: pure_reward on the same steps
        Estimator pr = EstimatorRegistry.global().get(PureRewardEstimator.ID);
        Map<String, Object> prParams = new HashMap<>();
        prParams.put("temperature", c.params().get("temperature"));
        prParams.put("disable_weighted_reward", c.params().get("disable_weighted_reward"));
        Credit steps = pr.assign(b, Params.resolve(pr.descriptor(), ReasoningAdapter.PRESET, prParams));
        boolean prm = ((String) c.params().get("reward_mode")).contains("PRM");
        for (int row = 0; row < ti.length; row++) {
            double outcome = 0;
            for (int s = b.spanStart(row); s < b.spanEnd(row); s++) {
                if (!b.isPolicySpan(s)) continue;
                double next = s + 1 < b.spanEnd(row) && b.isPolicySpan(s + 1) ? steps.spanAdvantages()[s + 1] : 0;
                double p = prm ? steps.spanAdvantages()[s] - next : 0;
                int col = b.spanTokenEnd(s) - 1 - b.tokenStart(row);
                run.value(
                        "process_reward[" + row + "][" + col + "]",
                        e.get("process_reward").get(row).get(col).asDouble(),
                        p);
                if (s == b.spanStart(row)) outcome = prm ? steps.spanAdvantages()[s] : 0;
            }
            run.value(
                    "outcome_reward[" + row + "]",
                    e.get("outcome_reward").get(row).asDouble(),
                    outcome);
        }
        // shaped rewards: returns without KL, masking and whitening; KL: the difference made by beta = 1
        Map<String, Object> plain =
                Map.of("nomask_separator_adv", true, "disable_advantage_normalization", true, "init_kl_coef", 0.0);
        Map<String, Object> kl = new HashMap<>(plain);
        kl.put("init_kl_coef", 1.0);
        Credit shaped = run.credit(plain);
        Credit withKl = run.credit(kl);
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
                String at = "[" + row + "][" + col + "]";
                run.value(
                        "shaped_reward" + at,
                        e.get("shaped_reward").get(row).get(col).asDouble(),
                        r0);
                run.value("kl" + at, e.get("kl").get(row).get(col).asDouble(), r0 - r1);
            }
        }
    }

    private static void tpSchedule(GoldenCase c) {
        Run run = Run.of(c);
        JsonNode e = c.expected();
        Credit credit = run.credit(Map.of());
        double rho = credit.diagnostics().get("prefix_ratio");
        int[] lengths = TemporalScheduleEstimator.stepLengths(
                ((Number) c.params().get("prompt_length")).intValue(),
                ((Number) c.params().get("response_length")).intValue(),
                rho);
        int[][] ti = run.a().tokenIndex();
        for (int row = 0; row < ti.length; row++) {
            int prefix = 0;
            for (int t : ti[row]) if (credit.lossWeights()[t] == 0f) prefix++;
            for (int k = 0; k < ti[row].length; k++) {
                assertEquals(
                        k < prefix ? 0f : 1f,
                        credit.lossWeights()[ti[row][k]],
                        0f,
                        c.name() + ": loss weight of response token " + k);
            }
            // the reference's masks: prompt_mask = left-padded [0]*prompt + [1]*prefix; response masks = 1 for L -
            // prefix
            int pl = c.input().get("prompt_lengths").get(row).asInt();
            JsonNode pm = e.get("prompt_mask").get(row);
            assertEquals(lengths[0], pm.size(), c.name() + ": prompt_mask width");
            for (int k = 0; k < pm.size(); k++) {
                assertEquals(
                        k >= pm.size() - prefix ? 1 : 0,
                        pm.get(k).asInt(),
                        c.name() + ": prompt_mask[" + row + "][" + k + "]");
            }
            assertTrue(pl + prefix <= lengths[0], c.name() + ": prompt fits");
            for (String f : new String[] {"response_mask", "response_attention_mask"}) {
                JsonNode rm = e.get(f).get(row);
                assertEquals(lengths[1], rm.size(), c.name() + ": " + f + " width");
                for (int k = 0; k < rm.size(); k++) {
                    assertEquals(
                            k < ti[row].length - prefix ? 1 : 0,
                            rm.get(k).asInt(),
                            c.name() + ": " + f + "[" + row + "][" + k + "]");
                }
            }
        }
    }
}
