package dev.apportion.bench.testing;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

/** Test-only estimator {@code test_needs_magic}: requires a signal no task provides, to exercise skipping. */
public final class NeedsCritic implements Estimator {
    @Override
    public Descriptor descriptor() {
        return Descriptor.builder("test_needs_magic")
                .requires(SignalRequirement.span("magic", "nothing"))
                .build();
    }

    @Override
    public Credit assign(Rollouts b, Params p, Execution e) {
        throw new AssertionError("must be skipped");
    }
}
