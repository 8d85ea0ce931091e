package dev.apportion.io.doctor;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.Arrays;
import java.util.Map;

/** Copies of a batch with one thing changed (the ablations the doctor runs). */
final class Batches {
    private Batches() {}

    /** The same batch where every policy span has a state key of its own ({@code #i.s}). */
    static Rollouts withUniqueStates(Rollouts b) {
        String[] state = new String[b.spanCount()];
        for (int s = 0; s < state.length; s++) if (b.isPolicySpan(s)) state[s] = "#unique." + s;
        return copy(b, state);
    }

    /** A copy of {@code b} with the given span states (null entries: no state). */
    static Rollouts copy(Rollouts b, String[] states) {
        RolloutsBuilder o = Rollouts.builder();
        float[] outcome = b.outcome();
        float[] reward = b.spanReward();
        String[] agent = b.spanAgent();
        String[] text = b.tokenText();
        for (int i = 0; i < b.trajectoryCount(); i++) {
            o.trajectory(b.groupKey(b.trajectoryGroup(i)), b.trajectoryId(i));
            if (outcome != null && !Float.isNaN(outcome[i])) o.outcome(outcome[i]);
            for (Map.Entry<String, float[]> e : b.outcomeComponents().entrySet())
                o.outcomeComponent(e.getKey(), e.getValue()[i]);
            for (Map.Entry<String, float[]> e : b.trajectorySignals().entrySet()) {
                if (!Float.isNaN(e.getValue()[i])) o.signal(e.getKey(), e.getValue()[i]);
            }
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                o.span(
                        b.isPolicySpan(s) ? Role.POLICY : Role.CONTEXT,
                        b.spanTokenEnd(s) - b.spanTokenStart(s),
                        reward == null ? Double.NaN : reward[s],
                        states[s],
                        agent == null ? null : agent[s]);
                for (Map.Entry<String, float[]> e : b.spanSignals().entrySet()) {
                    if (!Float.isNaN(e.getValue()[s])) o.spanSignal(e.getKey(), e.getValue()[s]);
                }
            }
            for (Map.Entry<String, float[]> e : b.tokenSignals().entrySet()) {
                o.tokenSignal(e.getKey(), Arrays.copyOfRange(e.getValue(), b.tokenStart(i), b.tokenEnd(i)));
            }
            if (text != null) o.tokenText(Arrays.copyOfRange(text, b.tokenStart(i), b.tokenEnd(i)));
        }
        return o.build();
    }
}
