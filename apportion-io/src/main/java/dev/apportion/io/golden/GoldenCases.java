package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.InputException;
import dev.apportion.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads golden-case files: JSON Lines, one case per line (format:
 * {@code shared/golden/README.md}). The loader checks what every case needs ({@code case},
 * {@code estimator}, an {@code input} object, an {@code expected} object, tolerances that are
 * numbers ≥ 0, unique case names) and keeps the rest as JSON for the adapters, so files with
 * their own input layouts load too. Problems are {@link InputException}s naming file and line.
 */
public final class GoldenCases {
    private GoldenCases() {}

    /** Loads every case of a file (UTF-8), in file order. */
    public static List<GoldenCase> load(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return load(r, file.toString());
        }
    }

    /** Loads every case from a reader (not closed); {@code sourceName} names it in messages. */
    public static List<GoldenCase> load(Reader in, String sourceName) throws IOException {
        BufferedReader br = in instanceof BufferedReader ? (BufferedReader) in : new BufferedReader(in);
        List<GoldenCase> out = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        int line = 0;
        for (String text = br.readLine(); text != null; text = br.readLine()) {
            line++;
            if (line == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
            if (text.isBlank()) continue;
            GoldenCase c = parse(Json.parseLine(text, sourceName, line), sourceName, line);
            Integer first = names.putIfAbsent(c.name(), line);
            if (first != null) {
                throw new InputException(
                        sourceName,
                        line,
                        "case",
                        "duplicate case name '" + c.name() + "' (first on line " + first + ")");
            }
            out.add(c);
        }
        return out;
    }

    /** Parses one case object. */
    static GoldenCase parse(JsonNode n, String source, int line) {
        if (!n.isObject())
            throw new InputException(source, line, null, "a golden case must be a JSON object, got " + Json.kind(n));
        String name = text(n, "case", true, source, line, null);
        String ctx = "case '" + name + "': ";
        String estimator = text(n, "estimator", true, source, line, ctx);
        String reference = text(n, "reference", false, source, line, ctx);
        String preset = text(n, "preset", false, source, line, ctx);
        String compare = text(n, "compare", false, source, line, ctx);
        JsonNode params = n.get("params");
        Map<String, Object> paramMap;
        if (params == null || params.isNull()) {
            paramMap = Map.of();
        } else if (params.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            params.fields()
                    .forEachRemaining(e -> m.put(e.getKey(), Json.mapper().convertValue(e.getValue(), Object.class)));
            paramMap = Collections.unmodifiableMap(m);
        } else {
            throw new InputException(
                    source, line, "params", ctx + "params must be an object, got " + Json.kind(params));
        }
        JsonNode input = n.get("input");
        if (input == null || !input.isObject()) {
            throw new InputException(source, line, "input", ctx + "input must be an object, got " + Json.kind(input));
        }
        JsonNode expected = n.get("expected");
        if (expected == null || !expected.isObject()) {
            throw new InputException(
                    source, line, "expected", ctx + "expected must be an object, got " + Json.kind(expected));
        }
        JsonNode err = expected.get("error");
        String error = err == null || err.isNull() ? null : err.isTextual() ? err.asText() : err.toString();
        double atol = tolerance(n, "atol", GoldenCase.DEFAULT_ATOL, source, line, ctx);
        double rtol = tolerance(n, "rtol", GoldenCase.DEFAULT_RTOL, source, line, ctx);
        return new GoldenCase(
                name,
                reference == null ? "" : reference,
                estimator,
                preset,
                paramMap,
                input,
                matrix(expected.get("advantages")),
                matrix(expected.get("returns")),
                matrix(expected.get("clip_scale")),
                error,
                expected,
                compare,
                atol,
                rtol,
                source + ":" + line);
    }

    private static String text(JsonNode n, String field, boolean required, String source, int line, String ctx) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required)
                throw new InputException(source, line, field, (ctx == null ? "" : ctx) + field + " is missing");
            return null;
        }
        if (!v.isTextual()) {
            throw new InputException(
                    source,
                    line,
                    field,
                    (ctx == null ? "" : ctx) + field + " must be a string, got " + Json.kind(v) + " " + Json.show(v));
        }
        return v.asText();
    }

    private static double tolerance(JsonNode n, String field, double def, String source, int line, String ctx) {
        JsonNode v = n.get(field);
        if (v == null) return def;
        if (!v.isNumber() || !(v.doubleValue() >= 0) || Double.isInfinite(v.doubleValue())) {
            throw new InputException(source, line, field, ctx + field + " must be a number >= 0, got " + Json.show(v));
        }
        return v.doubleValue();
    }

    /**
     * A rows × L array of numbers (rows may differ in length; null entries become NaN, null
     * rows stay null), or null when the node is absent or not such an array.
     */
    static double[][] matrix(JsonNode v) {
        if (v == null || !v.isArray()) return null;
        double[][] out = new double[v.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = v.get(i);
            if (row.isNull()) continue;
            if (!row.isArray()) return null;
            double[] r = new double[row.size()];
            for (int j = 0; j < r.length; j++) {
                JsonNode x = row.get(j);
                if (x.isNull()) r[j] = Double.NaN;
                else if (x.isNumber()) r[j] = x.doubleValue();
                else return null;
            }
            out[i] = r;
        }
        return out;
    }
}
