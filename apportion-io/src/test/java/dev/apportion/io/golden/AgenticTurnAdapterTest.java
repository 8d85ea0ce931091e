package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.estimator.turn.R3lEstimator;
import dev.apportion.core.estimator.turn.VprEstimator;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code vpr-r3l-a3.jsonl} through the real loader and {@link Conformance}: every case is
 * claimed by {@link AgenticTurnAdapter} and passes (vpr 6, r3l 10, a3 6).
 */
class AgenticTurnAdapterTest {
    private static final String FILE = "vpr-r3l-a3.jsonl";

    private static List<GoldenCase> load() throws IOException {
        try (InputStream in = AgenticTurnAdapterTest.class.getResourceAsStream("/golden/" + FILE)) {
            assertNotNull(in, "test resource /golden/" + FILE);
            Reader r = new InputStreamReader(in, StandardCharsets.UTF_8);
            return GoldenCases.load(r, FILE);
        }
    }

    @Test
    void wholeFilePassesThroughConformance() throws IOException {
        List<GoldenCase> cases = load();
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        List<String> notPassed = new ArrayList<>();
        Map<String, Integer> passedPerEstimator = new LinkedHashMap<>();
        for (int k = 0; k < cases.size(); k++) {
            CaseResult r = results.get(k);
            if (r.status() != CaseResult.Status.PASSED)
                notPassed.add(r.caseName() + " " + r.status() + ": " + r.detail());
            else passedPerEstimator.merge(cases.get(k).estimator(), 1, Integer::sum);
        }
        assertEquals(List.of(), notPassed);
        assertEquals(new Conformance.Summary(22, 0, 0), Conformance.summarize(results));
        assertEquals(Map.of("vpr", 6, "r3l", 10, "a3", 6), passedPerEstimator);
    }

    @Test
    void theAdapterClaimsEveryCaseOfTheFileAndNothingElse() throws IOException {
        for (GoldenCase c : load())
            assertSame(
                    AgenticTurnAdapter.class,
                    GoldenAdapters.find(c, GoldenAdapters.all()).getClass(),
                    c.name());
        for (String other : List.of("verl-and-gigpo.jsonl", "matchtir-and-siop.jsonl", "a2tgpo-igpo-gdpo.jsonl")) {
            try (InputStream in = getClass().getResourceAsStream("/golden/" + other)) {
                assertNotNull(in, other);
                for (GoldenCase c : GoldenCases.load(new InputStreamReader(in, StandardCharsets.UTF_8), other)) {
                    assertTrue(!(GoldenAdapters.find(c, GoldenAdapters.all()) instanceof AgenticTurnAdapter), c.name());
                }
            }
        }
    }

    /** The comparison is not vacuous: a wrong expected value, or a wrong skip flag, fails the case. */
    @Test
    void tamperedExpectationsFail() throws IOException {
        for (GoldenCase c : load()) {
            if (c.estimator().equals(VprEstimator.ID) && c.expected().hasNonNull("vpr_skip_loss")) {
                ObjectNode exp = c.expected().deepCopy();
                boolean first = exp.get("vpr_skip_loss").get(0).asBoolean();
                ((com.fasterxml.jackson.databind.node.ArrayNode) exp.get("vpr_skip_loss")).set(0, !first);
                CaseResult r = Conformance.run(GoldenFiles.withExpected(c, exp), EstimatorRegistry.global());
                assertEquals(CaseResult.Status.FAILED, r.status(), c.name());
                assertTrue(r.detail().contains("vpr_skip_loss"), r.detail());
                return;
            }
        }
        throw new AssertionError("no vpr case with vpr_skip_loss");
    }

    @Test
    void droppedR3lRowsMustCarryNoCredit() throws IOException {
        for (GoldenCase c : load()) {
            if (!c.estimator().equals(R3lEstimator.ID) || !c.expected().hasNonNull("kept")) continue;
            ObjectNode exp = c.expected().deepCopy();
            com.fasterxml.jackson.databind.node.ArrayNode kept =
                    (com.fasterxml.jackson.databind.node.ArrayNode) exp.get("kept");
            int keptRow = -1;
            for (int r = 0; r < kept.size() && keptRow < 0; r++) if (kept.get(r).asBoolean()) keptRow = r;
            kept.set(keptRow, false); // claim a trained row was dropped
            CaseResult r = Conformance.run(GoldenFiles.withExpected(c, exp), EstimatorRegistry.global());
            if (r.status() == CaseResult.Status.FAILED) return;
        }
        throw new AssertionError("claiming a kept row was dropped never failed");
    }
}
