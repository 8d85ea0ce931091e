package dev.apportion.core.rollout;

/**
 * A rollout batch is malformed or lacks what an estimator needs. The message names the
 * trajectory (index, id and group), the field and the offending value whenever they are known,
 * so that readers can prefix file and line.
 */
public class RolloutException extends IllegalArgumentException {
    private final int trajectory;
    private final String field;
    private final String detail;

    public RolloutException(String message) {
        this(message, -1, null);
    }

    public RolloutException(String message, int trajectory, String field) {
        super(message);
        this.trajectory = trajectory;
        this.field = field;
        this.detail = message;
    }

    /**
     * A problem of one trajectory, its description and the detail kept apart so that a reader
     * can re-place the detail (with file and line) without parsing the message.
     *
     * @param where the trajectory as the batch names it ({@code trajectory 3 (id 'a', group 'p')})
     * @param detail what is wrong (names field and value)
     */
    public RolloutException(String where, String detail, int trajectory, String field) {
        super(where + ": " + detail);
        this.trajectory = trajectory;
        this.field = field;
        this.detail = detail;
    }

    /** What is wrong, without the trajectory's description when it was given apart (else the message). */
    public String detail() {
        return detail;
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
