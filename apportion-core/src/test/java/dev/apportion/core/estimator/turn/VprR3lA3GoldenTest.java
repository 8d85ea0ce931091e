package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.testing.GoldenJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of {@code vpr-r3l-a3.jsonl} against the registered estimators, comparing all
 * that the file pins down: advantages at every position, the mask after the call (loss
 * weights), VPR's skipped rows, R³L's dropped rows, and A³'s per-turn intermediates and debug
 * metrics.
 */
class VprR3lA3GoldenTest {
    /** Published cases per estimator. */
    private static final Map<String, Integer> EXPECTED =
            Map.of(VprEstimator.ID, 6, R3lEstimator.ID, 10, A3Estimator.ID, 6);

    @Test
    void everyPublishedCaseIsReadAndEveryEstimatorIsRegistered() {
        Map<String, Integer> count = new LinkedHashMap<>();
        for (VprR3lA3GoldenCases.Case c : VprR3lA3GoldenCases.read()) count.merge(c.estimator(), 1, Integer::sum);
        assertEquals(EXPECTED, count);
        for (String id : EXPECTED.keySet())
            assertTrue(EstimatorRegistry.global().has(id), id);
    }

    static Stream<DynamicTest> cases(String estimator) {
        List<DynamicTest> out = new ArrayList<>();
        for (VprR3lA3GoldenCases.Case c : VprR3lA3GoldenCases.read()) {
            if (estimator.equals(c.estimator())) out.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
        }
        return out.stream();
    }

    @TestFactory
    Stream<DynamicTest> allCases() {
        return Stream.of(VprEstimator.ID, R3lEstimator.ID, A3Estimator.ID).flatMap(VprR3lA3GoldenTest::cases);
    }

    static void check(VprR3lA3GoldenCases.Case c) {
        VprR3lA3GoldenCases.Built b = VprR3lA3GoldenCases.build(c);
        Estimator est = EstimatorRegistry.global().get(c.estimator());
        Params p = Params.resolve(est.descriptor(), null, b.params());
        Credit credit = est.assign(b.batch(), p);
        Tolerance tol = new Tolerance(c.name(), c.atol(), c.rtol());
        JsonNode want = c.expected();
        switch (c.estimator()) {
            case VprEstimator.ID: {
                tol.rows("advantages", want.get("advantages"), credit.advantages(), b.tokenIndex());
                tol.rowsExact("response_mask", want.get("response_mask"), credit.lossWeights(), b.tokenIndex());
                JsonNode skip = want.get("vpr_skip_loss");
                if (skip != null && !skip.isNull()) {
                    int trueCount = 0;
                    for (int r = 0; r < skip.size(); r++) {
                        if (skip.get(r).asBoolean()) trueCount++;
                        if (b.tokenIndex()[r].length == 0) continue;
                        int s = b.rowSpan()[r];
                        if (b.batch().spanTokenEnd(s) == b.batch().spanTokenStart(s)) continue;
                        boolean skipped = credit.lossWeights()[b.batch().spanTokenStart(s)] == 0f;
                        assertEquals(skip.get(r).asBoolean(), skipped, c.name() + ": vpr_skip_loss[" + r + "]");
                    }
                    assertEquals(
                            trueCount,
                            credit.diagnostics().get("skipped_turns").intValue(),
                            c.name() + ": skipped turns");
                }
                break;
            }
            case R3lEstimator.ID: {
                JsonNode kept = want.get("kept");
                JsonNode adv = want.get("advantages");
                for (int r = 0; r < b.tokenIndex().length; r++) {
                    boolean isKept =
                            kept == null || kept.isNull() || kept.get(r).asBoolean();
                    for (int j = 0; j < b.tokenIndex()[r].length; j++) {
                        int t = b.tokenIndex()[r][j];
                        if (!isKept) {
                            assertEquals(
                                    0f, credit.lossWeights()[t], c.name() + ": dropped row " + r + " has loss weight");
                            assertEquals(
                                    0f, credit.advantages()[t], c.name() + ": dropped row " + r + " has advantage");
                            continue;
                        }
                        assertEquals(
                                want.get("action_mask").get(r).get(j).asDouble(),
                                credit.lossWeights()[t],
                                0.0,
                                c.name() + ": action_mask[" + r + "][" + j + "]");
                        if (adv != null && !adv.isNull()) {
                            tol.value("advantages", r, j, adv.get(r).get(j).asDouble(), credit.advantages()[t]);
                        }
                    }
                    if (!isKept)
                        assertTrue(adv.get(r).isNull(), c.name() + ": dropped row " + r + " has expected advantages");
                }
                break;
            }
            default: {
                tol.rows("advantages", want.get("advantages"), credit.advantages(), b.tokenIndex());
                A3Estimator a3 = (A3Estimator) est.unwrap();
                A3Estimator.Components comp = a3.components(b.batch(), p, Execution.sequential());
                Map<Integer, Integer> turnOfSpan = new LinkedHashMap<>();
                for (int k = 0; k < comp.spans().length; k++) turnOfSpan.put(comp.spans()[k], k);
                Map<String, double[]> terms = Map.of(
                        "scalar_adv",
                        comp.scalarAdvantage(),
                        "backbone",
                        comp.backbone(),
                        "trie_residual",
                        comp.trieResidual(),
                        "trie_bounded",
                        comp.trieBounded(),
                        "tree_return",
                        comp.treeReturn(),
                        "tree_support",
                        comp.treeSupport());
                for (Map.Entry<String, double[]> e : terms.entrySet()) {
                    JsonNode w = want.get(e.getKey());
                    assertNotNull(w, e.getKey());
                    for (int r = 0; r < w.size(); r++) {
                        Integer k = turnOfSpan.get(b.rowSpan()[r]);
                        assertNotNull(k, c.name() + ": row " + r + " is no turn");
                        tol.value(e.getKey(), r, 0, w.get(r).asDouble(), e.getValue()[k]);
                    }
                }
                for (int r = 0; r < b.rowSpan().length; r++) {
                    tol.value(
                            "span_advantages",
                            r,
                            0,
                            want.get("scalar_adv").get(r).asDouble(),
                            credit.spanAdvantages()[b.rowSpan()[r]]);
                }
                JsonNode dbg = want.get("debug_metrics");
                dbg.fieldNames().forEachRemaining(name -> {
                    Double got = credit.diagnostics().get(name);
                    assertNotNull(got, c.name() + ": diagnostic " + name);
                    tol.value(name, 0, 0, dbg.get(name).asDouble(), got);
                });
                assertEquals(credit.advantages(), credit.returns(), c.name() + ": returns are the advantages");
            }
        }
    }

    /** The golden file's pass criterion {@code |got − want| ≤ atol + rtol·|want|}. */
    record Tolerance(String name, double atol, double rtol) {
        void value(String what, int row, int col, double want, double got) {
            if (!GoldenJson.close(want, got, atol, rtol)) {
                fail(name + ": " + what + "[" + row + "][" + col + "] want " + want + " got " + got);
            }
        }

        void rows(String what, JsonNode want, float[] got, int[][] tokenIndex) {
            assertEquals(tokenIndex.length, want.size(), name + ": rows of " + what);
            for (int r = 0; r < tokenIndex.length; r++) {
                for (int j = 0; j < tokenIndex[r].length; j++)
                    value(what, r, j, want.get(r).get(j).asDouble(), got[tokenIndex[r][j]]);
            }
        }

        void rowsExact(String what, JsonNode want, float[] got, int[][] tokenIndex) {
            assertNotNull(got, name + ": the estimator gives no " + what);
            for (int r = 0; r < tokenIndex.length; r++) {
                for (int j = 0; j < tokenIndex[r].length; j++) {
                    assertEquals(
                            want.get(r).get(j).asDouble(),
                            got[tokenIndex[r][j]],
                            0.0,
                            name + ": " + what + "[" + r + "][" + j + "]");
                }
            }
        }
    }
}
