package dev.apportion.cli;

/** Exit codes of the {@code apportion} command (the contract in docs/DESIGN.md "Command line"). */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** A check failed (conformance mismatch, checklist item missing). */
    public static final int CHECK_FAILED = 1;
    /** Bad usage or bad input: a one-line message names the file, line, field and value. */
    public static final int BAD_INPUT = 2;
    /** A defect in apportion itself (an unexpected exception); rerun with --verbose and report it. */
    public static final int INTERNAL_ERROR = 3;

    private ExitCodes() {}
}
