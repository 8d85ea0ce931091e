package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * One golden case: a reference implementation's output on one input.
 *
 * @param name the case's {@code case} field
 * @param reference the reference code that produced the numbers
 * @param estimator apportion estimator id
 * @param preset preset name, or null
 * @param params parameters as written in the case (JSON values converted to Java: Double,
 *     Integer/Long, Boolean, String, List, Map; JSON null kept as null)
 * @param input the case's {@code input} object
 * @param expectedAdvantages expected advantages (rows × L), or null
 * @param expectedReturns expected returns, or null
 * @param expectedClipScale expected clip-range scales, or null
 * @param expectedError the reference's error message when it refuses the input, else null
 * @param expected the whole {@code expected} object (for adapters comparing other outputs)
 * @param compare the case's {@code compare} text, or null
 * @param atol absolute tolerance
 * @param rtol relative tolerance
 * @param source {@code file:line} of the case
 */
public record GoldenCase(
        String name,
        String reference,
        String estimator,
        String preset,
        Map<String, Object> params,
        JsonNode input,
        double[][] expectedAdvantages,
        double[][] expectedReturns,
        double[][] expectedClipScale,
        String expectedError,
        JsonNode expected,
        String compare,
        double atol,
        double rtol,
        String source) {
    /** Absolute tolerance used when a case gives none. */
    public static final double DEFAULT_ATOL = 1e-5;
    /** Relative tolerance used when a case gives none. */
    public static final double DEFAULT_RTOL = 1e-4;
}
