package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.Json;
import dev.apportion.io.VerlLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading a golden case's {@code input} arrays, for adapters. Every problem is an
 * {@link IllegalArgumentException} naming the field and position, such as
 * {@code input.response_mask[2][5] must be a number, got "x"}.
 */
public final class GoldenInputs {
    private GoldenInputs() {}

    /** True when the input has a non-null field of that name. */
    public static boolean has(GoldenCase c, String field) {
        JsonNode v = c.input().get(field);
        return v != null && !v.isNull();
    }

    /** True when the input has every one of {@code fields}, none of them JSON null. */
    public static boolean hasAll(GoldenCase c, Iterable<String> fields) {
        for (String f : fields) if (!has(c, f)) return false;
        return true;
    }

    /** The field's value; it must be present. */
    public static JsonNode require(GoldenCase c, String field) {
        JsonNode v = c.input().get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("input." + field + " is missing");
        return v;
    }

    /** A rows × L array of numbers (rows may differ in length; no nulls). */
    public static float[][] matrix(GoldenCase c, String field) {
        return matrix(c, field, false);
    }

    /** A rows × L array of numbers where null means "no value" and becomes NaN. */
    public static float[][] matrixWithNulls(GoldenCase c, String field) {
        return matrix(c, field, true);
    }

    private static float[][] matrix(GoldenCase c, String field, boolean nulls) {
        JsonNode v = require(c, field);
        if (!v.isArray())
            throw new IllegalArgumentException("input." + field + " must be an array of rows, got " + Json.kind(v));
        float[][] out = new float[v.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = v.get(i);
            if (!row.isArray()) {
                throw new IllegalArgumentException("input." + field + "[" + i + "] must be an array, got "
                        + Json.kind(row) + " " + Json.show(row));
            }
            float[] r = new float[row.size()];
            for (int j = 0; j < r.length; j++) r[j] = number(row.get(j), field + "[" + i + "][" + j + "]", nulls);
            out[i] = r;
        }
        return out;
    }

    /** One number per row. */
    public static float[] vector(GoldenCase c, String field) {
        JsonNode v = require(c, field);
        if (!v.isArray())
            throw new IllegalArgumentException("input." + field + " must be an array, got " + Json.kind(v));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = number(v.get(i), field + "[" + i + "]", false);
        return out;
    }

    /**
     * One string per row: strings as they are, other scalars as their JSON text ({@code 0},
     * {@code 1.5}, {@code true}), arrays and objects as compact JSON.
     */
    public static String[] strings(GoldenCase c, String field) {
        JsonNode v = require(c, field);
        if (!v.isArray())
            throw new IllegalArgumentException("input." + field + " must be an array, got " + Json.kind(v));
        String[] out = new String[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (x.isNull()) throw new IllegalArgumentException("input." + field + "[" + i + "] is null");
            out[i] = x.isValueNode() ? x.asText() : x.toString();
        }
        return out;
    }

    private static float number(JsonNode x, String where, boolean nulls) {
        if (x.isNull() && nulls) return Float.NaN;
        if (!x.isNumber())
            throw new IllegalArgumentException(
                    "input." + where + " must be a number, got " + Json.kind(x) + " " + Json.show(x));
        return (float) x.doubleValue();
    }

    /**
     * The case's params for {@code Params.resolve}: verbatim, except that names in
     * {@code drop} are left out, names in {@code rename} are renamed, and JSON nulls are left
     * out (null means "the estimator's default").
     */
    public static Map<String, Object> params(GoldenCase c, Set<String> drop, Map<String, String> rename) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : c.params().entrySet()) {
            if (drop.contains(e.getKey()) || e.getValue() == null) continue;
            out.put(rename.getOrDefault(e.getKey(), e.getKey()), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The rows of a verl-layout case: {@code response_mask} and one group name per row. */
    record VerlRows(GoldenCase source, float[][] mask, String[] index) {
        int count() {
            return mask.length;
        }

        VerlLayout layout() {
            return VerlLayout.of(mask, index);
        }
    }

    /**
     * Reads {@code response_mask} and {@code index} (one entry per row). When {@code indexOptional}
     * and the case has no {@code index}, each row is its own group, named like the row ({@code row<i>}).
     */
    static VerlRows verlRows(GoldenCase c, boolean indexOptional) {
        float[][] mask = matrix(c, "response_mask");
        String[] index;
        if (!indexOptional || has(c, "index")) {
            index = strings(c, "index");
            sameRows("index", index.length, "response_mask", mask.length);
        } else {
            index = new String[mask.length];
            for (int i = 0; i < index.length; i++) index[i] = "row" + i;
        }
        return new VerlRows(c, mask, index);
    }

    /** The adapted case of a verl-layout batch (token index in batch order). */
    static AdaptedCase adapted(GoldenCase c, Rollouts batch, Map<String, Object> params) {
        return new AdaptedCase(batch, VerlLayout.tokenIndex(batch), c.estimator(), c.preset(), params);
    }

    /** Checks that two row-indexed arrays have the same number of rows. */
    static void sameRows(String a, int rowsA, String b, int rowsB) {
        if (rowsA != rowsB)
            throw new IllegalArgumentException(
                    "input." + a + " has " + rowsA + " rows but input." + b + " has " + rowsB);
    }

    /** Rows by key, keys in order of first appearance, rows in input order. */
    static Map<String, List<Integer>> groupRows(String[] key) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (int r = 0; r < key.length; r++)
            out.computeIfAbsent(key[r], k -> new ArrayList<>()).add(r);
        return out;
    }

    /**
     * Number of leading ones of the mask row {@code input.field[row]}; the rest must be zeros.
     *
     * @throws IllegalArgumentException naming the field, row, position and value otherwise
     */
    static int prefixLength(float[] m, String field, int row) {
        int n = 0;
        while (n < m.length && m[n] == 1f) n++;
        for (int j = n; j < m.length; j++) {
            if (m[j] != 0f) {
                throw new IllegalArgumentException("input." + field + "[" + row + "] has "
                        + (m[j] == 1f ? "a 1 after a 0" : "the value " + m[j]) + " at position " + j
                        + "; this layout needs each row's valid tokens first, then padding (0s)");
            }
        }
        return n;
    }
}
