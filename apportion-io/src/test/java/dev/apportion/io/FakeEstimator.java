package dev.apportion.io;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Estimators made from a descriptor and a function, for io's tests (doctor, evaluate, golden). */
public final class FakeEstimator {
    private FakeEstimator() {}

    /** An estimator from a descriptor and a function of the batch and the resolved parameters. */
    public static Estimator of(Descriptor d, BiFunction<Rollouts, Params, Credit> f) {
        return new Estimator() {
            @Override
            public Descriptor descriptor() {
                return d;
            }

            @Override
            public Credit assign(Rollouts batch, Params params, Execution execution) {
                return f.apply(batch, params);
            }
        };
    }

    /** An estimator {@code id} of granularity {@code g}, without parameters, computing {@code f}. */
    public static Estimator of(String id, Granularity g, Function<Rollouts, Credit> f) {
        return of(Descriptor.builder(id).granularity(g).build(), (batch, params) -> f.apply(batch));
    }
}
