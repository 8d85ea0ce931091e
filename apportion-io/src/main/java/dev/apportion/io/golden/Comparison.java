package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;

/**
 * Comparing apportion's credit with a golden case's expected values. A value passes when
 * {@code |got - want| <= atol + rtol * |want|}; the worst value is the one with the largest
 * {@code |got - want| / tolerance}. Adapters that compare other outputs use a {@link Tracker}.
 */
public final class Comparison {
    private Comparison() {}

    /**
     * Result of a comparison.
     *
     * @param passed true when every value is within tolerance and nothing is structurally wrong
     * @param compared number of values compared
     * @param failed number of values outside tolerance
     * @param worst the worst value, or null when nothing was compared
     * @param detail one line for reports
     */
    public record Result(boolean passed, int compared, int failed, CaseResult.Mismatch worst, String detail) {}

    /**
     * The contract's comparison: {@code expected.advantages} (and {@code returns} and
     * {@code clip_scale} when the case has them; the estimator must then produce them) at every
     * padded position whose token is a policy token; the advantage must be exactly 0 at every
     * position whose token is a context token.
     */
    public static Result standard(GoldenCase c, AdaptedCase a, Credit credit) {
        Tracker tr = new Tracker(c.atol(), c.rtol());
        Rollouts batch = a.batch();
        if (c.expectedAdvantages() == null) {
            return tr.problem(
                    "the case has no expected.advantages array (rows x L); its adapter must compare what it expects");
        }
        if (credit.advantages() == null || credit.advantages().length != batch.tokenCount()) {
            return tr.problem(
                    "the estimator returned " + (credit.advantages() == null ? "no" : credit.advantages().length)
                            + " advantages for " + batch.tokenCount() + " tokens");
        }
        Result shape = shape(tr, "advantages", c.expectedAdvantages(), a.tokenIndex());
        if (shape != null) return shape;
        compare(tr, "advantages", c.expectedAdvantages(), credit.advantages(), a, true);
        if (c.expectedReturns() != null) {
            if (credit.returns() == null) return tr.problem("the case expects returns but the estimator produced none");
            shape = shape(tr, "returns", c.expectedReturns(), a.tokenIndex());
            if (shape != null) return shape;
            compare(tr, "returns", c.expectedReturns(), credit.returns(), a, false);
        }
        if (c.expectedClipScale() != null) {
            if (credit.clipScales() == null)
                return tr.problem("the case expects clip_scale but the estimator produced none");
            shape = shape(tr, "clip_scale", c.expectedClipScale(), a.tokenIndex());
            if (shape != null) return shape;
            compare(tr, "clip_scale", c.expectedClipScale(), credit.clipScales(), a, false);
        }
        return tr.result();
    }

    private static Result shape(Tracker tr, String array, double[][] want, int[][] tokenIndex) {
        if (want.length != tokenIndex.length) {
            return tr.problem(
                    "expected." + array + " has " + want.length + " rows but the input has " + tokenIndex.length);
        }
        for (int r = 0; r < want.length; r++) {
            if (want[r] == null || want[r].length != tokenIndex[r].length) {
                return tr.problem("expected." + array + "[" + r + "] has " + (want[r] == null ? 0 : want[r].length)
                        + " values but input row " + r + " has " + tokenIndex[r].length + " positions");
            }
        }
        return null;
    }

    private static void compare(
            Tracker tr, String array, double[][] want, float[] got, AdaptedCase a, boolean zeroOnContext) {
        tokens(tr, array, (r, col) -> want[r][col], got, a, zeroOnContext);
    }

    /** The expected value at a row and column of a case's row-major expected array. */
    @FunctionalInterface
    interface Expected {
        double at(int row, int col);
    }

    /**
     * {@code want(row, col)} against {@code got[tokenIndex[row][col]]} on policy tokens (read only
     * there); on context tokens 0 when {@code zeroOnContext}; padding (index −1) skipped.
     */
    static void tokens(Tracker tr, String array, Expected want, float[] got, AdaptedCase a, boolean zeroOnContext) {
        byte[] mask = a.batch().mask();
        int[][] ti = a.tokenIndex();
        for (int r = 0; r < ti.length; r++) {
            for (int col = 0; col < ti[r].length; col++) {
                int t = ti[r][col];
                if (t < 0) continue;
                if (mask[t] == 1) tr.value(array, r, col, want.at(r, col), got[t]);
                else if (zeroOnContext) tr.mustBeZero(array, r, col, got[t]);
            }
        }
    }

    /**
     * The failed result when {@code credit} has no advantage array of the batch's token count,
     * recorded on {@code tr}; null when the advantages are there to compare.
     */
    public static Result missingAdvantages(Tracker tr, Rollouts batch, Credit credit) {
        if (credit.advantages() != null && credit.advantages().length == batch.tokenCount()) return null;
        return tr.problem("the estimator returned no advantages for the batch's " + batch.tokenCount() + " tokens");
    }

    /** Accumulates compared values and keeps the worst one. Not thread-safe. */
    public static final class Tracker {
        private final double atol;
        private final double rtol;
        private int compared;
        private int failed;
        private double worstRatio = -1;
        private CaseResult.Mismatch worst;
        private String problem;

        public Tracker(double atol, double rtol) {
            this.atol = atol;
            this.rtol = rtol;
        }

        /** Compares one value with the tolerance {@code atol + rtol * |want|}. */
        public void value(String array, int row, int col, double want, double got) {
            check(array, row, col, want, got, atol + rtol * Math.abs(want));
        }

        /** A value that must be exactly 0 (an advantage on a context token). */
        public void mustBeZero(String array, int row, int col, double got) {
            check(array, row, col, 0.0, got, 0.0);
        }

        private void check(String array, int row, int col, double want, double got, double tol) {
            compared++;
            double diff = Math.abs(got - want);
            boolean ok = diff <= tol; // false for NaN
            double ratio = ok
                    ? (tol > 0 ? diff / tol : 0.0)
                    : (tol > 0 && Double.isFinite(diff) ? diff / tol : Double.POSITIVE_INFINITY);
            if (!ok) failed++;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = new CaseResult.Mismatch(array, row, col, want, got, tol);
            }
        }

        /** Marks a structural problem (missing output, wrong shape) and returns the failed result. */
        public Result problem(String message) {
            this.problem = message;
            return result();
        }

        /** The result so far. */
        public Result result() {
            if (problem != null) return new Result(false, compared, failed, worst, problem);
            if (worst == null) return new Result(true, 0, 0, null, "no values to compare");
            CaseResult.Mismatch w = worst;
            String where = w.array() + "[" + w.row() + "][" + w.col() + "]";
            double diff = Math.abs(w.got() - w.want());
            if (failed > 0) {
                return new Result(
                        false,
                        compared,
                        failed,
                        w,
                        failed + " of " + compared + " values outside tolerance; worst "
                                + where + ": want " + Numbers.compact(w.want(), 7) + ", got "
                                + Numbers.compact(w.got(), 7) + " (|diff| " + Numbers.compact(diff, 7)
                                + " > tolerance " + Numbers.compact(w.tolerance(), 7) + ")");
            }
            return new Result(
                    true,
                    compared,
                    0,
                    w,
                    compared + " values within tolerance; worst " + where + ": |diff| " + Numbers.compact(diff, 7)
                            + " <= tolerance " + Numbers.compact(w.tolerance(), 7));
        }
    }
}
