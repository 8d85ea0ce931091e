package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Fidelity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PaperReasoningEstimatorsTest {
    private static final Map<String, Fidelity> EXPECTED = Map.of(
            "implicit_token_reward", Fidelity.PAPER,
            "grpo_process", Fidelity.PAPER,
            "capo", Fidelity.RECONSTRUCTED,
            "scrl", Fidelity.RECONSTRUCTED,
            "spae", Fidelity.RECONSTRUCTED,
            "vineppo", Fidelity.PAPER,
            "genac", Fidelity.RECONSTRUCTED,
            "lsc", Fidelity.PAPER,
            "euphonium", Fidelity.RECONSTRUCTED);

    @Test
    void providerRegistersEveryEstimatorWithItsFidelityAndAnArxivSource() {
        List<Estimator> mine =
                EXPECTED.keySet().stream().map(EstimatorRegistry.global()::get).toList();
        assertEquals(EXPECTED.keySet(), mine.stream().map(Estimator::id).collect(java.util.stream.Collectors.toSet()));
        EstimatorRegistry r = EstimatorRegistry.global();
        for (Estimator e : mine) {
            assertSame(e.unwrap().getClass(), r.get(e.id()).unwrap().getClass(), e.id());
            assertEquals(EXPECTED.get(e.id()), e.descriptor().fidelity(), e.id());
            assertTrue(
                    e.descriptor().source().matches(".*arXiv \\d{4}\\.\\d{5}.*"),
                    e.id() + ": " + e.descriptor().source());
            assertFalse(e.descriptor().requires().isEmpty(), e.id());
        }
    }
}
