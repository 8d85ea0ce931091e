package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;

/**
 * Turns one kind of golden case (an input layout of some reference framework) into an
 * apportion batch, and compares apportion's credit with the case's expected values.
 * Implementations are stateless and thread-safe. They are listed in one place,
 * {@link GoldenAdapters#all()}, where the first adapter that accepts a case handles it.
 */
public interface GoldenAdapter {
    /** Short name for messages. */
    String name();

    /** True when this adapter knows the case's input layout. */
    boolean accepts(GoldenCase c);

    /**
     * Builds the batch and the estimator call.
     *
     * @throws IllegalArgumentException when the case's input is malformed for this layout (the
     *     message names the input field, row and value)
     */
    AdaptedCase adapt(GoldenCase c);

    /**
     * Compares credit with the case's expectations. The default compares
     * {@code expected.advantages}, {@code returns} and {@code clip_scale} where the token is a
     * policy token ({@link Comparison#standard}); override for cases that expect other outputs.
     */
    default Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        return Comparison.standard(c, a, credit);
    }
}
