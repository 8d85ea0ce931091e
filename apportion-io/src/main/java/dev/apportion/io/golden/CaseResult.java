package dev.apportion.io.golden;

/**
 * Outcome of running one golden case.
 *
 * @param caseName the case's name
 * @param status passed, failed or skipped
 * @param detail one line: the worst mismatch, the skip reason or the error
 * @param source {@code file:line} of the case
 * @param worst the worst compared value (largest error relative to its tolerance), or null
 * @param error message of the exception the estimator threw, or null
 */
public record CaseResult(String caseName, Status status, String detail, String source, Mismatch worst, String error) {
    /** Result classes. */
    public enum Status {
        PASSED,
        FAILED,
        SKIPPED
    }

    /**
     * One compared value.
     *
     * @param array which output ({@code advantages}, {@code returns}, {@code clip_scale})
     * @param row padded row
     * @param col padded column
     * @param want expected value
     * @param got apportion's value
     * @param tolerance {@code atol + rtol * |want|}
     */
    public record Mismatch(String array, int row, int col, double want, double got, double tolerance) {}
}
