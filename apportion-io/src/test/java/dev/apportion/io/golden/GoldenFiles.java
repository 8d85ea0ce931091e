package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The golden files copied into this module's test resources. */
final class GoldenFiles {
    private GoldenFiles() {}

    /** The folder holding the copies. */
    static Path dir() {
        URL u = GoldenFiles.class.getResource("/golden/README.md");
        if (u == null) throw new IllegalStateException("test resource golden/README.md is missing");
        try {
            return Paths.get(u.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every *.jsonl file, sorted by name. */
    static List<Path> all() {
        try (Stream<Path> s = Files.list(dir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every case of one file. */
    static List<GoldenCase> load(String fileName) {
        try {
            return GoldenCases.load(dir().resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs every case of {@code fileName} on the global registry (each first given to
     * {@code check}); fails listing the cases that did not pass; else the passes counted per
     * {@code key(case)}, in key order.
     */
    static Map<String, Integer> passCounts(
            String fileName, Function<GoldenCase, String> key, Consumer<GoldenCase> check) {
        List<GoldenCase> cases = load(fileName);
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        List<String> notPassed = new ArrayList<>();
        Map<String, Integer> passed = new TreeMap<>();
        for (int k = 0; k < cases.size(); k++) {
            GoldenCase c = cases.get(k);
            check.accept(c);
            CaseResult r = results.get(k);
            if (r.status() != CaseResult.Status.PASSED)
                notPassed.add(r.caseName() + " " + r.status() + ": " + r.detail());
            else passed.merge(key.apply(c), 1, Integer::sum);
        }
        assertEquals(List.of(), notPassed, fileName);
        return passed;
    }

    /** Cases from JSON lines written in a test. */
    static List<GoldenCase> parse(String... lines) {
        try {
            return GoldenCases.load(new StringReader(String.join("\n", lines)), "hand.jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code c} with the given estimator, preset, parameters, input and expectations; the rest kept. */
    private static GoldenCase copy(
            GoldenCase c,
            String estimator,
            String preset,
            Map<String, Object> params,
            JsonNode input,
            double[][] expectedAdvantages,
            JsonNode expected) {
        return new GoldenCase(
                c.name(),
                c.reference(),
                estimator,
                preset,
                params,
                input,
                expectedAdvantages,
                c.expectedReturns(),
                c.expectedClipScale(),
                c.expectedError(),
                expected,
                c.compare(),
                c.atol(),
                c.rtol(),
                c.source());
    }

    /** {@code c} with another {@code input} object. */
    static GoldenCase withInput(GoldenCase c, JsonNode input) {
        return copy(c, c.estimator(), c.preset(), c.params(), input, c.expectedAdvantages(), c.expected());
    }

    /** {@code c} with {@code overrides} put over its parameters. */
    static GoldenCase withChangedParams(GoldenCase c, Map<String, ?> overrides) {
        Map<String, Object> p = new LinkedHashMap<>(c.params());
        p.putAll(overrides);
        return copy(c, c.estimator(), c.preset(), p, c.input(), c.expectedAdvantages(), c.expected());
    }

    /** {@code c} with another estimator and no preset or parameters. */
    static GoldenCase forEstimator(GoldenCase c, String estimator) {
        return copy(c, estimator, null, Map.of(), c.input(), c.expectedAdvantages(), c.expected());
    }

    /** {@code c} with another {@code expected} object (its advantages re-read from it). */
    static GoldenCase withExpected(GoldenCase c, JsonNode expected) {
        return copy(
                c,
                c.estimator(),
                c.preset(),
                c.params(),
                c.input(),
                GoldenCases.matrix(expected.get("advantages")),
                expected);
    }
}
