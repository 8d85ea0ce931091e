package dev.apportion.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;

/** Deterministic rollout batches for the server tests, as JSONL and as the padded binary body. */
final class TestBatches {
    private TestBatches() {}

    /**
     * {@code groups} groups of {@code size} trajectories: a 3-token prompt, a policy turn, a
     * 2-token observation and a second policy turn (state keys s0/s1 per turn); token signals
     * logprob and value; outcome 0/1 from the seed.
     */
    static String jsonl(int groups, int size, int maxTurn, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder b = new StringBuilder();
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < size; k++) {
                int t1 = 1 + r.nextInt(maxTurn);
                int t2 = 1 + r.nextInt(maxTurn);
                int n = 3 + t1 + 2 + t2;
                b.append(String.format(
                        Locale.ROOT,
                        "{\"group\": \"q%d\", \"id\": \"t%d\", \"outcome\": %s, \"spans\": [",
                        g,
                        k,
                        r.nextBoolean() ? "1.0" : "0.0"));
                b.append("{\"role\": \"context\", \"tokens\": 3}, ");
                b.append("{\"role\": \"policy\", \"tokens\": ").append(t1).append(", \"state\": \"s0\"}, ");
                b.append("{\"role\": \"context\", \"tokens\": 2}, ");
                b.append("{\"role\": \"policy\", \"tokens\": ")
                        .append(t2)
                        .append(", \"state\": \"s")
                        .append(1 + r.nextInt(2))
                        .append("\"}], ");
                b.append("\"token_signals\": {\"logprob\": ")
                        .append(array(r, n, -2, 0))
                        .append(", \"value\": ")
                        .append(array(r, n, 0, 1));
                b.append("}}\n");
            }
        }
        return b.toString();
    }

    private static String array(SplittableRandom r, int n, double lo, double hi) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(", ");
            b.append(String.format(Locale.ROOT, "%.3f", lo + (hi - lo) * r.nextDouble()));
        }
        return b.append(']').toString();
    }

    /** A padded batch: rows × length, response tokens after a prompt, 0/1 scores, right padding. */
    record Padded(int rows, int length, int[] index, byte[] mask, float[] scores, float[] tokenRewards) {
        /** The binary request body; {@code tokenLevel} sends token rewards instead of scores. */
        byte[] body(boolean tokenLevel) {
            return encode(rows, length, index, mask, tokenLevel ? null : scores, tokenLevel ? tokenRewards : null);
        }

        /** The same batch as rollout JSONL (group = index, id = row<i>, one span per mask run). */
        String jsonl(boolean tokenLevel) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < rows; i++) {
                b.append("{\"group\": \"")
                        .append(index[i])
                        .append("\", \"id\": \"row")
                        .append(i)
                        .append('"');
                if (!tokenLevel) b.append(", \"outcome\": ").append(scores[i]);
                b.append(", \"spans\": [");
                int t = 0;
                boolean first = true;
                while (t < length) {
                    int s = t;
                    byte v = mask[i * length + t];
                    while (t < length && mask[i * length + t] == v) t++;
                    if (!first) b.append(", ");
                    first = false;
                    b.append("{\"role\": \"")
                            .append(v == 1 ? "policy" : "context")
                            .append("\", \"tokens\": ")
                            .append(t - s)
                            .append('}');
                }
                b.append(']');
                if (tokenLevel) {
                    b.append(", \"token_signals\": {\"reward\": [");
                    for (int j = 0; j < length; j++)
                        b.append(j == 0 ? "" : ", ").append(tokenRewards[i * length + j]);
                    b.append("]}");
                }
                b.append("}\n");
            }
            return b.toString();
        }
    }

    static Padded padded(int groups, int size, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = groups * size;
        int[] index = new int[rows];
        byte[] mask = new byte[rows * length];
        float[] scores = new float[rows];
        float[] tokenRewards = new float[rows * length];
        for (int i = 0; i < rows; i++) {
            index[i] = i / size;
            int prompt = Math.min(length - 1, 1 + r.nextInt(Math.max(1, length / 4)));
            int resp = 1 + r.nextInt(length - prompt);
            for (int t = prompt; t < prompt + resp; t++) mask[i * length + t] = 1;
            scores[i] = r.nextBoolean() ? 1f : 0f;
            tokenRewards[i * length + prompt + resp - 1] = scores[i];
        }
        return new Padded(rows, length, index, mask, scores, tokenRewards);
    }

    /** Encodes a kind-1 body with an optional "outcome" row array and "reward" token array. */
    static byte[] encode(int rows, int length, int[] index, byte[] mask, float[] scores, float[] tokenRewards) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = le(24);
        h.put("APB1".getBytes(StandardCharsets.US_ASCII))
                .putInt(1)
                .putInt(rows)
                .putInt(length)
                .putInt(scores == null ? 0 : 1)
                .putInt(tokenRewards == null ? 0 : 1);
        out.writeBytes(h.array());
        ByteBuffer ix = le(4 * rows);
        for (int v : index) ix.putInt(v);
        out.writeBytes(ix.array());
        out.writeBytes(mask);
        while (out.size() % 4 != 0) out.write(0);
        if (scores != null) array(out, "outcome", scores);
        if (tokenRewards != null) array(out, "reward", tokenRewards);
        return out.toByteArray();
    }

    static void array(ByteArrayOutputStream out, String name, float[] values) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le(4).putInt(n.length).array());
        out.writeBytes(n);
        while (out.size() % 4 != 0) out.write(0);
        ByteBuffer f = le(4 * values.length);
        f.asFloatBuffer().put(values);
        out.writeBytes(f.array());
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
