package dev.apportion.core.credit;

import dev.apportion.core.rollout.Rollouts;

/**
 * An estimator as the registry hands it out: {@link Requirements#enforce} runs before every
 * call, then the estimator itself. Everything else is the estimator's.
 */
final class RequirementChecked implements Estimator {
    private final Estimator inner;

    RequirementChecked(Estimator inner) {
        this.inner = inner;
    }

    static Estimator wrap(Estimator e) {
        return e instanceof RequirementChecked ? e : new RequirementChecked(e);
    }

    @Override
    public Descriptor descriptor() {
        return inner.descriptor();
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        Requirements.enforce(inner.descriptor(), batch);
        return inner.assign(batch, params, execution);
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Requirements.enforce(inner.descriptor(), batch);
        return inner.assign(batch, params, execution, buffers);
    }

    @Override
    public Estimator unwrap() {
        return inner.unwrap();
    }

    @Override
    public String toString() {
        return inner.toString();
    }
}
