package dev.apportion.core.credit;

/**
 * A signal an estimator needs.
 *
 * @param level where it lives
 * @param name its name: {@code reward} (any reward: outcome, outcome components, span or token),
 *     {@code value}, {@code state}, {@code reward_baseline}, {@code old_logprob}, …
 * @param producedBy what produces it, for error messages ("the critic", "a greedy rollout")
 * @param enforced true when the estimator cannot run without it whatever its parameters: the
 *     registry then refuses a batch that lacks it before the estimator runs (see
 *     {@link Requirements#enforce}); false when it is declared for documentation and the
 *     estimator reads it (or not) depending on its parameters
 */
public record SignalRequirement(SignalLevel level, String name, String producedBy, boolean enforced) {
    /** A declared, not enforced, requirement (the estimator checks it where it reads it). */
    public SignalRequirement(SignalLevel level, String name, String producedBy) {
        this(level, name, producedBy, false);
    }

    public static SignalRequirement token(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.TOKEN, name, producedBy);
    }

    public static SignalRequirement span(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.SPAN, name, producedBy);
    }

    public static SignalRequirement trajectory(String name, String producedBy) {
        return new SignalRequirement(SignalLevel.TRAJECTORY, name, producedBy);
    }

    /** This requirement, enforced before every call (see {@link Requirements#enforce}). */
    public SignalRequirement always() {
        return new SignalRequirement(level, name, producedBy, true);
    }

    @Override
    public String toString() {
        return level.wireName() + ":" + name;
    }
}
