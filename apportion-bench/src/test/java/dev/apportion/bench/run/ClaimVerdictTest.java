package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.bench.metrics.PairedTest;
import dev.apportion.bench.metrics.Summary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 7, finding 5: symmetric verdicts, Holm's correction, paired t p-values. */
class ClaimVerdictTest {
    private static BenchResult.ClaimRow row(String verdict) {
        return new BenchResult.ClaimRow("a - b", "t", Summary.of(new double[] {1, 2}), verdict, Map.of(), 0.01, 0.01);
    }

    @Test
    void verdictIsSymmetric() {
        assertEquals("holds", ClaimEvaluator.status(List.of(row("holds"), row("holds"))));
        assertEquals("contradicted", ClaimEvaluator.status(List.of(row("contradicted"), row("contradicted"))));
        // one contradicted row among inconclusive ones no longer makes the claim contradicted
        assertEquals("inconclusive", ClaimEvaluator.status(List.of(row("contradicted"), row("inconclusive"))));
        assertEquals("inconclusive", ClaimEvaluator.status(List.of(row("holds"), row("inconclusive"))));
        assertEquals("mixed", ClaimEvaluator.status(List.of(row("holds"), row("contradicted"))));
    }

    @Test
    void pairedTPValueMatchesTheTable() {
        // t = 2.262 with 9 degrees of freedom is the two-sided 5% point
        double sd = 1.0;
        double mean = 2.262 * sd / Math.sqrt(10);
        double[] v = new double[10];
        for (int i = 0; i < 10; i++) v[i] = mean + (i % 2 == 0 ? 1 : -1) * sd * Math.sqrt(9.0 / 10.0);
        Summary s = Summary.of(v);
        assertEquals(0.05, PairedTest.pValue(s), 2e-4);
    }

    @Test
    void holmStepsDown() {
        double[] adj = PairedTest.holm(new double[] {0.01, 0.04, 0.03, Double.NaN});
        assertArrayEquals(new double[] {0.03, 0.06, 0.06, Double.NaN}, adj, 1e-12);
        assertEquals("inconclusive", ClaimEvaluator.verdict(Summary.of(new double[] {1, 2, 3}), 0.06, true));
        assertEquals("contradicted", ClaimEvaluator.verdict(Summary.of(new double[] {-1, -2, -3}), 0.01, true));
    }
}
