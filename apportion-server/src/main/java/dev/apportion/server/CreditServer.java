package dev.apportion.server;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.view.ViewerPage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP credit service on Jetty 12 (core handlers, no servlet container).
 *
 * <pre>
 * GET  /healthz                 {"status":"ok"}
 * GET  /v1/estimators           the registry, as 'apportion estimators --json'
 * GET  /openapi.json            OpenAPI 3 description of these endpoints
 * POST /v1/credit?estimator=ID[&amp;preset=P][&amp;param.KEY=VALUE...]
 *                               rollout JSONL → credit JSONL, or the padded binary layout → credit in kind
 * POST /v1/validate[?estimator=ID...]   findings on a batch
 * GET  /                        the credit viewer ({@link ViewerPage#served}); it computes through /v1/credit
 * GET  /view/files/NAME         a rollout file of the configured data folder ({@link ViewerSettings})
 * GET  /reports/PATH            a file of the configured benchmark results folder
 * </pre>
 *
 * <p>Limits per request ({@link ServerConfig}): the body (413), the batch's tokens (422) and the
 * time from arrival to answer (503, also when the compute queue is full). Bodies are read on
 * Jetty's threads; parsing, the estimator and serialisation run on a fixed pool of compute
 * threads. {@link #stop()} (and SIGTERM, through Jetty's shutdown hook) is graceful: new
 * requests get 503, requests in flight finish, up to {@link ServerConfig#stopTimeoutMillis()}.
 * Errors are JSON {@code {"error": "...", "line": N}}; no stack trace leaves the server.
 */
public final class CreditServer implements AutoCloseable {
    private final ServerConfig config;
    private final CreditService service;
    private final Server server;
    private final ServerConnector connector;
    private final GracefulHandler graceful;
    private final ThreadPoolExecutor compute;
    private final PrintStream log;
    private final byte[] openApi;
    private final ViewerSettings viewer;
    /** How much of a refused (too large) body is read and dropped before answering 413. */
    static final long DRAIN_BYTES = 16L << 20;
    /** Test hook: runs on the compute thread before each credit computation. */
    volatile Runnable beforeCompute = () -> {};

    /**
     * @param log where the request log goes (one line per request), or null for none
     */
    public CreditServer(ServerConfig config, EstimatorRegistry registry, PrintStream log) {
        this(config, registry, log, ViewerSettings.none("unknown"));
    }

    /**
     * @param log where the request log goes (one line per request), or null for none
     * @param viewer the data and results folders the viewer page at {@code /} offers
     */
    public CreditServer(ServerConfig config, EstimatorRegistry registry, PrintStream log, ViewerSettings viewer) {
        this.viewer = viewer;
        this.config = config;
        this.service = new CreditService(registry, config.maxTokens());
        this.log = config.requestLog() ? log : null;
        this.openApi = loadOpenApi();
        AtomicInteger n = new AtomicInteger();
        this.compute = new ThreadPoolExecutor(
                config.computeThreads(),
                config.computeThreads(),
                30,
                TimeUnit.SECONDS,
                config.maxQueued() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(config.maxQueued()),
                r -> {
                    Thread t = new Thread(r, "apportion-compute-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(16, 4 * config.computeThreads() + 8), 4);
        threads.setName("apportion-http");
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        this.graceful = new GracefulHandler(new Routes());
        server.setHandler(graceful);
        server.setStopTimeout(config.stopTimeoutMillis());
        server.setStopAtShutdown(true);
    }

    /** Binds and starts serving. */
    public CreditServer start() throws Exception {
        server.start();
        return this;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port}. */
    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + h + ":" + port();
    }

    /** True between a successful {@link #start()} and the beginning of a stop. */
    public boolean isAcceptingRequests() {
        return server.isStarted() && !graceful.isShutdown();
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Graceful stop: refuses new requests, finishes those in flight (bounded by the stop timeout). */
    public void stop() throws Exception {
        server.stop();
        compute.shutdown();
        compute.awaitTermination(config.stopTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@link #stop()}; an interrupted stop restores the interrupt flag. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("stopping the server failed: " + e.getMessage(), e);
        }
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = CreditServer.class.getResourceAsStream("openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is missing from the server jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One answer on the wire. */
    private record Reply(int status, String contentType, byte[] body, long tokens, String estimator) {
        static Reply json(int status, byte[] body) {
            return new Reply(status, "application/json", body, 0, null);
        }

        static Reply of(String contentType, byte[] body) {
            return new Reply(200, contentType, body, 0, null);
        }
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long t0 = System.nanoTime();
            String method = request.getMethod();
            String path = Request.getPathInContext(request);
            long[] bodyBytes = {0};
            Reply reply;
            try {
                reply = route(request, method, path, t0, bodyBytes);
            } catch (ApiException e) {
                reply = Reply.json(e.status(), CreditService.error(e.getMessage(), e.line()));
            } catch (Throwable e) {
                // a defect: the class and message only, never a stack trace
                reply = Reply.json(500, CreditService.error("internal error: " + CreditService.describe(e), 0));
            }
            response.setStatus(reply.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
            if (reply.status() == 413) response.getHeaders().put(HttpHeader.CONNECTION, "close");
            if (reply.status() == 503) response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
            if (log != null) {
                String q = request.getHttpURI().getQuery();
                log.printf(
                        Locale.ROOT,
                        "serve: %s %s%s %d body=%dB out=%dB tokens=%d %.1fms%n",
                        method,
                        path,
                        q == null ? "" : "?" + q,
                        reply.status(),
                        bodyBytes[0],
                        reply.body().length,
                        reply.tokens(),
                        (System.nanoTime() - t0) / 1e6);
            }
            return true;
        }

        private Reply route(Request request, String method, String path, long t0, long[] bodyBytes) throws Exception {
            if (path.startsWith("/view/files/")) {
                allow(method, "GET");
                return Reply.of(
                        CreditService.NDJSON,
                        ViewerFiles.dataFile(viewer, path.substring("/view/files/".length()), config.maxBodyBytes()));
            }
            if (path.startsWith("/reports/")) {
                allow(method, "GET");
                String rel = path.substring("/reports/".length());
                return Reply.of(
                        ViewerFiles.contentType(rel), ViewerFiles.reportFile(viewer, rel, config.maxBodyBytes()));
            }
            switch (path) {
                case "/":
                    allow(method, "GET");
                    return Reply.of(
                            "text/html; charset=utf-8",
                            ViewerPage.served(
                                            viewer.version(),
                                            ViewerFiles.dataFiles(viewer),
                                            ViewerFiles.reports(viewer))
                                    .getBytes(StandardCharsets.UTF_8));
                case "/healthz":
                    allow(method, "GET");
                    return Reply.json(200, "{\"status\":\"ok\"}\n".getBytes(StandardCharsets.UTF_8));
                case "/v1/estimators":
                    allow(method, "GET");
                    return Reply.json(200, service.estimatorsJson());
                case "/openapi.json":
                    allow(method, "GET");
                    return Reply.json(200, openApi);
                case "/v1/credit":
                case "/v1/validate": {
                    allow(method, "POST");
                    Map<String, List<String>> query = query(request);
                    boolean binary = binary(request);
                    byte[] body = readBody(request);
                    bodyBytes[0] = body.length;
                    boolean credit = path.equals("/v1/credit");
                    CreditService.Answer a = computeWithin(t0, () -> {
                        if (credit) beforeCompute.run();
                        return credit ? service.credit(query, binary, body) : service.validate(query, binary, body);
                    });
                    return new Reply(200, a.contentType(), a.body(), a.tokens(), a.estimator());
                }
                default:
                    throw new ApiException(
                            404,
                            "no such endpoint: " + method + " " + path
                                    + " (endpoints: GET /, GET /healthz, GET /v1/estimators, GET /openapi.json, POST /v1/credit, POST /v1/validate)");
            }
        }

        private void allow(String method, String allowed) {
            if (!method.equals(allowed))
                throw new ApiException(405, "method " + method + " is not allowed here; use " + allowed);
        }

        private Map<String, List<String>> query(Request request) {
            Fields f;
            try {
                f = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                throw new ApiException(400, "malformed query string: " + CreditService.oneLine(e.getMessage()), 0, e);
            }
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (Fields.Field field : f) out.put(field.getName(), new ArrayList<>(field.getValues()));
            return out;
        }

        private boolean binary(Request request) {
            String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
            String type = ct == null ? "" : ct.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            switch (type) {
                case PaddedBinary.MEDIA_TYPE:
                case "application/octet-stream":
                    return true;
                case "":
                case CreditService.NDJSON:
                case "application/jsonl":
                case "application/json":
                case "text/plain":
                    return false;
                default:
                    throw new ApiException(
                            415,
                            "unsupported content type '" + ct + "'; send " + CreditService.NDJSON
                                    + " (rollout JSONL) or " + PaddedBinary.MEDIA_TYPE + " (docs/binary-format.md)");
            }
        }

        private byte[] readBody(Request request) throws IOException {
            long limit = config.maxBodyBytes();
            long declared = request.getLength();
            try (InputStream in = Request.asInputStream(request)) {
                if (declared > limit) {
                    drain(in);
                    throw tooLarge(declared + " bytes", limit);
                }
                byte[] buf =
                        new byte[(int) Math.min(Math.max(declared, 8192), Math.min(limit + 1, Integer.MAX_VALUE - 8))];
                int n = 0;
                while (true) {
                    if (n == buf.length) {
                        if (n > limit || n == Integer.MAX_VALUE - 8) {
                            drain(in);
                            throw tooLarge("more than " + limit + " bytes", limit);
                        }
                        buf = Arrays.copyOf(buf, (int)
                                Math.min((long) n * 2, Math.min(limit + 1, Integer.MAX_VALUE - 8)));
                    }
                    int r = in.read(buf, n, buf.length - n);
                    if (r < 0) break;
                    n += r;
                    if (n > limit) {
                        drain(in);
                        throw tooLarge("more than " + limit + " bytes", limit);
                    }
                }
                return n == buf.length ? buf : Arrays.copyOf(buf, n);
            }
        }

        /**
         * Reads and drops up to {@link #DRAIN_BYTES} more of a refused body, so that a client
         * still sending it reads the 413 instead of a connection reset; beyond that the
         * connection is closed after the answer.
         */
        private void drain(InputStream in) {
            byte[] sink = new byte[8192];
            long left = DRAIN_BYTES;
            try {
                while (left > 0) {
                    int r = in.read(sink, 0, (int) Math.min(sink.length, left));
                    if (r < 0) return;
                    left -= r;
                }
            } catch (IOException | RuntimeException e) {
                // the client went away: nothing to drain
            }
        }

        private ApiException tooLarge(String size, long limit) {
            return new ApiException(
                    413, "the request body has " + size + ", more than the limit of " + limit + " bytes (--max-body)");
        }

        private CreditService.Answer computeWithin(long t0, java.util.concurrent.Callable<CreditService.Answer> task)
                throws Exception {
            Future<CreditService.Answer> f;
            try {
                f = compute.submit(task);
            } catch (RejectedExecutionException e) {
                throw new ApiException(
                        503,
                        "the server is busy: " + config.computeThreads() + " requests computing and "
                                + config.maxQueued() + " waiting (--max-queued); retry later");
            }
            long left = config.timeoutMillis() * 1_000_000L - (System.nanoTime() - t0);
            try {
                return f.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new ApiException(
                        503,
                        "the request took longer than the limit of " + config.timeoutMillis()
                                + " ms (--timeout-ms); send a smaller batch or raise the limit");
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof Exception ex) throw ex;
                throw e;
            }
        }
    }
}
