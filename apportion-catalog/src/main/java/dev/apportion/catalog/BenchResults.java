package dev.apportion.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Measured credit quality per estimator, read leniently from a benchmark {@code results.json}
 * whose exact layout this class does not assume. It walks the whole tree and collects every
 * finite number in [-1, 1] under a key containing {@code spearman} (case-insensitive) and
 * attributes it to the estimator in scope: the nearest enclosing object with a string field
 * {@code estimator} or {@code estimator_id}, or the nearest enclosing key that is a known
 * estimator id (for maps keyed by estimator). Values are averaged per estimator.
 */
public final class BenchResults {
    /**
     * Mean of one metric over the rows that carry it.
     *
     * @param metric the key the values were found under (the most frequent one)
     * @param mean mean value
     * @param n number of values
     */
    public record Measure(String metric, double mean, int n) {}

    private final String source;
    private final Map<String, Measure> byEstimator;

    private BenchResults(String source, Map<String, Measure> byEstimator) {
        this.source = source;
        this.byEstimator = Map.copyOf(byEstimator);
    }

    /** No measurements. */
    public static BenchResults empty() {
        return new BenchResults("", Map.of());
    }

    /** Reads a results file (JSON or YAML). */
    public static BenchResults read(Path file, Collection<String> knownEstimators) throws IOException {
        return of(ReportReader.read(file), knownEstimators, file.toString());
    }

    /** Collects measurements from a parsed tree. */
    public static BenchResults of(JsonNode root, Collection<String> knownEstimators, String source) {
        Map<String, Map<String, double[]>> acc = new LinkedHashMap<>();
        walk(root, null, Set.copyOf(knownEstimators), acc);
        Map<String, Measure> out = new HashMap<>();
        acc.forEach((est, metrics) -> {
            double sum = 0;
            int n = 0;
            String best = null;
            int bestN = -1;
            for (Map.Entry<String, double[]> m : metrics.entrySet()) {
                sum += m.getValue()[0];
                n += (int) m.getValue()[1];
                if (m.getValue()[1] > bestN) {
                    bestN = (int) m.getValue()[1];
                    best = m.getKey();
                }
            }
            out.put(est, new Measure(best, sum / n, n));
        });
        return new BenchResults(source, out);
    }

    private static void walk(
            JsonNode node, String estimator, Set<String> known, Map<String, Map<String, double[]>> acc) {
        if (node == null) return;
        if (node.isArray()) {
            for (JsonNode n : node) walk(n, estimator, known, acc);
            return;
        }
        if (!node.isObject()) return;
        String est = estimator;
        for (String key : List.of("estimator", "estimator_id")) {
            JsonNode e = node.get(key);
            if (e != null && e.isTextual() && !e.asText().isBlank()) {
                est = e.asText();
                break;
            }
        }
        var fields = node.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            String key = f.getKey();
            JsonNode v = f.getValue();
            if (v.isObject() && known.contains(key)) {
                walk(v, key, known, acc);
            } else if (v.isNumber()
                    && est != null
                    && key.toLowerCase(Locale.ROOT).contains("spearman")) {
                double x = v.asDouble();
                if (Double.isFinite(x) && x >= -1 && x <= 1) {
                    double[] s = acc.computeIfAbsent(est, k -> new LinkedHashMap<>())
                            .computeIfAbsent(key, k -> new double[2]);
                    s[0] += x;
                    s[1] += 1;
                }
            } else if (v.isContainerNode()) {
                walk(v, est, known, acc);
            }
        }
    }

    /** The file the measurements come from ("" when empty). */
    public String source() {
        return source;
    }

    public Optional<Measure> get(String estimator) {
        return Optional.ofNullable(byEstimator.get(estimator));
    }

    public boolean isEmpty() {
        return byEstimator.isEmpty();
    }

    /** Estimators with a measurement. */
    public Set<String> estimators() {
        return byEstimator.keySet();
    }
}
