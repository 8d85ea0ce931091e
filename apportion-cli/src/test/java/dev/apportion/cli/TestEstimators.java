package dev.apportion.cli;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;

/** Small estimators for the command tests, registered in a registry of their own. */
final class TestEstimators {
    private TestEstimators() {}

    static EstimatorRegistry registry() {
        return EstimatorRegistry.of(List.of(new Mean(), new NeedsValue(), new Steps()));
    }

    /**
     * {@code test_mean}: {@code scale * (score - group mean)} on every policy token; preset
     * {@code double} sets scale 2.
     */
    static final class Mean implements Estimator {
        private static final Descriptor D = Descriptor.builder("test_mean")
                .aliases("tm")
                .title("test mean baseline")
                .source("test")
                .granularity(Granularity.TRAJECTORY)
                .methodology(Methodology.MONTE_CARLO)
                .fidelity(Fidelity.PAPER)
                .requires(SignalRequirement.trajectory("reward", "a verifier"))
                .parameters(
                        ParamSpec.real("scale", 1.0, 0.0, 100.0, "multiplier"),
                        ParamSpec.bool("center", true, "subtract the group mean"))
                .preset("double", Map.of("scale", 2.0))
                .summary("scale * (s - mean)")
                .build();

        @Override
        public Descriptor descriptor() {
            return D;
        }

        @Override
        public Credit assign(Rollouts b, Params p, Execution e) {
            double[] s = b.scores();
            double scale = p.getDouble("scale");
            float[] adv = new float[b.tokenCount()];
            for (int g = 0; g < b.groupCount(); g++) {
                double mean = 0;
                int from = b.groupMemberStart()[g];
                int to = b.groupMemberStart()[g + 1];
                for (int k = from; k < to; k++) mean += s[b.groupMembers()[k]];
                mean /= to - from;
                for (int k = from; k < to; k++) {
                    int i = b.groupMembers()[k];
                    float a = (float) (scale * (s[i] - (p.getBoolean("center") ? mean : 0)));
                    for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) adv[t] = b.mask()[t] == 1 ? a : 0f;
                }
            }
            return Credit.of(adv);
        }
    }

    /** {@code test_value}: the critic value on policy tokens; needs the token signal {@code value}. */
    static final class NeedsValue implements Estimator {
        private static final Descriptor D = Descriptor.builder("test_value")
                .granularity(Granularity.TOKEN)
                .methodology(Methodology.TEMPORAL_DIFFERENCE)
                .fidelity(Fidelity.RECONSTRUCTED)
                .requires(SignalRequirement.token("value", "the critic"))
                .build();

        @Override
        public Descriptor descriptor() {
            return D;
        }

        @Override
        public Credit assign(Rollouts b, Params p, Execution e) {
            float[] v = b.requireTokenSignal("value", "test_value", "the critic");
            float[] adv = new float[b.tokenCount()];
            for (int t = 0; t < adv.length; t++) adv[t] = b.mask()[t] == 1 ? v[t] : 0f;
            return Credit.of(adv);
        }
    }

    /** {@code test_steps}: a step-level estimator needing state keys; each policy span gets its index in the trajectory. */
    static final class Steps implements Estimator {
        private static final Descriptor D = Descriptor.builder("test_steps")
                .granularity(Granularity.STEP)
                .requires(
                        SignalRequirement.span("state", "the environment"),
                        SignalRequirement.token("old_logprob", "the rollout policy"))
                .build();

        @Override
        public Descriptor descriptor() {
            return D;
        }

        @Override
        public Credit assign(Rollouts b, Params p, Execution e) {
            b.requireSpanState("test_steps");
            b.requireTokenSignal("old_logprob", "test_steps", "the rollout policy");
            float[] adv = new float[b.tokenCount()];
            float[] spanAdv = new float[b.spanCount()];
            for (int i = 0; i < b.trajectoryCount(); i++) {
                int k = 0;
                for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                    if (!b.isPolicySpan(s)) continue;
                    spanAdv[s] = ++k;
                    for (int t = b.spanTokenStart(s); t < b.spanTokenEnd(s); t++) adv[t] = k;
                }
            }
            return Credit.builder(adv).spanAdvantages(spanAdv).build();
        }
    }
}
