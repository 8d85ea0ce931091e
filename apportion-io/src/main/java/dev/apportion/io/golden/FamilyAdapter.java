package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An adapter for a family of reference code whose golden file holds one layout per estimator id.
 * Each layout is a row of a table: the estimator id, the input fields whose presence identifies
 * the layout, how the batch is built and how the credit is compared. {@link #accepts},
 * {@link #adapt} and {@link #compare} look the case's estimator up in the table; a family adds a
 * layout by adding a row, not a branch to three switches.
 */
abstract class FamilyAdapter implements GoldenAdapter {
    /** Builds a case's batch and estimator call. */
    @FunctionalInterface
    interface Builder {
        AdaptedCase adapt(GoldenCase c);
    }

    /** Compares credit with a case's expectations. */
    @FunctionalInterface
    interface Comparer {
        Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit);
    }

    /** Compares with a fresh tracker, after the advantages were found present. */
    @FunctionalInterface
    interface TrackedComparer {
        Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit, Comparison.Tracker tr);
    }

    /** One row of the table. */
    record Layout(String estimator, List<String> fields, Builder builder, Comparer comparer) {}

    /** A layout row: cases of {@code estimator} whose input has every one of {@code fields}. */
    static Layout layout(String estimator, List<String> fields, Builder builder, Comparer comparer) {
        return new Layout(estimator, List.copyOf(fields), builder, comparer);
    }

    /**
     * A comparer that fails a case whose credit has no advantage per token
     * ({@link Comparison#missingAdvantages}) and otherwise hands a fresh tracker (the case's
     * tolerances) to {@code then}.
     */
    static Comparer withAdvantages(TrackedComparer then) {
        return (c, a, credit) -> {
            Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
            Comparison.Result missing = Comparison.missingAdvantages(tr, a.batch(), credit);
            return missing != null ? missing : then.compare(c, a, credit, tr);
        };
    }

    private final String name;
    private final Map<String, Layout> byEstimator = new LinkedHashMap<>();

    FamilyAdapter(String name, Layout... layouts) {
        this.name = name;
        for (Layout l : layouts) {
            if (byEstimator.put(l.estimator(), l) != null)
                throw new IllegalStateException(name + ": two layouts for " + l.estimator());
        }
    }

    /** The estimator ids of the table, in table order. */
    final Set<String> estimators() {
        return byEstimator.keySet();
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean accepts(GoldenCase c) {
        Layout l = byEstimator.get(c.estimator());
        return l != null && GoldenInputs.hasAll(c, l.fields());
    }

    @Override
    public final AdaptedCase adapt(GoldenCase c) {
        return layoutOf(c).builder().adapt(c);
    }

    @Override
    public final Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        return layoutOf(c).comparer().compare(c, a, credit);
    }

    private Layout layoutOf(GoldenCase c) {
        Layout l = byEstimator.get(c.estimator());
        if (l == null)
            throw new IllegalArgumentException(
                    "the " + name + " adapter has no layout for estimator '" + c.estimator() + "'");
        return l;
    }
}
