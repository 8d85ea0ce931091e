package dev.apportion.catalog;

import dev.apportion.core.credit.Fidelity;

/**
 * An estimator recommended at a leaf.
 *
 * @param id registry id
 * @param rank 1 for the best
 * @param registered true when this build's registry has the estimator
 * @param fidelity the registered descriptor's fidelity, else the fidelity the inventory claims, or null
 * @param paper the inventory entry of the method it implements, or null
 * @param measured measured credit quality from a benchmark results file, or null
 */
public record RankedEstimator(
        String id,
        int rank,
        boolean registered,
        Fidelity fidelity,
        InventoryEntry paper,
        BenchResults.Measure measured) {}
