package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code reasoning.jsonl} through the real loader and {@link Conformance}: every case is claimed
 * by {@link ReasoningAdapter} and all 35 pass with the {@code reference} preset.
 */
class ReasoningAdapterTest {
    private static List<GoldenCase> load() throws IOException {
        try (InputStream in = ReasoningAdapterTest.class.getResourceAsStream("/golden/reasoning.jsonl")) {
            assertNotNull(in, "test resource /golden/reasoning.jsonl");
            return GoldenCases.load(new InputStreamReader(in, StandardCharsets.UTF_8), "reasoning.jsonl");
        }
    }

    @Test
    void everyReasoningCasePassesThroughConformance() throws IOException {
        List<GoldenCase> cases = load();
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        List<String> notPassed = new ArrayList<>();
        Map<String, Integer> passed = new TreeMap<>();
        for (int k = 0; k < cases.size(); k++) {
            CaseResult r = results.get(k);
            if (r.status() != CaseResult.Status.PASSED)
                notPassed.add(r.caseName() + " " + r.status() + ": " + r.detail());
            else passed.merge(cases.get(k).estimator(), 1, Integer::sum);
        }
        assertEquals(List.of(), notPassed);
        assertEquals(new Conformance.Summary(35, 0, 0), Conformance.summarize(results));
        assertEquals(
                new TreeMap<>(Map.of(
                        "a_grae",
                        4,
                        "adora",
                        4,
                        "adora_vl",
                        5,
                        "ma_rlhf",
                        5,
                        "pure",
                        5,
                        "pure_reward",
                        5,
                        "temporal_schedule",
                        7)),
                passed);
    }

    @Test
    void theReasoningAdapterClaimsEveryCase() throws IOException {
        for (GoldenCase c : load()) {
            GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
            assertNotNull(a, c.name());
            assertTrue(a instanceof ReasoningAdapter, c.name());
            assertTrue(
                    ((ReasoningAdapter) a).estimators().contains(c.estimator()),
                    c.name() + ": one layout per estimator family");
            assertEquals(ReasoningAdapter.PRESET, a.adapt(c).preset());
        }
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

    /** The corrected defaults must not reproduce the reference's quirks: each quirk case fails without the preset. */
    @TestFactory
    List<DynamicTest> withTheEstimatorsDefaultsQuirkCasesFail() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCase q : load()) {
            if (!QUIRK_CASES.contains(q.name())) continue;
            tests.add(DynamicTest.dynamicTest(q.name(), () -> {
                CaseResult r = Conformance.run(q, EstimatorRegistry.global(), List.of(withoutPreset(q)));
                assertEquals(CaseResult.Status.FAILED, r.status(), r.detail());
                assertTrue(r.detail().contains("outside tolerance"), r.detail());
            }));
        }
        assertEquals(QUIRK_CASES.size(), tests.size(), "every quirk case is in the file");
        return tests;
    }

    /** The case's own adapter, but running the estimator without a preset (its defaults). */
    private static GoldenAdapter withoutPreset(GoldenCase q) {
        GoldenAdapter inner = GoldenAdapters.find(q, GoldenAdapters.all());
        return new GoldenAdapter() {
            @Override
            public String name() {
                return "reasoning with defaults";
            }

            @Override
            public boolean accepts(GoldenCase c) {
                return inner.accepts(c);
            }

            @Override
            public AdaptedCase adapt(GoldenCase c) {
                AdaptedCase a = inner.adapt(c);
                return new AdaptedCase(a.batch(), a.tokenIndex(), a.estimator(), null, a.params());
            }

            @Override
            public Comparison.Result compare(GoldenCase c, AdaptedCase a, dev.apportion.core.credit.Credit credit) {
                return inner.compare(c, a, credit);
            }
        };
    }

    @Test
    void malformedPureInputIsRejectedWithItsRow() throws IOException {
        GoldenCase pure = null;
        for (GoldenCase c : load()) if ("pure".equals(c.estimator())) pure = c;
        assertNotNull(pure);
        ObjectNode input = pure.input().deepCopy();
        ((ArrayNode) input.get("num_steps")).set(0, 99);
        GoldenCase bad = GoldenFiles.withInput(pure, input);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PureAdapter().adapt(bad));
        assertTrue(e.getMessage().contains("num_steps[0]"), e.getMessage());
    }
}
