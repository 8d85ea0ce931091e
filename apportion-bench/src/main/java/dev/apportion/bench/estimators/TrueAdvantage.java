package dev.apportion.bench.estimators;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;

/** What the two oracle references share: the span truth they read and the credit they write from it. */
final class TrueAdvantage {
    private TrueAdvantage() {}

    /**
     * The span signal {@code true_advantage}; a batch without it is an error naming the
     * estimator, with {@code hint} appended to the message.
     */
    static float[] spans(Rollouts batch, String estimator, String hint) {
        float[] span = batch.spanSignal(Signals.TRUE_ADVANTAGE);
        if (span == null) {
            throw new RolloutException(
                    "estimator '" + estimator + "' needs the span signal '" + Signals.TRUE_ADVANTAGE
                            + "' (the apportion benchmark's exact solver), which the batch lacks" + hint,
                    -1,
                    "spans.signals." + Signals.TRUE_ADVANTAGE);
        }
        return span;
    }

    /**
     * Credit with {@code spanAdv} on the policy spans and on their tokens ({@code token[t]}
     * instead where {@code token} is given); context spans and tokens 0.
     */
    static Credit onPolicySpans(Rollouts batch, float[] spanAdv, float[] token) {
        float[] adv = new float[batch.tokenCount()];
        for (int s = 0; s < batch.spanCount(); s++) {
            if (!batch.isPolicySpan(s)) continue;
            for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                adv[t] = token != null ? token[t] : spanAdv[s];
        }
        return Credit.builder(adv).spanAdvantages(spanAdv).build();
    }
}
