package dev.apportion.core.credit;

/**
 * A signal an estimator needs.
 *
 * @param level where it lives
 * @param name its name: {@code reward} (any reward: outcome, span or token), {@code value},
 *     {@code state}, {@code reward_baseline}, {@code old_logprob}, …
 * @param producedBy what produces it, for error messages ("the critic", "a greedy rollout")
 */
public record SignalRequirement(SignalLevel level, String name, String producedBy) {
    public static SignalRequirement token(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.TOKEN, name, producedBy);
    }

    public static SignalRequirement span(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.SPAN, name, producedBy);
    }

    public static SignalRequirement trajectory(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.TRAJECTORY, name, producedBy);
    }

    @Override
    public String toString() {
        return level.wireName() + ":" + name;
    }
}
