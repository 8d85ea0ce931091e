package dev.apportion.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded load generator for the credit service (loopback only by intent): a fixed number of
 * {@code POST /v1/credit} requests with one batch, from a fixed number of concurrent clients,
 * each sending its share back to back. Used by {@code apportion serve-bench}.
 *
 * <p>The batch is verl's padded layout: {@code rows} rows in groups of {@code groupSize}, each of
 * {@code length} positions holding a response of random length in [length/4, length] followed by
 * padding, and a 0/1 score per row. The JSONL body says the same thing (one policy span and one
 * context span per trajectory, the score as outcome), so both bodies give the same batch and the
 * same advantages; {@link #batch} checks that before timing.
 */
public final class LoadGenerator {
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String base;

    public LoadGenerator(String baseUrl) {
        this.base = baseUrl;
    }

    /** One batch in both encodings. */
    public record Batch(int rows, int length, long tokens, byte[] jsonl, byte[] binary) {}

    /** Latency percentiles and throughput of one run. */
    public record Result(
            String body,
            int requests,
            int concurrency,
            int errors,
            double p50Millis,
            double p99Millis,
            double maxMillis,
            double requestsPerSecond,
            double tokensPerSecond) {
        public String line() {
            return String.format(
                    Locale.ROOT,
                    "%-6s %d requests, concurrency %d: p50 %.2f ms, p99 %.2f ms, max %.2f ms, "
                            + "%.1f requests/s, %.3g tokens/s, %d errors",
                    body,
                    requests,
                    concurrency,
                    p50Millis,
                    p99Millis,
                    maxMillis,
                    requestsPerSecond,
                    tokensPerSecond,
                    errors);
        }
    }

    /** Builds the batch (deterministic for the seed). */
    public static Batch batch(int rows, int length, int groupSize, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] index = new int[rows];
        byte[] mask = new byte[rows * length];
        float[] scores = new float[rows];
        StringBuilder j = new StringBuilder(rows * 96);
        for (int i = 0; i < rows; i++) {
            index[i] = i / groupSize;
            int resp = length / 4 + r.nextInt(length - length / 4 + 1);
            Arrays.fill(mask, i * length, i * length + resp, (byte) 1);
            scores[i] = r.nextInt(2);
            j.append("{\"group\":\"")
                    .append(index[i])
                    .append("\",\"id\":\"row")
                    .append(i)
                    .append("\",\"outcome\":")
                    .append(scores[i])
                    .append(",\"spans\":[{\"role\":\"policy\",\"tokens\":")
                    .append(resp)
                    .append('}');
            if (resp < length)
                j.append(",{\"role\":\"context\",\"tokens\":")
                        .append(length - resp)
                        .append('}');
            j.append("]}\n");
        }
        ByteBuffer b = ByteBuffer.allocate(
                        PaddedBinary.HEADER + 4 * rows + PaddedBinary.pad4(rows * length) + 4 + 8 + 4 * rows)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(PaddedBinary.MAGIC)
                .putInt(PaddedBinary.KIND_ROLLOUTS)
                .putInt(rows)
                .putInt(length)
                .putInt(1)
                .putInt(0);
        for (int v : index) b.putInt(v);
        b.put(mask);
        b.position(PaddedBinary.pad4(b.position()));
        b.putInt(7).put("outcome".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
        for (float s : scores) b.putFloat(s);
        return new Batch(rows, length, (long) rows * length, j.toString().getBytes(StandardCharsets.UTF_8), b.array());
    }

    /** Sends one request; returns the status and body. */
    public HttpResponse<byte[]> send(String query, boolean binary, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/credit" + query))
                .header("Content-Type", binary ? PaddedBinary.MEDIA_TYPE : CreditService.NDJSON)
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return client.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Runs {@code requests} requests (after {@code warmup} untimed ones) from {@code concurrency}
     * clients and measures each request's latency.
     */
    public Result run(
            String label,
            String query,
            boolean binary,
            byte[] body,
            long tokens,
            int requests,
            int warmup,
            int concurrency)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            AtomicInteger errors = new AtomicInteger();
            phase(pool, query, binary, body, warmup, concurrency, errors, new long[Math.max(warmup, 1)]);
            long[] nanos = new long[requests];
            long t0 = System.nanoTime();
            phase(pool, query, binary, body, requests, concurrency, errors, nanos);
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Result(
                    label,
                    requests,
                    concurrency,
                    errors.get(),
                    pct(sorted, 0.50) / 1e6,
                    pct(sorted, 0.99) / 1e6,
                    sorted[sorted.length - 1] / 1e6,
                    requests / wall,
                    tokens * requests / wall);
        } finally {
            pool.shutdownNow();
        }
    }

    private void phase(
            ExecutorService pool,
            String query,
            boolean binary,
            byte[] body,
            int n,
            int concurrency,
            AtomicInteger errors,
            long[] nanos)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            fs.add(pool.submit(() -> {
                for (int k = next.getAndIncrement(); k < n; k = next.getAndIncrement()) {
                    long s = System.nanoTime();
                    HttpResponse<byte[]> r = send(query, binary, body);
                    nanos[k] = System.nanoTime() - s;
                    if (r.statusCode() != 200) errors.incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
    }

    /** Nearest-rank percentile of sorted values. */
    static long pct(long[] sorted, double q) {
        int k = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, k))];
    }
}
