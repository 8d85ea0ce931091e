package dev.apportion.core.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the test-only golden-case readers of apportion-core share: reading a JSONL resource of
 * cases, turning JSON arrays into primitive arrays and parameters, and building the padded
 * verl layout (row = trajectory, spans = maximal runs of equal mask value) into a batch with the
 * global token index of every padded position. apportion-core cannot use apportion-io's
 * {@code dev.apportion.io.golden} adapters, so its golden tests build batches with this class;
 * the io module's conformance test checks the same cases through the real adapters.
 */
public final class GoldenJson {
    /** The mapper every reader uses (default Jackson settings). */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private GoldenJson() {}

    /** Turns one parsed case into what a reader returns; {@code null} leaves the case out. */
    @FunctionalInterface
    public interface CaseReader<T> {
        T read(JsonNode json, int lineNo);
    }

    /**
     * Reads the test resource {@code resource} (one JSON case a line, blank lines skipped) and
     * hands each case with its 1-based line number to {@code reader}. A case the reader fails on
     * is reported as an {@link IllegalStateException} naming the resource and line.
     */
    public static <T> List<T> read(String resource, CaseReader<T> reader) {
        List<T> out = new ArrayList<>();
        try (InputStream in = GoldenJson.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode json = MAPPER.readTree(line);
                T one;
                try {
                    one = reader.read(json, no);
                } catch (RuntimeException e) {
                    throw new IllegalStateException(resource + " line " + no + ": " + e.getMessage(), e);
                }
                if (one != null) out.add(one);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The golden files' pass criterion {@code |got − want| ≤ atol + rtol·|want|}, defined once
     * for every golden test. NaN on either side fails.
     */
    public static boolean close(double want, double got, double atol, double rtol) {
        return Math.abs(got - want) <= atol + rtol * Math.abs(want);
    }

    // ---- values ----------------------------------------------------------------------------

    /** A JSON value as plain Java (Integer/Long/Double/Boolean/String/List/Map, or null). */
    public static Object plain(JsonNode v) {
        try {
            return MAPPER.treeToValue(v, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot convert " + v, e);
        }
    }

    /** The fields of {@code p} as plain Java values, leaving out JSON nulls ("the estimator's default"). */
    public static Map<String, Object> paramsWithoutNulls(JsonNode p) {
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = p.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) continue;
            out.put(e.getKey(), plain(e.getValue()));
        }
        return out;
    }

    /** A JSON array of numbers. */
    public static double[] vector(JsonNode v) {
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asDouble();
        return out;
    }

    /** A JSON array of arrays of numbers (rows may differ in length). */
    public static double[][] matrix(JsonNode m) {
        double[][] out = new double[m.size()][];
        for (int i = 0; i < out.length; i++) out[i] = vector(m.get(i));
        return out;
    }

    /** {@link #matrix} rounded to float, for comparisons against float32 references. */
    public static float[][] floatMatrix(JsonNode m) {
        float[][] out = new float[m.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = m.get(i);
            out[i] = new float[row.size()];
            for (int t = 0; t < out[i].length; t++)
                out[i][t] = (float) row.get(t).asDouble();
        }
        return out;
    }

    /** A JSON array of arrays of integers. */
    public static int[][] intMatrix(JsonNode m) {
        int[][] out = new int[m.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = m.get(i);
            out[i] = new int[row.size()];
            for (int t = 0; t < out[i].length; t++) out[i][t] = row.get(t).asInt();
        }
        return out;
    }

    /** A JSON array as text values. */
    public static String[] strings(JsonNode v) {
        String[] out = new String[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asText();
        return out;
    }

    // ---- padded layouts --------------------------------------------------------------------

    /** {@code length} consecutive token indices from {@code first}. */
    public static int[] consecutive(int first, int length) {
        int[] out = new int[length];
        for (int k = 0; k < length; k++) out[k] = first + k;
        return out;
    }

    /** Rows by key, keys in order of first appearance, rows in input order. */
    public static Map<String, List<Integer>> groupRows(String[] key) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (int r = 0; r < key.length; r++)
            out.computeIfAbsent(key[r], k -> new ArrayList<>()).add(r);
        return out;
    }

    /**
     * The number of leading non-zero entries of a mask row, which must be a prefix of ones.
     *
     * @throws IllegalArgumentException "{@code what} is not a prefix of ones" otherwise
     */
    public static int prefixLength(double[] mask, String what) {
        int n = 0;
        while (n < mask.length && mask[n] != 0) n++;
        for (int j = n; j < mask.length; j++) {
            if (mask[j] != 0) throw new IllegalArgumentException(what + " is not a prefix of ones");
        }
        return n;
    }

    /** Adds one span per maximal run of equal {@code policy[from..to)}: policy where true, context where false. */
    public static void spans(RolloutsBuilder b, boolean[] policy, int from, int to) {
        spans(b, policy, from, to, null);
    }

    /** Same as {@link #spans(RolloutsBuilder, boolean[], int, int)}, calling {@code afterEach} after each span. */
    public static void spans(
            RolloutsBuilder b, boolean[] policy, int from, int to, Consumer<RolloutsBuilder> afterEach) {
        int k = from;
        while (k < to) {
            int e = k;
            while (e < to && policy[e] == policy[k]) e++;
            b.span(policy[k] ? Role.POLICY : Role.CONTEXT, e - k);
            if (afterEach != null) afterEach.accept(b);
            k = e;
        }
    }

    /** {@code mask[t] != 0} for each entry. */
    public static boolean[] nonZero(double[] mask) {
        boolean[] out = new boolean[mask.length];
        for (int t = 0; t < out.length; t++) out[t] = mask[t] != 0;
        return out;
    }

    /** Adds a reader's own fields of row {@code row} to the trajectory just started. */
    @FunctionalInterface
    public interface RowFields {
        void add(RolloutsBuilder b, int row);
    }

    /** A padded layout built into a batch. {@code tokenIndex[row][col]} is the global token of each position. */
    public record Padded(Rollouts batch, int[][] tokenIndex, double[][] mask) {}

    /**
     * The verl layout of the golden-case contract: row i → trajectory {@code row<i>} of group
     * {@code index[i]} ({@code row<i>} when the case has no {@code index}); {@code rowFields}
     * adds the row's trajectory-level fields; spans = maximal runs of equal
     * {@code input[maskField]} (non-zero = policy); token signals, where the input has them:
     * {@code token_level_rewards} → {@code reward}, {@code values} → {@code value},
     * {@code logprobs} → {@code logprob}, {@code ref_logprobs} → {@code ref_logprob}.
     *
     * @param rowFields may be null
     */
    public static Padded verl(JsonNode in, String maskField, RowFields rowFields) {
        double[][] mask = matrix(in.get(maskField));
        double[][] rewards = optionalMatrix(in, "token_level_rewards");
        double[][] values = optionalMatrix(in, "values");
        double[][] logprobs = optionalMatrix(in, "logprobs");
        double[][] refLogprobs = optionalMatrix(in, "ref_logprobs");
        JsonNode index = in.get("index");
        RolloutsBuilder b = Rollouts.builder();
        int[][] tokenIndex = new int[mask.length][];
        int next = 0;
        for (int i = 0; i < mask.length; i++) {
            int len = mask[i].length;
            b.trajectory(index != null ? index.get(i).asText() : "row" + i, "row" + i);
            if (rowFields != null) rowFields.add(b, i);
            spans(b, nonZero(mask[i]), 0, len);
            if (rewards != null) b.tokenSignal(Rollouts.REWARD, rewards[i]);
            if (values != null) b.tokenSignal(Rollouts.VALUE, values[i]);
            if (logprobs != null) b.tokenSignal(Rollouts.LOGPROB, logprobs[i]);
            if (refLogprobs != null) b.tokenSignal(Rollouts.REF_LOGPROB, refLogprobs[i]);
            tokenIndex[i] = consecutive(next, len);
            next += len;
        }
        return new Padded(b.build(), tokenIndex, mask);
    }

    private static double[][] optionalMatrix(JsonNode in, String key) {
        return in.hasNonNull(key) ? matrix(in.get(key)) : null;
    }
}
