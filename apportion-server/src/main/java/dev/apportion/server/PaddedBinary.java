package dev.apportion.server;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.VerlLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compact binary body of {@code POST /v1/credit}: a batch in verl's padded layout (B rows ×
 * L positions) as little-endian arrays, and the credit answered in the same layout. Specified
 * in {@code docs/binary-format.md}; in short:
 *
 * <pre>
 * offset  type        field
 *  0      4 bytes     magic "APB1"
 *  4      u32         kind: 1 = rollouts (request), 2 = credit (response)
 *  8      u32         B, rows
 * 12      u32         L, positions per row
 * 16      u32         R, number of row arrays
 * 20      u32         T, number of token arrays
 * 24      i32[B]      group index of every row          (kind 1 only)
 *         u8[B·L]     response_mask, 0 or 1             (kind 1 only)
 *         0-3 zero bytes up to a multiple of 4
 *         R × { u32 n; n bytes UTF-8 name; zero pad to 4; f32[B]   }
 *         T × { u32 n; n bytes UTF-8 name; zero pad to 4; f32[B·L] }
 * </pre>
 *
 * <p>Row arrays: {@code outcome} (verl's {@code scores}), {@code outcome.NAME} (an outcome
 * component), any other name a trajectory signal; NaN means absent. Token arrays are token
 * signals over all L positions: {@code reward} (verl's {@code token_level_rewards}),
 * {@code value}, {@code logprob}, .... The batch is built with {@link VerlLayout}: row i is
 * trajectory {@code row<i>} of group {@code "<index[i]>"}, each run of equal mask value one span.
 * The response carries {@code advantages} and, when the estimator has them, {@code returns},
 * {@code loss_weight} and {@code clip_scale}, each f32[B·L].
 */
public final class PaddedBinary {
    /** Media type of both directions. */
    public static final String MEDIA_TYPE = "application/vnd.apportion.padded";

    static final int MAGIC = 0x31425041; // "APB1" read little-endian
    static final int KIND_ROLLOUTS = 1;
    static final int KIND_CREDIT = 2;
    static final int HEADER = 24;

    private PaddedBinary() {}

    /** A decoded request body, arrays as sent (not yet checked for non-finite values). */
    public record Batch(
            int rows,
            int length,
            int[] index,
            byte[] mask,
            Map<String, float[]> rowArrays,
            Map<String, float[]> tokenArrays) {
        /** Rows × positions. */
        public long positions() {
            return (long) rows * length;
        }

        /**
         * The rollout batch (see the class comment).
         *
         * @throws IllegalArgumentException for a mask value other than 0/1 or a non-finite
         *     token value (the message names array, row and position)
         */
        public Rollouts toRollouts() {
            float[][] m = new float[rows][length];
            for (int i = 0; i < rows; i++) {
                for (int t = 0; t < length; t++) {
                    int v = mask[i * length + t];
                    if (v != 0 && v != 1) {
                        throw new IllegalArgumentException(
                                "response_mask[" + i + "][" + t + "] must be 0 or 1, got " + (v & 0xff));
                    }
                    m[i][t] = v;
                }
            }
            String[] groups = new String[rows];
            for (int i = 0; i < rows; i++) groups[i] = Integer.toString(index[i]);
            VerlLayout layout = VerlLayout.of(m, groups);
            for (Map.Entry<String, float[]> e : rowArrays.entrySet()) {
                String name = e.getKey();
                if (name.equals("outcome")) layout.outcome(e.getValue());
                else if (name.startsWith("outcome.")) layout.outcomeComponent(name.substring(8), e.getValue());
                else layout.trajectorySignal(name, e.getValue());
            }
            for (Map.Entry<String, float[]> e : tokenArrays.entrySet()) {
                float[] flat = e.getValue();
                for (int k = 0; k < flat.length; k++) {
                    if (!Float.isFinite(flat[k])) {
                        throw new IllegalArgumentException(e.getKey() + "[" + k / length + "][" + k % length + "] is "
                                + flat[k] + "; token values must be finite");
                    }
                }
                float[][] rowsOf = new float[rows][];
                for (int i = 0; i < rows; i++) {
                    rowsOf[i] = new float[length];
                    System.arraycopy(flat, i * length, rowsOf[i], 0, length);
                }
                layout.tokenSignal(e.getKey(), rowsOf);
            }
            return layout.toRollouts();
        }
    }

    /**
     * Decodes a request body.
     *
     * @param maxPositions largest B·L accepted
     * @throws ApiException 400 for a malformed body, 422 for B·L above {@code maxPositions}
     */
    public static Batch read(byte[] body, long maxPositions) {
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        if (body.length < HEADER)
            throw bad("the body has " + body.length + " bytes, fewer than the " + HEADER + "-byte header");
        if (b.getInt(0) != MAGIC) throw bad("the body does not start with the magic bytes \"APB1\"");
        int kind = b.getInt(4);
        if (kind != KIND_ROLLOUTS)
            throw bad("kind is " + Integer.toUnsignedString(kind) + "; a request must have kind 1 (rollouts)");
        long rows = Integer.toUnsignedLong(b.getInt(8));
        long length = Integer.toUnsignedLong(b.getInt(12));
        long r = Integer.toUnsignedLong(b.getInt(16));
        long t = Integer.toUnsignedLong(b.getInt(20));
        if (rows == 0) throw bad("the batch has 0 rows");
        long positions = rows * length;
        if (positions > maxPositions) {
            throw new ApiException(
                    422,
                    "the batch has " + rows + " x " + length + " = " + positions + " positions, more than the limit of "
                            + maxPositions + " tokens per request (--max-tokens)");
        }
        long need = HEADER + 4 * rows + positions + r * (4 + 4 * rows) + t * (4 + 4 * positions);
        if (need > body.length) throw bad("the header announces " + need + "+ bytes but the body has " + body.length);
        int nRows = (int) rows;
        int len = (int) length;
        b.position(HEADER);
        int[] index = new int[nRows];
        b.asIntBuffer().get(index);
        b.position(HEADER + 4 * nRows);
        byte[] mask = new byte[(int) positions];
        b.get(mask);
        align(b);
        Map<String, float[]> rowArrays = new LinkedHashMap<>();
        for (long k = 0; k < r; k++) {
            String name = name(b, "row array " + k);
            if (rowArrays.containsKey(name)) throw bad("row array '" + name + "' appears twice");
            rowArrays.put(name, floats(b, nRows, "row array '" + name + "'"));
        }
        Map<String, float[]> tokenArrays = new LinkedHashMap<>();
        for (long k = 0; k < t; k++) {
            String name = name(b, "token array " + k);
            if (tokenArrays.containsKey(name)) throw bad("token array '" + name + "' appears twice");
            tokenArrays.put(name, floats(b, (int) positions, "token array '" + name + "'"));
        }
        if (b.hasRemaining()) throw bad(b.remaining() + " bytes follow the last array");
        return new Batch(nRows, len, index, mask, rowArrays, tokenArrays);
    }

    /**
     * Encodes credit for a batch of {@code rows} × {@code length} positions built as
     * {@link Batch#toRollouts()} builds it (trajectory i = row i, all L positions its tokens).
     */
    public static byte[] writeCredit(int rows, int length, Credit credit) {
        List<String> names = new ArrayList<>();
        List<float[]> arrays = new ArrayList<>();
        names.add("advantages");
        arrays.add(credit.advantages());
        if (credit.returns() != null) {
            names.add("returns");
            arrays.add(credit.returns());
        }
        if (credit.lossWeights() != null) {
            names.add("loss_weight");
            arrays.add(credit.lossWeights());
        }
        if (credit.clipScales() != null) {
            names.add("clip_scale");
            arrays.add(credit.clipScales());
        }
        int positions = rows * length;
        long size = HEADER;
        for (String n : names) size += 4 + pad4(n.getBytes(StandardCharsets.UTF_8).length) + 4L * positions;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC)
                .putInt(KIND_CREDIT)
                .putInt(rows)
                .putInt(length)
                .putInt(0)
                .putInt(names.size());
        for (int k = 0; k < names.size(); k++) {
            float[] a = arrays.get(k);
            if (a.length != positions) {
                throw new IllegalStateException(
                        names.get(k) + " has " + a.length + " values for " + positions + " positions");
            }
            byte[] n = names.get(k).getBytes(StandardCharsets.UTF_8);
            b.putInt(n.length).put(n);
            align(b);
            b.asFloatBuffer().put(a);
            b.position(b.position() + 4 * positions);
        }
        return b.array();
    }

    private static String name(ByteBuffer b, String what) {
        if (b.remaining() < 4) throw bad("the body ends before the name of " + what);
        long n = Integer.toUnsignedLong(b.getInt());
        if (n == 0 || n > 256) throw bad("the name of " + what + " has " + n + " bytes; it must have 1 to 256");
        if (b.remaining() < n) throw bad("the body ends inside the name of " + what);
        byte[] raw = new byte[(int) n];
        b.get(raw);
        align(b);
        return new String(raw, StandardCharsets.UTF_8);
    }

    private static float[] floats(ByteBuffer b, int count, String what) {
        if (b.remaining() < 4L * count)
            throw bad("the body ends inside " + what + " (" + count + " float32 values expected)");
        float[] out = new float[count];
        b.asFloatBuffer().get(out);
        b.position(b.position() + 4 * count);
        return out;
    }

    private static void align(ByteBuffer b) {
        int p = b.position();
        int q = pad4(p);
        if (q > b.limit()) throw bad("the body ends inside the padding at byte " + p);
        b.position(q);
    }

    static int pad4(int n) {
        return (n + 3) & ~3;
    }

    private static ApiException bad(String what) {
        return new ApiException(400, "binary body: " + what, 0, null);
    }
}
