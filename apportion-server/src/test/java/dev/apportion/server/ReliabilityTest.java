package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The server under load over loopback: a bounded load test (fixed request count, 8 concurrent
 * clients) with zero errors and a heap that does not grow; a storm of bad requests interleaved
 * with valid ones, every valid answer still exact; the time limit; and a graceful stop that
 * finishes the request in flight. No timing assertions: every wait is on a latch or a bounded
 * request count.
 */
class ReliabilityTest {
    static final EstimatorRegistry REGISTRY = EstimatorRegistry.global();
    static final int CLIENTS = 8;

    /**
     * A compute hook that signals {@code entered}, then holds the request until {@code release}
     * (at most {@code seconds}).
     */
    static Runnable hold(CountDownLatch entered, CountDownLatch release, int seconds) {
        return () -> {
            entered.countDown();
            try {
                release.await(seconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    static CreditServer start(ServerConfig c) throws Exception {
        return new CreditServer(c.withPort(0).withRequestLog(false), REGISTRY, null).start();
    }

    /** Runs {@code perClient} calls on each of 8 threads; returns the failures' descriptions. */
    static List<String> hammer(int perClient, java.util.function.IntFunction<String> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<List<String>>> fs = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    List<String> bad = new ArrayList<>();
                    for (int k = 0; k < perClient; k++) {
                        String problem = call.apply(client * perClient + k);
                        if (problem != null) bad.add(problem);
                    }
                    return bad;
                }));
            }
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : fs) all.addAll(f.get(10, TimeUnit.MINUTES));
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    static long usedHeapAfterGc() {
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) System.gc();
        return m.getHeapMemoryUsage().getUsed();
    }

    @Test
    void boundedLoadHasNoErrorsAndAStableHeap() throws Exception {
        try (CreditServer server = start(ServerConfig.defaults())) {
            Http http = new Http(server.url());
            String[] bodies = new String[4];
            String[] want = new String[4];
            String[] est = {"grpo", "rloo", "gae", "gigpo"};
            for (int i = 0; i < 4; i++) {
                bodies[i] = TestBatches.jsonl(8, 8, 24, 100 + i);
                want[i] = CreditServerTest.assignPath(bodies[i], est[i], null, Map.of());
            }
            java.util.function.IntFunction<String> call = n -> {
                int k = n % 4;
                Http.Reply r = http.postJsonl("/v1/credit?estimator=" + est[k], bodies[k]);
                if (r.status() != 200) return "request " + n + ": " + r;
                return r.text().equals(want[k]) ? null : "request " + n + ": wrong credit";
            };
            assertEquals(List.of(), hammer(10, call)); // warm-up: 80 requests
            long before = usedHeapAfterGc();
            assertEquals(List.of(), hammer(50, call)); // 400 requests
            long after = usedHeapAfterGc();
            assertTrue(
                    after < before + (64L << 20),
                    "heap grew from " + before + " to " + after + " bytes over 400 requests");
        }
    }

    @Test
    void badRequestStormLeavesEveryValidAnswerCorrect() throws Exception {
        try (CreditServer server = start(ServerConfig.defaults().withMaxBodyBytes(64 << 10))) {
            Http http = new Http(server.url());
            String valid = TestBatches.jsonl(6, 4, 10, 42);
            String want = CreditServerTest.assignPath(valid, "grpo", "verl", Map.of());
            TestBatches.Padded p = TestBatches.padded(4, 4, 32, 9);
            byte[] bin = p.body(false);
            Http.Reply binWant = http.postBinary("/v1/credit?estimator=grpo", bin);
            assertEquals(200, binWant.status());
            byte[] tooBig = new byte[(64 << 10) + 1];
            java.util.Arrays.fill(tooBig, (byte) '\n');
            AtomicInteger goodAnswers = new AtomicInteger();
            java.util.function.IntFunction<String> call = n -> {
                Http.Reply r;
                int expect;
                switch (n % 8) {
                    case 0 -> {
                        r = http.postJsonl("/v1/credit?estimator=grpo&preset=verl", valid);
                        expect = 200;
                    }
                    case 1 -> {
                        r = http.postJsonl("/v1/credit?estimator=grpo", "{\"group\": \"g\", \"id\": ");
                        expect = 400;
                    }
                    case 2 -> {
                        r = http.postJsonl("/v1/credit?estimator=nope", valid);
                        expect = 400;
                    }
                    case 3 -> {
                        r = http.post("/v1/credit?estimator=grpo", "application/x-ndjson", tooBig);
                        expect = 413;
                    }
                    case 4 -> {
                        r = http.postBinary("/v1/credit?estimator=grpo", bin);
                        expect = 200;
                    }
                    case 5 -> {
                        r = http.postJsonl(
                                "/v1/credit?estimator=gae",
                                "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n");
                        expect = 422;
                    }
                    case 6 -> {
                        r = http.postBinary("/v1/credit?estimator=grpo", java.util.Arrays.copyOf(bin, 30));
                        expect = 400;
                    }
                    default -> {
                        r = http.postJsonl("/v1/credit?estimator=grpo&param.epsilon=-1", valid);
                        expect = 400;
                    }
                }
                if (r.status() != expect)
                    return "request " + n + " (kind " + n % 8 + "): want " + expect + ", got " + r;
                if (expect != 200) {
                    String err = r.json().get("error").asText();
                    return err.isEmpty() || err.contains("\tat ") ? "request " + n + ": bad error body " + r : null;
                }
                boolean ok = n % 8 == 0 ? r.text().equals(want) : java.util.Arrays.equals(r.body(), binWant.body());
                if (ok) goodAnswers.incrementAndGet();
                return ok ? null : "request " + n + ": wrong credit";
            };
            assertEquals(List.of(), hammer(40, call)); // 320 requests, 80 of them valid
            assertEquals(80, goodAnswers.get());
            assertEquals(200, http.get("/healthz").status());
        }
    }

    @Test
    void overTheTimeLimitIs503() throws Exception {
        try (CreditServer server = start(ServerConfig.defaults().withTimeoutMillis(200))) {
            CountDownLatch release = new CountDownLatch(1);
            server.beforeCompute = hold(new CountDownLatch(0), release, 30);
            Http http = new Http(server.url());
            Http.Reply r = http.postJsonl("/v1/credit?estimator=grpo", TestBatches.jsonl(1, 2, 2, 1));
            release.countDown();
            assertEquals(503, r.status(), r::toString);
            assertTrue(r.json().get("error").asText().contains("longer than the limit of 200 ms"), r::toString);
            server.beforeCompute = () -> {};
            assertEquals(
                    200,
                    http.postJsonl("/v1/credit?estimator=grpo", TestBatches.jsonl(1, 2, 2, 1))
                            .status());
        }
    }

    @Test
    void aFullComputeQueueIs503AndTheServerRecovers() throws Exception {
        try (CreditServer server =
                start(ServerConfig.defaults().withComputeThreads(1).withMaxQueued(0))) {
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            server.beforeCompute = hold(entered, release, 60);
            Http http = new Http(server.url());
            String body = TestBatches.jsonl(2, 2, 3, 8);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Http.Reply> first = pool.submit(() -> http.postJsonl("/v1/credit?estimator=grpo", body));
                assertTrue(entered.await(60, TimeUnit.SECONDS));
                Http.Reply busy = http.postJsonl("/v1/credit?estimator=grpo", body);
                assertEquals(503, busy.status(), busy::toString);
                assertTrue(
                        busy.json()
                                .get("error")
                                .asText()
                                .startsWith("the server is busy: 1 requests computing and 0 waiting"),
                        busy::toString);
                release.countDown();
                assertEquals(200, first.get(60, TimeUnit.SECONDS).status());
                server.beforeCompute = () -> {};
                assertEquals(
                        200, http.postJsonl("/v1/credit?estimator=grpo", body).status());
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
        }
    }

    @Test
    void gracefulStopFinishesTheRequestInFlight() throws Exception {
        CreditServer server = start(ServerConfig.defaults().withStopTimeoutMillis(60_000));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.beforeCompute = hold(entered, release, 60);
        Http http = new Http(server.url());
        String body = TestBatches.jsonl(3, 3, 4, 5);
        String want = CreditServerTest.assignPath(body, "grpo", null, Map.of());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Http.Reply> inFlight = pool.submit(() -> http.postJsonl("/v1/credit?estimator=grpo", body));
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            Future<?> stopping = pool.submit(() -> {
                server.stop();
                return null;
            });
            // the stop waits for the request: it cannot finish before the request is released
            while (!stopping.isDone() && server.isAcceptingRequests()) Thread.onSpinWait();
            assertTrue(!stopping.isDone(), "stop() returned while a request was in flight");
            release.countDown();
            Http.Reply r = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r::toString);
            assertEquals(want, r.text());
            stopping.get(60, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
