package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.EstimatorRegistry;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every golden case of {@code matchtir-and-siop.jsonl} and {@code a2tgpo-igpo-gdpo.jsonl}, one
 * dynamic test each (so the surefire report counts them), plus a check that none is skipped.
 */
class TurnGoldenTest {
    static final String MATCHTIR_SIOP = "matchtir-and-siop.jsonl";
    static final String A2TGPO_IGPO_GDPO = "a2tgpo-igpo-gdpo.jsonl";

    /** Dynamic tests for the cases of one file, optionally only one estimator's. */
    static Stream<DynamicTest> cases(String file, String estimator) {
        return TurnGoldenCases.read(file).stream()
                .filter(c -> estimator == null || c.estimator().equals(estimator))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> assertNull(TurnGoldenCases.check(c), c.name())));
    }

    @TestFactory
    Stream<DynamicTest> matchtirAndSiop() {
        return cases(MATCHTIR_SIOP, null);
    }

    @TestFactory
    Stream<DynamicTest> a2tgpoIgpoGdpo() {
        return cases(A2TGPO_IGPO_GDPO, null);
    }

    @Test
    void everyCaseIsForARegisteredEstimatorAndNoneIsSkipped() {
        Map<String, Integer> perEstimator = new TreeMap<>();
        List<String> failed = new ArrayList<>();
        int total = 0;
        for (String f : List.of(MATCHTIR_SIOP, A2TGPO_IGPO_GDPO)) {
            for (TurnGoldenCases.Case c : TurnGoldenCases.read(f)) {
                total++;
                assertTrue(EstimatorRegistry.global().has(c.estimator()), c.name() + ": estimator not registered");
                perEstimator.merge(c.estimator(), 1, Integer::sum);
                String problem = TurnGoldenCases.check(c);
                if (problem != null) failed.add(c.name() + ": " + problem);
            }
        }
        assertEquals(45, total, "cases in the two files");
        assertEquals(Map.of("a2tgpo", 18, "gdpo", 6, "igpo", 9, "matchtir", 4, "siop", 8), perEstimator);
        assertEquals(List.of(), failed);
    }
}
