package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The turn-level golden files through the real loader and {@link Conformance}: GDPO's
 * component cases need {@link RewardComponentsAdapter}; every other case of the two files runs
 * through the default verl layout adapter. All 45 cases must pass.
 */
class RewardComponentsAdapterTest {
    private static List<GoldenCase> load(String file) throws IOException {
        try (InputStream in = RewardComponentsAdapterTest.class.getResourceAsStream("/golden/" + file)) {
            assertNotNull(in, "test resource /golden/" + file);
            Reader r = new InputStreamReader(in, StandardCharsets.UTF_8);
            return GoldenCases.load(r, file);
        }
    }

    @Test
    void turnLevelGoldenFilesPassThroughConformance() throws IOException {
        List<GoldenCase> cases = new ArrayList<>(load("matchtir-and-siop.jsonl"));
        cases.addAll(load("a2tgpo-igpo-gdpo.jsonl"));
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        List<String> notPassed = new ArrayList<>();
        for (CaseResult r : results) {
            if (r.status() != CaseResult.Status.PASSED)
                notPassed.add(r.caseName() + " " + r.status() + ": " + r.detail());
        }
        assertEquals(List.of(), notPassed);
        assertEquals(new Conformance.Summary(45, 0, 0), Conformance.summarize(results));
    }

    @Test
    void claimsExactlyTheCasesWithRewardComponents() throws IOException {
        int claimed = 0;
        for (GoldenCase c : load("a2tgpo-igpo-gdpo.jsonl")) {
            GoldenAdapter a = GoldenAdapters.find(c, GoldenAdapters.all());
            boolean has = c.input().hasNonNull(RewardComponentsAdapter.FIELD);
            assertEquals(has, a instanceof RewardComponentsAdapter, c.name());
            if (has) {
                claimed++;
                AdaptedCase ac = a.adapt(c);
                assertEquals(
                        c.input().get(RewardComponentsAdapter.FIELD).size(),
                        ac.batch().outcomeComponents().size());
                assertTrue(ac.batch().outcomeComponents().keySet().iterator().hasNext());
            } else {
                assertSame(VerlLayoutAdapter.class, a.getClass(), c.name());
            }
        }
        assertEquals(3, claimed, "three GDPO component cases");
    }

    @Test
    void withoutTheAdapterComponentCasesFail() throws IOException {
        List<GoldenAdapter> defaultsOnly = new ArrayList<>(GoldenAdapters.all());
        defaultsOnly.removeIf(a -> a instanceof RewardComponentsAdapter);
        int failed = 0;
        for (GoldenCase c : load("a2tgpo-igpo-gdpo.jsonl")) {
            if (!c.input().hasNonNull(RewardComponentsAdapter.FIELD)) continue;
            CaseResult r = Conformance.run(c, EstimatorRegistry.global(), defaultsOnly);
            assertFalse(r.status() == CaseResult.Status.PASSED, c.name());
            assertTrue(r.detail() != null && r.detail().contains("outcome component"), r.detail());
            failed++;
        }
        assertEquals(3, failed);
    }
}
