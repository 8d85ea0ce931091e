package dev.apportion.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0 | -0.0",
                "0 | 0.0",
                "NaN | NaN",
                "Infinity | Infinity",
                "-Infinity | -Infinity",
                "1e-7 | 1e-7",
                "1e-12 | 1e-12",
                "1.5e-8 | 1.5e-8",
                "123456.789 | 123456.789",
                "-2 | -2.0",
                "0.95 | 0.95",
                "0.1 | 0.1",
                "999999999999999 | 999999999999999.0",
                "1e15 | 1e15",
                "1.5e20 | 1.5e20"
            })
    void exactKeepsEveryDigitAndDropsTheWholeNumbersPoint(String want, double x) {
        assertEquals(want, Numbers.exact(x));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0.000 | -0.0 | 3",
                "0.000 | -0.0004 | 3",
                "-0.001 | -0.0005 | 3",
                "– | NaN | 3",
                "– | Infinity | 2",
                "– | -Infinity | 2",
                "0.000 | 1e-7 | 3",
                "123456.789 | 123456.789 | 3",
                "123456.79 | 123456.789 | 2",
                "123457 | 123456.789 | 0",
                "3 | 2.5 | 0",
                "-1.50 | -1.5 | 2",
                "0 | -0.4 | 0"
            })
    void fixedRoundsHalfUpAndWritesNoNegativeZero(String want, double x, int digits) {
        assertEquals(want, Numbers.fixed(x, digits));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0.000 | -0.0",
                "0.000 | 0.0",
                "– | NaN",
                "– | -Infinity",
                "1.00e-07 | 1e-7",
                "123456.789 | 123456.789",
                "0.00123 | 0.00123",
                "-4.56e-05 | -4.56e-5",
                "0.010 | 0.01",
                "-0.00999 | -0.00999",
                "0.123 | 0.1234"
            })
    void smallKeepsThreeSignificantDigitsBelowOneHundredth(String want, double x) {
        assertEquals(want, Numbers.small(x));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0 | -0.0 | 4",
                "0 | 0.0 | 4",
                "NaN | NaN | 4",
                "Infinity | Infinity | 4",
                "-Infinity | -Infinity | 4",
                "1.000e-07 | 1e-7 | 4",
                "1.235e+05 | 123456.789 | 4",
                "1.000 | 1 | 4",
                "0.5773 | 0.57734 | 4",
                "0.5774 | 0.57735 | 4",
                "-0.2500 | -0.25 | 4"
            })
    void significantKeepsTheDigitsOfAColumn(String want, double x, int digits) {
        assertEquals(want, Numbers.significant(x, digits));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0 | -0.0 | 7",
                "0 | 0.0 | 7",
                "NaN | NaN | 7",
                "Infinity | Infinity | 7",
                "-Infinity | -Infinity | 4",
                "1e-07 | 1e-7 | 7",
                "1.234568e-07 | 1.2345678e-7 | 7",
                "123456.8 | 123456.789 | 7",
                "1.235e+05 | 123456.789 | 4",
                "0.5 | 0.5 | 7",
                "100 | 100 | 7",
                "-0.25 | -0.25 | 4",
                "0.0001 | 1e-4 | 4"
            })
    void compactDropsTrailingZeros(String want, double x, int digits) {
        assertEquals(want, Numbers.compact(x, digits));
    }
}
