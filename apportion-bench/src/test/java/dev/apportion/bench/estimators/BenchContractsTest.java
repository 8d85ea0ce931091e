package dev.apportion.bench.estimators;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every estimator the bench registers has a contract test in this module. */
class BenchContractsTest {
    @Test
    void everyBenchEstimatorHasAContractTest() throws Exception {
        Set<String> covered = EstimatorContract.coveredIds(BenchContractsTest.class);
        Set<String> missing = new TreeSet<>();
        for (Estimator e : new BenchEstimators().estimators()) if (!covered.contains(e.id())) missing.add(e.id());
        assertTrue(missing.isEmpty(), "bench estimators without a test class extending EstimatorContract: " + missing);
    }
}
