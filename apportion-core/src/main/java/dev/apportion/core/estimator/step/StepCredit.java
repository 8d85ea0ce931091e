package dev.apportion.core.estimator.step;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.kernel.PaperSteps;
import dev.apportion.core.kernel.StepTokens;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;

/**
 * The credit of per-step values in one pass over the tokens: the token arrays come from the
 * caller's {@link Credit.Buffers} when given (else fresh), every token is written once, and batch
 * whitening is computed from the steps ({@link StepTokens#whitenUnbiased}) with the numbers
 * {@link PaperSteps#credit} gives on the tokens. Package-private helper of the step estimators.
 */
final class StepCredit {
    private StepCredit() {}

    /** A token array of the batch's length: the buffer's advantages when given, else fresh. */
    static float[] advantages(Rollouts batch, Credit.Buffers buffers) {
        return buffers == null ? new float[batch.tokenCount()] : buffers.advantages(batch.tokenCount());
    }

    /** A token array of the batch's length: the buffer's returns when given, else fresh. */
    static float[] returns(Rollouts batch, Credit.Buffers buffers) {
        return buffers == null ? new float[batch.tokenCount()] : buffers.returns(batch.tokenCount());
    }

    /**
     * As {@link PaperSteps#credit}: advantages (whitened when asked) and returns on the tokens of each
     * step, span advantages unwhitened, diagnostics {@code whiten_mean} and {@code whiten_scale} when
     * whitening applies.
     */
    static Credit.Builder withReturns(
            Rollouts batch,
            PaperSteps steps,
            double[] adv,
            double[] returns,
            boolean whiten,
            Execution ex,
            Credit.Buffers buffers) {
        float[] values = StepTokens.floats(adv);
        Whitening.Stats st = whiten ? StepTokens.whitenUnbiased(batch, steps, values, null, 1e-8) : null;
        float[] out = advantages(batch, buffers);
        StepTokens.write(batch, steps, values, out, ex);
        float[] ret = returns(batch, buffers);
        StepTokens.write(batch, steps, returns, ret, ex);
        Credit.Builder c = Credit.builder(out).returns(ret).spanAdvantages(steps.spanValues(batch, adv));
        if (st != null) c.diagnostic("whiten_mean", st.mean()).diagnostic("whiten_scale", st.scale());
        return c;
    }
}
