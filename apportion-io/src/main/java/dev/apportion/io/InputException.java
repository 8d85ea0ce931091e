package dev.apportion.io;

/**
 * An input file is malformed. The message is one line that starts with {@code file:line:} and
 * names the trajectory, the field and the offending value whenever they are known, for example
 * {@code rollouts.jsonl:17: trajectory 'a3' (group 'p4'): token_signals.logprob has 11 values
 * but the trajectory has 12 tokens}.
 */
public class InputException extends IllegalArgumentException {
    private final String source;
    private final int line;
    private final String trajectoryId;
    private final String group;
    private final String field;
    private final String value;

    /**
     * @param source file name as the user gave it (or another name of the input)
     * @param line 1-based line number, or 0 when the problem is not tied to one line
     * @param field offending field (for example {@code token_signals.logprob}), or null
     * @param detail what is wrong, without the {@code file:line:} prefix
     * @param cause underlying exception, or null
     */
    public InputException(String source, int line, String field, String detail, Throwable cause) {
        this(source, line, null, null, field, null, detail, cause);
    }

    /**
     * The structured form: every part of the location kept apart, so that callers read them
     * instead of parsing the message.
     *
     * @param trajectoryId the trajectory's id, or null
     * @param group its group, or null
     * @param value the offending value as written in the input, or null
     */
    public InputException(
            String source,
            int line,
            String trajectoryId,
            String group,
            String field,
            String value,
            String detail,
            Throwable cause) {
        super(prefix(source, line) + detail, cause);
        this.source = source;
        this.line = line;
        this.trajectoryId = trajectoryId;
        this.group = group;
        this.field = field;
        this.value = value;
    }

    public InputException(String source, int line, String field, String detail) {
        this(source, line, field, detail, null);
    }

    private static String prefix(String source, int line) {
        return source + (line > 0 ? ":" + line : "") + ": ";
    }

    /** Name of the input (file name as given). */
    public String source() {
        return source;
    }

    /** 1-based line number, or 0 when not tied to a line. */
    public int line() {
        return line;
    }

    /** Id of the trajectory the problem is in, or null. */
    public String trajectoryId() {
        return trajectoryId;
    }

    /** Group of that trajectory, or null. */
    public String group() {
        return group;
    }

    /** The offending value as written in the input, or null. */
    public String value() {
        return value;
    }

    /** Offending field, or null. */
    public String field() {
        return field;
    }
}
