package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

/**
 * Coverage of the golden files {@code matchtir-and-siop.jsonl} and {@code a2tgpo-igpo-gdpo.jsonl}:
 * every case names a registered estimator and passes (each estimator's test class also runs its
 * own cases as dynamic tests), and the harness does fail when an estimator is wrong.
 */
public class TurnGoldenTest {
    static final String MATCHTIR_SIOP = "matchtir-and-siop.jsonl";
    public static final String A2TGPO_IGPO_GDPO = "a2tgpo-igpo-gdpo.jsonl";

    /** Dynamic tests for the cases of one file, optionally only one estimator's. */
    public static Stream<DynamicTest> cases(String file, String estimator) {
        return TurnGoldenCases.read(file).stream()
                .filter(c -> estimator == null || c.estimator().equals(estimator))
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> assertNull(TurnGoldenCases.check(c), c.name())));
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

    @Test
    void harnessRejectsWrongNumbers() {
        TurnGoldenCases.Case m = TurnGoldenCases.read(MATCHTIR_SIOP).get(0);
        Map<String, Object> p = new java.util.LinkedHashMap<>(m.params());
        p.put("turn_gamma", 0.5);
        assertNotNull(TurnGoldenCases.check(withParams(m, p)), "matchtir with turn_gamma 0.5 must miss the vectors");

        TurnGoldenCases.Case a = TurnGoldenCases.read(A2TGPO_IGPO_GDPO).get(0);
        p = new java.util.LinkedHashMap<>(a.params());
        p.put("clip_modulation", 0.2);
        String problem = TurnGoldenCases.check(withParams(a, p));
        assertNotNull(problem);
        assertTrue(problem.contains("clip_scale"), problem);

        TurnGoldenCases.Case err = TurnGoldenCases.read(A2TGPO_IGPO_GDPO).stream()
                .filter(c -> c.expected().has("error"))
                .findFirst()
                .orElseThrow();
        assertNotNull(
                TurnGoldenCases.check(new TurnGoldenCases.Case(
                        err.name(), "igpo", null, Map.of(), err.input(), err.expected(), err.atol(), err.rtol())),
                "an estimator that accepts the error case must fail it");
    }

    private static TurnGoldenCases.Case withParams(TurnGoldenCases.Case c, Map<String, Object> p) {
        return new TurnGoldenCases.Case(
                c.name(), c.estimator(), c.preset(), p, c.input(), c.expected(), c.atol(), c.rtol());
    }
}
