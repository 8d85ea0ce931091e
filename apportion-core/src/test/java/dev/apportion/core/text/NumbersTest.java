package dev.apportion.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each variant on the awkward values: negative zero, NaN, the infinities, 1e-7, 123456.789, rounding ties. */
class NumbersTest {
    private Locale saved;

    /** A locale with a decimal comma: no variant may follow it. */
    @BeforeEach
    void germanDefaultLocale() {
        saved = Locale.getDefault();
        Locale.setDefault(Locale.GERMANY);
    }

    @AfterEach
    void restoreLocale() {
        Locale.setDefault(saved);
    }

    @Test
    void exactKeepsEveryDigitAndDropsTheWholeNumbersPoint() {
        assertEquals("0", Numbers.exact(-0.0));
        assertEquals("0", Numbers.exact(0.0));
        assertEquals("NaN", Numbers.exact(Double.NaN));
        assertEquals("Infinity", Numbers.exact(Double.POSITIVE_INFINITY));
        assertEquals("-Infinity", Numbers.exact(Double.NEGATIVE_INFINITY));
        assertEquals("1e-7", Numbers.exact(1e-7));
        assertEquals("1e-12", Numbers.exact(1e-12));
        assertEquals("1.5e-8", Numbers.exact(1.5e-8));
        assertEquals("123456.789", Numbers.exact(123456.789));
        assertEquals("-2", Numbers.exact(-2.0));
        assertEquals("0.95", Numbers.exact(0.95));
        assertEquals("0.1", Numbers.exact(0.1));
        assertEquals("999999999999999", Numbers.exact(999999999999999.0));
        assertEquals("1e15", Numbers.exact(1e15));
        assertEquals("1.5e20", Numbers.exact(1.5e20));
    }

    @Test
    void fixedRoundsHalfUpAndWritesNoNegativeZero() {
        assertEquals("0.000", Numbers.fixed(-0.0, 3));
        assertEquals("0.000", Numbers.fixed(-0.0004, 3));
        assertEquals("-0.001", Numbers.fixed(-0.0005, 3));
        assertEquals("–", Numbers.fixed(Double.NaN, 3));
        assertEquals("–", Numbers.fixed(Double.POSITIVE_INFINITY, 2));
        assertEquals("–", Numbers.fixed(Double.NEGATIVE_INFINITY, 2));
        assertEquals("0.000", Numbers.fixed(1e-7, 3));
        assertEquals("123456.789", Numbers.fixed(123456.789, 3));
        assertEquals("123456.79", Numbers.fixed(123456.789, 2));
        assertEquals("123457", Numbers.fixed(123456.789, 0));
        assertEquals("3", Numbers.fixed(2.5, 0));
        assertEquals("-1.50", Numbers.fixed(-1.5, 2));
        assertEquals("0", Numbers.fixed(-0.4, 0));
    }

    @Test
    void smallKeepsThreeSignificantDigitsBelowOneHundredth() {
        assertEquals("0.000", Numbers.small(-0.0));
        assertEquals("0.000", Numbers.small(0.0));
        assertEquals("–", Numbers.small(Double.NaN));
        assertEquals("–", Numbers.small(Double.NEGATIVE_INFINITY));
        assertEquals("1.00e-07", Numbers.small(1e-7));
        assertEquals("123456.789", Numbers.small(123456.789));
        assertEquals("0.00123", Numbers.small(0.00123));
        assertEquals("-4.56e-05", Numbers.small(-4.56e-5));
        assertEquals("0.010", Numbers.small(0.01));
        assertEquals("-0.00999", Numbers.small(-0.00999));
        assertEquals("0.123", Numbers.small(0.1234));
    }

    @Test
    void significantKeepsTheDigitsOfAColumn() {
        assertEquals("0", Numbers.significant(-0.0, 4));
        assertEquals("0", Numbers.significant(0.0, 4));
        assertEquals("NaN", Numbers.significant(Double.NaN, 4));
        assertEquals("Infinity", Numbers.significant(Double.POSITIVE_INFINITY, 4));
        assertEquals("-Infinity", Numbers.significant(Double.NEGATIVE_INFINITY, 4));
        assertEquals("1.000e-07", Numbers.significant(1e-7, 4));
        assertEquals("1.235e+05", Numbers.significant(123456.789, 4));
        assertEquals("1.000", Numbers.significant(1, 4));
        assertEquals("0.5773", Numbers.significant(0.57734, 4));
        assertEquals("0.5774", Numbers.significant(0.57735, 4));
        assertEquals("-0.2500", Numbers.significant(-0.25, 4));
    }

    @Test
    void compactDropsTrailingZeros() {
        assertEquals("0", Numbers.compact(-0.0, 7));
        assertEquals("0", Numbers.compact(0.0, 7));
        assertEquals("NaN", Numbers.compact(Double.NaN, 7));
        assertEquals("Infinity", Numbers.compact(Double.POSITIVE_INFINITY, 7));
        assertEquals("-Infinity", Numbers.compact(Double.NEGATIVE_INFINITY, 4));
        assertEquals("1e-07", Numbers.compact(1e-7, 7));
        assertEquals("1.234568e-07", Numbers.compact(1.2345678e-7, 7));
        assertEquals("123456.8", Numbers.compact(123456.789, 7));
        assertEquals("1.235e+05", Numbers.compact(123456.789, 4));
        assertEquals("0.5", Numbers.compact(0.5, 7));
        assertEquals("100", Numbers.compact(100, 7));
        assertEquals("-0.25", Numbers.compact(-0.25, 4));
        assertEquals("0.0001", Numbers.compact(1e-4, 4));
    }
}
