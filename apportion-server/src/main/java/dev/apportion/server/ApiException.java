package dev.apportion.server;

/**
 * A request the service answers with an error: an HTTP status (4xx for the caller's mistakes,
 * 503 for limits of time and capacity) and one line of text, sent as
 * {@code {"error": "...", "line": N}} ({@code line} only when the problem sits on one line of a
 * JSONL body).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final int line;

    public ApiException(int status, String message) {
        this(status, message, 0, null);
    }

    public ApiException(int status, String message, int line, Throwable cause) {
        super(message, cause, false, false);
        this.status = status;
        this.line = line;
    }

    /** HTTP status code. */
    public int status() {
        return status;
    }

    /** 1-based line of the JSONL body the problem is on, or 0. */
    public int line() {
        return line;
    }
}
