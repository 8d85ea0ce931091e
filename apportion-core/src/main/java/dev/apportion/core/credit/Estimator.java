package dev.apportion.core.credit;

import dev.apportion.core.rollout.Rollouts;

/**
 * A credit-assignment method. Implementations are stateless and thread-safe; each documents
 * its formula, source, defaults and edge cases in its Javadoc.
 */
public interface Estimator {
    /** What this estimator is, takes and needs. */
    Descriptor descriptor();

    /**
     * Assigns credit to every token of {@code batch}.
     *
     * @param batch rollouts (read only)
     * @param params values resolved against {@link #descriptor()} (see {@link Params#resolve})
     * @param execution threads the estimator may use
     * @return credit; advantages are exactly 0 on context tokens
     * @throws dev.apportion.core.rollout.RolloutException when the batch lacks a required signal
     *     or breaks a precondition (message names trajectory, field and value)
     */
    Credit assign(Rollouts batch, Params params, Execution execution);

    /**
     * {@link #assign(Rollouts, Params, Execution)} writing its per-token outputs into reusable
     * {@code buffers} where the estimator supports them (the returned credit then shares the
     * buffers' arrays, valid until the next call with the same buffers). The default ignores the
     * buffers; results are the same either way.
     *
     * @param buffers written (may be null: same as the three-argument call)
     */
    default Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        return assign(batch, params, execution);
    }

    /** Sequential {@link #assign(Rollouts, Params, Execution)}. */
    default Credit assign(Rollouts batch, Params params) {
        return assign(batch, params, Execution.sequential());
    }

    /** {@link #assign} with the estimator's defaults. */
    default Credit assign(Rollouts batch) {
        return assign(batch, Params.defaults(descriptor()), Execution.sequential());
    }

    /**
     * The implementation behind this estimator: the registry hands out estimators wrapped so that
     * {@link Requirements#enforce} runs before every call; this is the estimator class itself.
     */
    default Estimator unwrap() {
        return this;
    }

    /** Shorthand for {@code descriptor().id()}. */
    default String id() {
        return descriptor().id();
    }
}
