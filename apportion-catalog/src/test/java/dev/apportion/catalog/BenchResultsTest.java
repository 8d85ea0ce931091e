package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lenient results reader finds Spearman values in several layouts and ignores the rest. */
class BenchResultsTest {
    private static BenchResults of(String json) throws Exception {
        return BenchResults.of(new ObjectMapper().readTree(json), List.of("grpo", "gigpo", "gae"), "r.json");
    }

    @Test
    void rowsWithAnEstimatorField() throws Exception {
        BenchResults b = of("[{\"estimator\": \"grpo\", \"task\": \"t1\", \"metrics\": {\"spearman\": 0.5}},"
                + " {\"estimator_id\": \"grpo\", \"credit_spearman\": 0.3}]");
        assertEquals(0.4, b.get("grpo").orElseThrow().mean(), 1e-12);
        assertEquals(2, b.get("grpo").orElseThrow().n());
    }

    @Test
    void mapsKeyedByEstimatorId() throws Exception {
        BenchResults b = of(
                "{\"summary\": {\"gigpo\": {\"spearman_mean\": 0.61, \"auroc\": 0.9}, \"gae\": {\"Spearman\": -0.2}}}");
        assertEquals(0.61, b.get("gigpo").orElseThrow().mean(), 1e-12);
        assertEquals("spearman_mean", b.get("gigpo").orElseThrow().metric());
        assertEquals(-0.2, b.get("gae").orElseThrow().mean(), 1e-12);
    }

    @Test
    void ignoresValuesWithoutAnEstimatorAndOutOfRangeOrNonNumericValues() throws Exception {
        BenchResults b = of("{\"spearman\": 0.3, \"rows\": [{\"estimator\": \"grpo\", \"spearman\": \"n/a\"},"
                + " {\"estimator\": \"grpo\", \"spearman\": 7.5}, {\"estimator\": \"grpo\", \"spearman\": null}]}");
        assertTrue(b.isEmpty());
    }

    @Test
    void nestedEstimatorFieldOverridesTheEnclosingKey() throws Exception {
        BenchResults b =
                of("{\"grpo\": {\"runs\": [{\"estimator\": \"gae\", \"spearman\": 0.9}, {\"spearman\": 0.1}]}}");
        assertEquals(0.9, b.get("gae").orElseThrow().mean(), 1e-12);
        assertEquals(0.1, b.get("grpo").orElseThrow().mean(), 1e-12);
    }
}
