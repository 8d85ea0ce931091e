package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.estimator.turn.A3Estimator;
import dev.apportion.core.estimator.turn.R3lEstimator;
import dev.apportion.core.estimator.turn.VprEstimator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * What the golden files pin down beyond {@link GoldenConformanceTest}'s pass/fail per case: the
 * published number of cases per estimator and preset of the verl, OpenRLHF/TRL and turn-level
 * files; that the turn-level comparison fails on wrong numbers; VPR in float32 arithmetic; the
 * loss weights of VPR and R³L exactly; and A³'s per-turn scalar advantage (both through
 * {@code Credit.spanAdvantages} and through {@link A3Estimator#components}) and its returns.
 * These checks were the core module's golden tests before the golden readers moved here.
 */
class GoldenFamilyChecksTest {
    private static final String VPR_R3L_A3 = "vpr-r3l-a3.jsonl";
    private static final String A2TGPO_IGPO_GDPO = "a2tgpo-igpo-gdpo.jsonl";
    private static final String MATCHTIR_SIOP = "matchtir-and-siop.jsonl";

    /** Runs every case of {@code file}; fails listing those that did not pass; passes per {@code estimator[preset]}. */
    private static Map<String, Integer> passedPerEstimatorAndPreset(String file) {
        return GoldenFiles.passCounts(
                file, c -> c.estimator() + (c.preset() == null ? "" : "[" + c.preset() + "]"), c -> {});
    }

    @Test
    void verlFilePassesWithThePublishedCountsPerEstimator() {
        assertEquals(
                new TreeMap<>(Map.of(
                        "gae", 4,
                        "gigpo", 24,
                        "gpg", 5,
                        "grpo", 15,
                        "grpo_passk", 5,
                        "opo", 5,
                        "reinforce_plus_plus", 4,
                        "reinforce_plus_plus_baseline", 5,
                        "remax", 2,
                        "rloo", 10)),
                passedPerEstimatorAndPreset("verl-and-gigpo.jsonl"));
    }

    @Test
    void openRlhfAndTrlFilePassesWithThePublishedCountsPerPreset() {
        assertEquals(
                new TreeMap<>(Map.of(
                        "dr_grpo[openrlhf]", 4,
                        "dr_grpo[trl]", 4,
                        "gae[openrlhf]", 4,
                        "grpo[openrlhf]", 4,
                        "grpo[trl]", 12,
                        "reinforce_plus_plus[openrlhf]", 4,
                        "reinforce_plus_plus_baseline[openrlhf]", 4,
                        "rloo[openrlhf]", 4)),
                passedPerEstimatorAndPreset("openrlhf-trl.jsonl"));
    }

    @Test
    void turnFilesPassWithThePublishedCountsPerEstimator() {
        assertEquals(Map.of("matchtir", 4, "siop", 8), passedPerEstimatorAndPreset(MATCHTIR_SIOP));
        assertEquals(Map.of("a2tgpo", 18, "gdpo", 6, "igpo", 9), passedPerEstimatorAndPreset(A2TGPO_IGPO_GDPO));
    }

    /** The turn-level comparison is not vacuous: a wrong parameter or a wrong estimator fails the case. */
    @Test
    void turnCasesFailWithWrongNumbers() {
        EstimatorRegistry reg = EstimatorRegistry.global();
        GoldenCase m = GoldenFiles.load(MATCHTIR_SIOP).get(0);
        CaseResult r = Conformance.run(GoldenFiles.withChangedParams(m, Map.of("turn_gamma", 0.5)), reg);
        assertEquals(CaseResult.Status.FAILED, r.status(), "matchtir with turn_gamma 0.5 must miss the vectors");

        GoldenCase a = GoldenFiles.load(A2TGPO_IGPO_GDPO).get(0);
        r = Conformance.run(GoldenFiles.withChangedParams(a, Map.of("clip_modulation", 0.2)), reg);
        assertEquals(CaseResult.Status.FAILED, r.status(), r.detail());
        assertTrue(r.detail().contains("clip_scale"), r.detail());

        GoldenCase err = GoldenFiles.load(A2TGPO_IGPO_GDPO).stream()
                .filter(c -> c.expectedError() != null)
                .findFirst()
                .orElseThrow();
        r = Conformance.run(GoldenFiles.forEstimator(err, "igpo"), reg);
        assertEquals(CaseResult.Status.FAILED, r.status(), "an estimator that accepts the error case must fail it");
    }

    /** Where the reference writes {@code clip_scale: null}, the estimator must not invent one. */
    @Test
    void whereTheReferenceHasNoClipScaleTheEstimatorGivesNone() {
        int seen = 0;
        for (GoldenCase c : GoldenFiles.load(A2TGPO_IGPO_GDPO)) {
            if (!c.expected().has("clip_scale")
                    || !c.expected().get("clip_scale").isNull()) continue;
            seen++;
            assertNull(run(c).credit().clipScales(), c.name());
        }
        assertEquals(12, seen, "a2tgpo cases without clip_scale");
    }

    /** The golden vectors avoid float32 artefacts, so VPR passes them in both arithmetics. */
    @TestFactory
    List<DynamicTest> vprCasesPassInFloat32Arithmetic() {
        List<DynamicTest> out = new ArrayList<>();
        for (GoldenCase c : GoldenFiles.load(VPR_R3L_A3)) {
            if (!c.estimator().equals(VprEstimator.ID)) continue;
            GoldenCase f32 = GoldenFiles.withChangedParams(c, Map.of("arithmetic", "float32"));
            out.add(DynamicTest.dynamicTest(c.name() + " [float32]", () -> {
                CaseResult r = Conformance.run(f32, EstimatorRegistry.global());
                assertEquals(CaseResult.Status.PASSED, r.status(), r.detail());
            }));
        }
        assertEquals(6, out.size());
        return out;
    }

    /** VPR's response mask and R³L's action mask after the call are the loss weights, to the bit. */
    @Test
    void lossWeightsAreExactlyTheReferenceMasks() {
        int seen = 0;
        for (GoldenCase c : GoldenFiles.load(VPR_R3L_A3)) {
            String mask;
            if (c.estimator().equals(VprEstimator.ID)) mask = "response_mask";
            else if (c.estimator().equals(R3lEstimator.ID)) mask = "action_mask";
            else continue;
            seen++;
            Ran ran = run(c);
            JsonNode want = c.expected().get(mask);
            JsonNode kept = c.expected().get("kept");
            int[][] ti = ran.adapted().tokenIndex();
            for (int r = 0; r < ti.length; r++) {
                boolean isKept = kept == null || kept.isNull() || kept.get(r).asBoolean();
                if (!isKept) {
                    JsonNode adv = c.expected().get("advantages");
                    assertTrue(adv.get(r).isNull(), c.name() + ": dropped row " + r + " has expected advantages");
                    continue;
                }
                for (int j = 0; j < ti[r].length; j++) {
                    assertEquals(
                            want.get(r).get(j).asDouble(),
                            ran.credit().lossWeights()[ti[r][j]],
                            0.0,
                            c.name() + ": " + mask + "[" + r + "][" + j + "]");
                }
            }
        }
        assertEquals(16, seen, "vpr 6 + r3l 10");
    }

    /**
     * A³: every row's {@code scalar_adv} is the span advantage of its turn and the scalar
     * advantage of {@link A3Estimator#components}; the returns are the advantages.
     */
    @TestFactory
    List<DynamicTest> a3ScalarAdvantagesAndReturns() {
        List<DynamicTest> out = new ArrayList<>();
        for (GoldenCase c : GoldenFiles.load(VPR_R3L_A3)) {
            if (!c.estimator().equals(A3Estimator.ID)) continue;
            out.add(DynamicTest.dynamicTest(c.name(), () -> {
                Ran ran = run(c);
                Credit credit = ran.credit();
                AdaptedCase a = ran.adapted();
                assertNotNull(credit.spanAdvantages(), "a3 gives span advantages");
                assertArrayEquals(credit.advantages(), credit.returns(), c.name() + ": returns are the advantages");
                int rows = a.tokenIndex().length;
                int[] rowSpan = AgenticTurnAdapter.rowSpans(
                        a.batch(), GoldenInputs.groupRows(GoldenInputs.strings(c, "traj_uid")), rows);
                A3Estimator a3 = (A3Estimator) ran.estimator().unwrap();
                A3Estimator.Components comp = a3.components(a.batch(), ran.params(), Execution.sequential());
                Map<Integer, Integer> turnOfSpan = new TreeMap<>();
                for (int k = 0; k < comp.spans().length; k++) turnOfSpan.put(comp.spans()[k], k);
                JsonNode want = c.expected().get("scalar_adv");
                assertEquals(rows, want.size(), c.name() + ": rows of scalar_adv");
                Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
                for (int r = 0; r < rows; r++) {
                    Integer k = turnOfSpan.get(rowSpan[r]);
                    assertNotNull(k, c.name() + ": row " + r + " is no turn");
                    tr.value("scalar_adv(components)", r, 0, want.get(r).asDouble(), comp.scalarAdvantage()[k]);
                    tr.value("span_advantages", r, 0, want.get(r).asDouble(), credit.spanAdvantages()[rowSpan[r]]);
                }
                Comparison.Result res = tr.result();
                assertTrue(res.passed(), c.name() + ": " + res.detail());
                assertEquals(2 * rows, res.compared());
            }));
        }
        assertEquals(6, out.size());
        return out;
    }

    /** A case run through its adapter and the registry. */
    record Ran(AdaptedCase adapted, Estimator estimator, Params params, Credit credit) {}

    static Ran run(GoldenCase c) {
        AdaptedCase a = GoldenAdapters.find(c, GoldenAdapters.all()).adapt(c);
        Estimator e = EstimatorRegistry.global().get(a.estimator());
        Params p = Params.resolve(e.descriptor(), a.preset(), a.params());
        return new Ran(a, e, p, e.assign(a.batch(), p));
    }
}
