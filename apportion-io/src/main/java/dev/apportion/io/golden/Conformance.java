package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs golden cases against the estimators of a registry (GOLDEN-CONTRACT.md).
 *
 * <ol>
 *   <li>An estimator id, or a preset, that the registry lacks → {@code SKIPPED} with the reason.</li>
 *   <li>The first adapter of {@link GoldenAdapters#all()} that accepts the case builds the batch;
 *       no adapter, or an adapter rejecting the input → {@code FAILED} (a registered estimator
 *       whose cases cannot be run is a gap, not a skip).</li>
 *   <li>{@code Params.resolve(descriptor, preset, params)}; an unknown or bad parameter →
 *       {@code FAILED}.</li>
 *   <li>The estimator runs sequentially. With {@code expected.error} the case passes iff it
 *       throws an {@link IllegalArgumentException} (or subclass, such as
 *       {@code RolloutException}); the message is recorded. Otherwise any exception fails the
 *       case, and the adapter compares the credit ({@link Comparison#standard} by default).</li>
 * </ol>
 *
 * <p>Stateless and thread-safe.
 */
public final class Conformance {
    private Conformance() {}

    /** Counts of a run. */
    public record Summary(int passed, int failed, int skipped) {
        public int total() {
            return passed + failed + skipped;
        }

        @Override
        public String toString() {
            return passed + " passed, " + failed + " failed, " + skipped + " skipped";
        }
    }

    /** Runs one case with the standard adapters. */
    public static CaseResult run(GoldenCase c, EstimatorRegistry registry) {
        return run(c, registry, GoldenAdapters.all());
    }

    /** Runs one case with the given adapters (first accepting adapter wins). */
    public static CaseResult run(GoldenCase c, EstimatorRegistry registry, List<GoldenAdapter> adapters) {
        String skip = skipReason(c.estimator(), c.preset(), registry);
        if (skip != null) return skipped(c, skip);
        GoldenAdapter adapter = GoldenAdapters.find(c, adapters);
        if (adapter == null) {
            List<String> fields = new ArrayList<>();
            c.input().fieldNames().forEachRemaining(fields::add);
            return failed(
                    c,
                    "no golden adapter accepts this case (input fields: " + String.join(", ", fields)
                            + (c.compare() == null ? "" : "; compare: " + c.compare()) + ")",
                    null,
                    null);
        }
        AdaptedCase a;
        try {
            a = adapter.adapt(c);
        } catch (RuntimeException e) {
            return failed(c, "the " + adapter.name() + " adapter rejected the case: " + message(e), null, null);
        }
        skip = skipReason(a.estimator(), a.preset(), registry);
        if (skip != null) return skipped(c, skip);
        Estimator estimator = registry.get(a.estimator());
        Params params;
        try {
            params = Params.resolve(estimator.descriptor(), a.preset(), a.params());
        } catch (IllegalArgumentException e) {
            return failed(c, "parameters: " + message(e), null, null);
        }
        Credit credit;
        try {
            credit = estimator.assign(a.batch(), params, Execution.sequential());
        } catch (IllegalArgumentException e) {
            if (c.expectedError() != null) {
                return new CaseResult(
                        c.name(),
                        CaseResult.Status.PASSED,
                        "refused as expected: " + message(e),
                        c.source(),
                        null,
                        e.getMessage());
            }
            return failed(
                    c, "estimator '" + a.estimator() + "' refused the input: " + message(e), null, e.getMessage());
        } catch (RuntimeException e) {
            return failed(
                    c,
                    "estimator '" + a.estimator() + "' crashed: " + e.getClass().getSimpleName() + ": " + message(e),
                    null,
                    e.getMessage());
        }
        if (c.expectedError() != null) {
            return failed(
                    c,
                    "expected the estimator to refuse the input (reference: " + oneLine(c.expectedError())
                            + ") but it returned credit",
                    null,
                    null);
        }
        if (credit == null) return failed(c, "estimator '" + a.estimator() + "' returned null", null, null);
        Comparison.Result r;
        try {
            r = adapter.compare(c, a, credit);
        } catch (RuntimeException e) {
            return failed(c, "comparison failed: " + e.getClass().getSimpleName() + ": " + message(e), null, null);
        }
        return new CaseResult(
                c.name(),
                r.passed() ? CaseResult.Status.PASSED : CaseResult.Status.FAILED,
                r.detail(),
                c.source(),
                r.worst(),
                null);
    }

    /** Runs every case in order. */
    public static List<CaseResult> runAll(List<GoldenCase> cases, EstimatorRegistry registry) {
        List<CaseResult> out = new ArrayList<>(cases.size());
        for (GoldenCase c : cases) out.add(run(c, registry));
        return out;
    }

    /** Counts results by status. */
    public static Summary summarize(List<CaseResult> results) {
        int p = 0;
        int f = 0;
        int s = 0;
        for (CaseResult r : results) {
            switch (r.status()) {
                case PASSED:
                    p++;
                    break;
                case FAILED:
                    f++;
                    break;
                default:
                    s++;
                    break;
            }
        }
        return new Summary(p, f, s);
    }

    private static String skipReason(String id, String preset, EstimatorRegistry registry) {
        if (!registry.has(id)) return "estimator '" + id + "' is not registered";
        Descriptor d = registry.get(id).descriptor();
        if (preset != null && !d.presets().containsKey(preset)) {
            return "estimator '" + id + "' has no preset '" + preset + "'"
                    + (d.presets().isEmpty()
                            ? ""
                            : " (presets: " + String.join(", ", d.presets().keySet()) + ")");
        }
        return null;
    }

    private static CaseResult skipped(GoldenCase c, String reason) {
        return new CaseResult(c.name(), CaseResult.Status.SKIPPED, reason, c.source(), null, null);
    }

    private static CaseResult failed(GoldenCase c, String detail, CaseResult.Mismatch worst, String error) {
        return new CaseResult(c.name(), CaseResult.Status.FAILED, detail, c.source(), worst, error);
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : oneLine(e.getMessage());
    }

    private static String oneLine(String s) {
        String t = s.replace("\r", " ").replace("\n", " ");
        return t.length() > 300 ? t.substring(0, 297) + "..." : t;
    }
}
