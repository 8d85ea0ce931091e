package dev.apportion.core.credit;

import dev.apportion.core.rollout.Rollouts;

/**
 * An estimator whose one implementation is the buffered call: it writes into {@link Credit.Buffers}
 * when given them and allocates fresh arrays when not. The three-argument call is that same
 * implementation with no buffers, so an estimator implements only
 * {@link #assign(Rollouts, Params, Execution, Credit.Buffers)}.
 */
public interface BufferedEstimator extends Estimator {
    /**
     * Assigns credit to every token of {@code batch}, into {@code buffers} when given.
     *
     * @param buffers reused output arrays, or null for fresh ones (the results are the same)
     */
    @Override
    Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers);

    /** The buffered call without buffers. */
    @Override
    default Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }
}
