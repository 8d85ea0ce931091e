package dev.apportion.bench.estimators;

/**
 * Marks the benchmark's reference estimators (not methods): only these receive the batch view
 * that carries the exact truth ({@code SampledBatch.referenceRollouts()}); every other estimator
 * gets views without {@code true_advantage}, so the truth cannot leak into a compared method.
 */
public interface BenchReference {}
