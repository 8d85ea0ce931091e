package dev.apportion.io.golden;

import dev.apportion.core.credit.EstimatorRegistry;

/** Runs golden cases against estimators. Skeleton. */
public final class Conformance {
    private Conformance() {
    }

    public static CaseResult run(GoldenCase c, EstimatorRegistry registry) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
