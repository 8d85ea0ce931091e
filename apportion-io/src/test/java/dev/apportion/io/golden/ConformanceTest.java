package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Runs real golden cases through the adapters with small test-only estimators. */
class ConformanceTest {
    private static List<GoldenCase> cases(String file, String estimator, String preset) {
        return GoldenFiles.load(file).stream()
                .filter(c -> c.estimator().equals(estimator))
                .filter(c -> preset == null ? c.preset() == null : preset.equals(c.preset()))
                .collect(Collectors.toList());
    }

    private static String failures(List<CaseResult> rs) {
        return rs.stream()
                .filter(r -> r.status() != CaseResult.Status.PASSED)
                .map(r -> r.caseName() + " " + r.status() + ": " + r.detail())
                .collect(Collectors.joining("\n"));
    }

    @Test
    void verlGrpoCasesPassWithAFaithfulGrpo() {
        List<GoldenCase> cs = cases("verl-and-gigpo.jsonl", "grpo", null);
        assertEquals(15, cs.size());
        List<CaseResult> rs = Conformance.runAll(cs, EstimatorRegistry.of(List.of(TestEstimators.grpo())));
        assertEquals(15, Conformance.summarize(rs).passed(), failures(rs));
        for (CaseResult r : rs) {
            assertNotNull(r.worst(), r.caseName());
            assertTrue(r.detail().contains("values within tolerance; worst "), r.detail());
            assertTrue(
                    r.source()
                            .startsWith(GoldenFiles.dir()
                                            .resolve("verl-and-gigpo.jsonl")
                                            .toString() + ":"),
                    r.source());
        }
    }

    @Test
    void aWrongGrpoFailsWithTheWorstMismatch() {
        GoldenCase edge = cases("verl-and-gigpo.jsonl", "grpo", null).get(0);
        assertEquals("public/grpo/edge", edge.name());
        CaseResult r = Conformance.run(edge, EstimatorRegistry.of(List.of(TestEstimators.grpoPopulationStd())));
        assertEquals(CaseResult.Status.FAILED, r.status(), r.detail());
        CaseResult.Mismatch w = r.worst();
        assertNotNull(w);
        assertEquals("advantages", w.array());
        // row 0 of group 'a' (scores 1, 0, 0): unbiased z = 1.1547, population z = 1.4142
        assertEquals(0, w.row());
        assertEquals(1.1546984910964966, w.want(), 0);
        assertEquals(Math.sqrt(2), w.got(), 1e-5);
        assertEquals(1e-5 + 1e-4 * 1.1546984910964966, w.tolerance(), 1e-12);
        // 24 advantage positions (15 policy + 9 context zeros) + 15 returns; group 'a' (9 policy tokens) is wrong in
        // both
        assertEquals(
                "18 of 39 values outside tolerance; worst advantages[0][0]: want 1.154698, got 1.414211"
                        + " (|diff| 0.2595121 > tolerance 0.0001254698)",
                r.detail());
    }

    @Test
    void expectedErrorPassesOnlyWhenTheEstimatorRefuses() {
        List<GoldenCase> errs = cases("verl-and-gigpo.jsonl", "grpo_passk", null).stream()
                .filter(c -> c.expectedError() != null)
                .collect(Collectors.toList());
        assertEquals(2, errs.size());
        EstimatorRegistry refusing = EstimatorRegistry.of(List.of(TestEstimators.grpoPassk(true)));
        EstimatorRegistry lenient = EstimatorRegistry.of(List.of(TestEstimators.grpoPassk(false)));
        for (GoldenCase c : errs) {
            CaseResult ok = Conformance.run(c, refusing);
            assertEquals(CaseResult.Status.PASSED, ok.status(), ok.detail());
            assertTrue(ok.error().contains("has fewer than 2 samples"), ok.error());
            assertTrue(ok.detail().startsWith("refused as expected: group '"), ok.detail());
            CaseResult bad = Conformance.run(c, lenient);
            assertEquals(CaseResult.Status.FAILED, bad.status());
            assertEquals(
                    "expected the estimator to refuse the input (reference: a group has fewer than 2 samples) but it returned credit",
                    bad.detail());
        }
        // the non-error pass@k cases pass with the faithful port too
        List<CaseResult> rs = Conformance.runAll(cases("verl-and-gigpo.jsonl", "grpo_passk", null), refusing);
        assertEquals(5, Conformance.summarize(rs).passed(), failures(rs));
    }

    @Test
    void refusingAnInputThatHasAnAnswerFails() {
        GoldenCase c = cases("verl-and-gigpo.jsonl", "grpo_passk", null).stream()
                .filter(x -> x.expectedError() == null)
                .findFirst()
                .orElseThrow();
        CaseResult r = Conformance.run(
                c,
                EstimatorRegistry.of(
                        List.of(TestEstimators.of(TestEstimators.grpoPassk(true).descriptor(), (b, p) -> {
                            throw new IllegalArgumentException("no");
                        }))));
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertEquals("estimator 'grpo_passk' refused the input: no", r.detail());
        assertEquals("no", r.error());
    }

    @Test
    void unknownEstimatorOrPresetIsSkippedWithTheReason() {
        GoldenCase gae = cases("verl-and-gigpo.jsonl", "gae", null).get(0);
        CaseResult r = Conformance.run(gae, EstimatorRegistry.of(List.of(TestEstimators.grpo())));
        assertEquals(CaseResult.Status.SKIPPED, r.status());
        assertEquals("estimator 'gae' is not registered", r.detail());
        assertNull(r.worst());

        GoldenCase trl = cases("openrlhf-trl.jsonl", "grpo", "trl").get(0);
        r = Conformance.run(trl, EstimatorRegistry.of(List.of(TestEstimators.grpo())));
        assertEquals(CaseResult.Status.SKIPPED, r.status());
        assertEquals("estimator 'grpo' has no preset 'trl'", r.detail());
    }

    @Test
    void anUndeclaredParameterFails() {
        GoldenCase c = cases("verl-and-gigpo.jsonl", "grpo", null).get(0);
        CaseResult r = Conformance.run(
                c,
                EstimatorRegistry.of(List.of(TestEstimators.of(
                        dev.apportion.core.credit.Descriptor.builder("grpo").build(), (b, p) -> null))));
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertTrue(r.detail().startsWith("parameters: estimator 'grpo' has no parameter '"), r.detail());
    }

    @Test
    void openRlhfAndTrlCasesPassWithAFaithfulDrGrpo() {
        EstimatorRegistry reg = EstimatorRegistry.of(List.of(TestEstimators.drGrpo()));
        List<GoldenCase> openrlhf = cases("openrlhf-trl.jsonl", "dr_grpo", "openrlhf");
        List<GoldenCase> trl = cases("openrlhf-trl.jsonl", "dr_grpo", "trl");
        assertEquals(4, openrlhf.size());
        assertEquals(4, trl.size());
        List<CaseResult> rs = Conformance.runAll(openrlhf, reg);
        assertEquals(4, Conformance.summarize(rs).passed(), failures(rs));
        rs = Conformance.runAll(trl, reg);
        assertEquals(4, Conformance.summarize(rs).passed(), failures(rs));
    }

    @Test
    void droppingTheKlTermBreaksTheOpenRlhfCases() {
        // proves the logprob / ref_logprob / init_kl_coef mapping matters: without the KL term cases fail
        dev.apportion.core.credit.Estimator faithful = TestEstimators.drGrpo();
        EstimatorRegistry reg = EstimatorRegistry.of(List.of(TestEstimators.of(faithful.descriptor(), (b, p) -> {
            java.util.Map<String, Object> v = new java.util.HashMap<>(p.values());
            v.put("kl_use_loss", true);
            return faithful.assign(b, dev.apportion.core.credit.Params.resolve(faithful.descriptor(), null, v));
        })));
        List<CaseResult> rs = Conformance.runAll(cases("openrlhf-trl.jsonl", "dr_grpo", "openrlhf"), reg);
        assertTrue(Conformance.summarize(rs).failed() >= 3, failures(rs));
    }

    @Test
    void aCaseNoAdapterAcceptsFailsWhenItsEstimatorIsRegistered() {
        GoldenCase c = GoldenFiles.parse(
                        "{\"case\":\"x\",\"estimator\":\"grpo\",\"input\":{\"scores\":[1,2]},\"expected\":{\"advantages\":[[1]]}}")
                .get(0);
        CaseResult r = Conformance.run(c, EstimatorRegistry.of(List.of(TestEstimators.grpo())));
        assertEquals(CaseResult.Status.FAILED, r.status());
        assertEquals("no golden adapter accepts this case (input fields: scores)", r.detail());
        r = Conformance.run(c, EstimatorRegistry.of(List.of()));
        assertEquals(CaseResult.Status.SKIPPED, r.status());
    }

    @Test
    void summaryCounts() {
        List<GoldenCase> cs = cases("verl-and-gigpo.jsonl", "grpo", null);
        List<CaseResult> rs =
                Conformance.runAll(cs.subList(0, 3), EstimatorRegistry.of(List.of(TestEstimators.grpo())));
        rs = new java.util.ArrayList<>(rs);
        rs.add(Conformance.run(cases("verl-and-gigpo.jsonl", "gae", null).get(0), EstimatorRegistry.of(List.of())));
        Conformance.Summary s = Conformance.summarize(rs);
        assertEquals("3 passed, 0 failed, 1 skipped", s.toString());
        assertEquals(4, s.total());
    }
}
