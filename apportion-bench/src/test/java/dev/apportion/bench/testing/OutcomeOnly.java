package dev.apportion.bench.testing;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

/**
 * Test-only estimator {@code test_outcome}: group-mean-centred trajectory score broadcast on
 * every policy token (a GRPO without the std), to exercise the harness before the real
 * estimators are merged.
 */
public final class OutcomeOnly implements Estimator {
    @Override
    public Descriptor descriptor() {
        return Descriptor.builder("test_outcome")
                .requires(SignalRequirement.trajectory("reward", "the task"))
                .build();
    }

    @Override
    public Credit assign(Rollouts b, Params p, Execution e) {
        double[] s = b.scores();
        float[] adv = new float[b.tokenCount()];
        for (int g = 0; g < b.groupCount(); g++) {
            int lo = b.groupMemberStart()[g];
            int hi = b.groupMemberStart()[g + 1];
            double mean = 0;
            for (int k = lo; k < hi; k++) mean += s[b.groupMembers()[k]];
            mean /= hi - lo;
            for (int k = lo; k < hi; k++) {
                int i = b.groupMembers()[k];
                for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++)
                    if (b.mask()[t] == 1) adv[t] = (float) (s[i] - mean);
            }
        }
        return Credit.of(adv);
    }
}
