package dev.apportion.bench.run;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;

/** Which of an estimator's declared signal requirements a batch does not meet (core's {@link dev.apportion.core.credit.Requirements}). */
public final class Requirements {
    private Requirements() {}

    /**
     * The unmet requirements of {@code d} on {@code b}, as readable strings (empty when all are met),
     * in the shape of core's requirement messages.
     */
    public static List<String> missing(Descriptor d, Rollouts b) {
        return dev.apportion.core.credit.Requirements.unmet(d, b).stream()
                .map(dev.apportion.core.credit.Requirements::describe)
                .toList();
    }
}
