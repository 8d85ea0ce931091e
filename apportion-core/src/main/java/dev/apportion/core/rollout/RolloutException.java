package dev.apportion.core.rollout;

/**
 * A rollout batch is malformed or lacks what an estimator needs. The message names the
 * trajectory (index, id and group), the field and the offending value whenever they are known,
 * so that readers can prefix file and line.
 */
public class RolloutException extends IllegalArgumentException {
    private final int trajectory;
    private final String field;

    public RolloutException(String message) {
        this(message, -1, null);
    }

    public RolloutException(String message, int trajectory, String field) {
        super(message);
        this.trajectory = trajectory;
        this.field = field;
    }

    /** Index of the trajectory in its batch, or -1 when the problem is not tied to one. */
    public int trajectory() {
        return trajectory;
    }

    /** Name of the offending field (for example {@code token_signals.logprob}), or null. */
    public String field() {
        return field;
    }
}
