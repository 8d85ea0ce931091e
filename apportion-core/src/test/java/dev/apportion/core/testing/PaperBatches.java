package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;

/**
 * Hand-made step batches for the paper-level reasoning estimators: a one-token prompt, then
 * steps, each a policy span followed by a one-token context span (a separator or observation).
 */
public final class PaperBatches {
    private PaperBatches() {}

    /** Starts a trajectory with a one-token prompt; {@code outcome} NaN for none. */
    public static RolloutsBuilder start(RolloutsBuilder b, String group, String id, double outcome) {
        b.trajectory(group, id);
        if (!Double.isNaN(outcome)) b.outcome(outcome);
        return b.span(Role.CONTEXT, 1);
    }

    /** Appends a step of {@code tokens} policy tokens with span signals (name, value pairs; NaN skipped), then a separator. */
    public static RolloutsBuilder step(RolloutsBuilder b, int tokens, Object... signals) {
        b.span(Role.POLICY, tokens);
        for (int j = 0; j < signals.length; j += 2) {
            double v = ((Number) signals[j + 1]).doubleValue();
            if (!Double.isNaN(v)) b.spanSignal((String) signals[j], v);
        }
        return b.span(Role.CONTEXT, 1);
    }

    /** A trajectory whose steps carry one signal each ({@code tokens} tokens per step). */
    public static RolloutsBuilder steps(
            RolloutsBuilder b, String group, String id, double outcome, int tokens, String signal, double... values) {
        start(b, group, id, outcome);
        for (double v : values) step(b, tokens, signal, v);
        return b;
    }

    /**
     * The credit of step {@code k} of trajectory {@code i}, checking that every token of the step
     * has it and that the separator after it and the prompt get 0.
     */
    public static double stepValue(Rollouts batch, float[] credit, int i, int k) {
        int seen = -1;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (!batch.isPolicySpan(s)) {
                for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                    assertEquals(0f, credit[t], 0f, "context token");
                continue;
            }
            if (++seen != k) continue;
            float v = credit[batch.spanTokenStart(s)];
            for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                assertEquals(v, credit[t], 0f, "step tokens differ");
            return v;
        }
        throw new AssertionError("trajectory " + i + " has no step " + k);
    }
}
