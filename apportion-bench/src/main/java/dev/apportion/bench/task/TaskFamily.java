package dev.apportion.bench.task;

import dev.apportion.core.credit.ParamSpec;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A family of benchmark tasks (bifurcation, umbrella, …): its knobs and how to build one
 * instance from validated knob values and a seeded random source. Implementations are
 * stateless.
 */
public interface TaskFamily {
    /** Registry id, e.g. {@code bifurcation}. */
    String id();

    /** One-line description. */
    String title();

    /** Where the dynamics come from (paper, repository and commit). */
    String source();

    /** Every knob with its default and range (the common signal knobs included). */
    List<ParamSpec> knobs();

    /**
     * Builds one task instance (hidden choices such as the correct actions are drawn from
     * {@code rng}).
     *
     * @throws IllegalArgumentException when the knob values are inconsistent with each other
     */
    Task create(Knobs knobs, SplittableRandom rng);

    /** Resolves knob overrides against {@link #knobs()}. */
    default Knobs knobs(java.util.Map<String, ?> overrides) {
        return Knobs.resolve(id(), knobs(), overrides);
    }
}
