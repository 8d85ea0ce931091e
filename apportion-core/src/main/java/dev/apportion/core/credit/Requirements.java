package dev.apportion.core.credit;

import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a batch meets an estimator's declared {@link Descriptor#requires() requirements}, and
 * the one place they are enforced: {@link EstimatorRegistry} hands out estimators that call
 * {@link #enforce} before they run, so every call path (CLI, bench, conformance, embedding)
 * refuses a batch the same way, with one message shape:
 * <pre>estimator 'grpo' needs trajectory signal 'reward' (any reward: an outcome, outcome
 * components, span rewards or token_signals.reward) from a verifier or reward model; the batch has none</pre>
 *
 * <p>A requirement named {@code reward} means any reward, at any level. Span {@code state} and
 * {@code agent} are the span keys; trajectory {@code outcome} the outcome and
 * {@code outcome_components} the named components; other names are signals of their level (a
 * trajectory name may also be an outcome component).
 */
public final class Requirements {
    /** The requirement name meaning any reward (outcome, outcome components, span or token rewards). */
    public static final String ANY_REWARD = "reward";

    private Requirements() {}

    /** True when {@code b} carries what {@code r} names. */
    public static boolean met(SignalRequirement r, Rollouts b) {
        String n = r.name();
        if (n.equals(ANY_REWARD)) return b.hasAnyReward();
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
                if (n.equals("outcome_components"))
                    return !b.outcomeComponents().isEmpty();
                return b.trajectorySignal(n) != null || b.outcomeComponents().containsKey(n);
        }
    }

    /** The requirements of {@code d} that {@code b} does not meet (enforced or not), in declaration order. */
    public static List<SignalRequirement> unmet(Descriptor d, Rollouts b) {
        List<SignalRequirement> out = new ArrayList<>();
        for (SignalRequirement r : d.requires()) if (!met(r, b)) out.add(r);
        return out;
    }

    /** A requirement as a reader meets it: {@code trajectory signal 'reward' (any reward: …) from …}. */
    public static String describe(SignalRequirement r) {
        String what = r.name().equals(ANY_REWARD)
                ? " (any reward: an outcome, outcome components, span rewards or token_signals.reward)"
                : "";
        return r.level().wireName() + " signal '" + r.name() + "'" + what + " from " + r.producedBy();
    }

    /**
     * Refuses a non-empty batch that lacks an {@link SignalRequirement#enforced() enforced}
     * requirement of {@code d} (an empty batch has nothing to credit and passes).
     *
     * @throws RolloutException naming the estimator, the signal and what produces it
     */
    public static void enforce(Descriptor d, Rollouts b) {
        if (b.trajectoryCount() == 0) return;
        for (SignalRequirement r : d.requires()) {
            if (r.enforced() && !met(r, b)) {
                throw new RolloutException(
                        "estimator '" + d.id() + "' needs " + describe(r) + "; the batch has none", -1, field(r));
            }
        }
    }

    private static String field(SignalRequirement r) {
        if (r.name().equals(ANY_REWARD)) return "outcome";
        switch (r.level()) {
            case TOKEN:
                return "token_signals." + r.name();
            case SPAN:
                return "spans[].signals." + r.name();
            default:
                return r.name();
        }
    }
}
