package dev.apportion.bench.run;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

import java.util.ArrayList;
import java.util.List;

/** Which of an estimator's declared signal requirements a batch does not meet. */
public final class Requirements {
    private Requirements() {
    }

    /**
     * The unmet requirements of {@code d} on {@code b}, as readable strings (empty when all are met).
     * {@code reward} at any level means any reward (outcome, span or token); span {@code state} and
     * {@code agent} are the span keys; trajectory {@code outcome} the outcome and
     * {@code outcome_components} the named components.
     */
    public static List<String> missing(Descriptor d, Rollouts b) {
        List<String> out = new ArrayList<>();
        for (SignalRequirement r : d.requires()) {
            if (!met(r, b)) out.add(r.level().wireName() + " signal '" + r.name() + "' (" + r.producedBy() + ")");
        }
        return out;
    }

    private static boolean met(SignalRequirement r, Rollouts b) {
        String n = r.name();
        if (n.equals("reward")) return b.hasAnyReward();
        switch (r.level()) {
            case TOKEN:
                return b.tokenSignal(n) != null;
            case SPAN:
                if (n.equals("state")) return b.spanState() != null;
                if (n.equals("agent")) return b.spanAgent() != null;
                if (n.equals("span_reward") || n.equals("turn_reward")) return b.spanReward() != null;
                return b.spanSignal(n) != null;
            case TRAJECTORY:
            default:
                if (n.equals("outcome")) return b.outcome() != null;
                if (n.equals("outcome_components")) return !b.outcomeComponents().isEmpty();
                return b.trajectorySignal(n) != null || b.outcomeComponents().containsKey(n);
        }
    }
}
