package dev.apportion.core.testing;

/** The golden files' pass criterion, used by tests that compare two computations of the same numbers. */
public final class Tolerance {
    private Tolerance() {}

    /** {@code |got − want| ≤ atol + rtol·|want|}; NaN on either side fails. */
    public static boolean close(double want, double got, double atol, double rtol) {
        return Math.abs(got - want) <= atol + rtol * Math.abs(want);
    }
}
