package dev.apportion.server;

import java.util.function.Consumer;

/**
 * Settings of the credit service. Every limit is per request.
 *
 * @param host address to bind (loopback unless told otherwise)
 * @param port TCP port (0 = any free port)
 * @param maxBodyBytes largest request body accepted; larger → 413
 * @param maxTokens largest batch (tokens, or rows × positions for the binary body); larger → 422
 * @param timeoutMillis time from the request's arrival to its answer; exceeded → 503
 * @param computeThreads requests computed at once (each runs its estimator on one thread)
 * @param maxQueued requests that may wait for a compute thread; more → 503
 * @param stopTimeoutMillis how long a graceful stop waits for in-flight requests
 * @param requestLog write one line per request to stderr
 */
public record ServerConfig(
        String host,
        int port,
        long maxBodyBytes,
        long maxTokens,
        long timeoutMillis,
        int computeThreads,
        int maxQueued,
        long stopTimeoutMillis,
        boolean requestLog) {
    /** Default body limit: 256 MiB. */
    public static final long DEFAULT_MAX_BODY = 256L << 20;
    /** Default token limit: 16 Mi tokens (about 64 MiB per float array). */
    public static final long DEFAULT_MAX_TOKENS = 16L << 20;
    /** Default time limit per request: 60 s. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 60_000;

    public ServerConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        if (maxBodyBytes < 1)
            throw new IllegalArgumentException("the body limit must be >= 1 byte, got " + maxBodyBytes);
        if (maxTokens < 1) throw new IllegalArgumentException("the token limit must be >= 1, got " + maxTokens);
        if (timeoutMillis < 1)
            throw new IllegalArgumentException("the time limit must be >= 1 ms, got " + timeoutMillis);
        if (computeThreads < 1)
            throw new IllegalArgumentException("compute threads must be >= 1, got " + computeThreads);
        if (maxQueued < 0) throw new IllegalArgumentException("the queue limit must be >= 0, got " + maxQueued);
        if (stopTimeoutMillis < 0)
            throw new IllegalArgumentException("the stop timeout must be >= 0, got " + stopTimeoutMillis);
    }

    /** Loopback, port 8080, the default limits, one compute thread per core, request log on. */
    public static ServerConfig defaults() {
        return new ServerConfig(
                "127.0.0.1",
                8080,
                DEFAULT_MAX_BODY,
                DEFAULT_MAX_TOKENS,
                DEFAULT_TIMEOUT_MILLIS,
                Runtime.getRuntime().availableProcessors(),
                256,
                30_000,
                true);
    }

    public ServerConfig withHost(String v) {
        return with(b -> b.host = v);
    }

    public ServerConfig withPort(int v) {
        return with(b -> b.port = v);
    }

    public ServerConfig withMaxBodyBytes(long v) {
        return with(b -> b.maxBodyBytes = v);
    }

    public ServerConfig withMaxTokens(long v) {
        return with(b -> b.maxTokens = v);
    }

    public ServerConfig withTimeoutMillis(long v) {
        return with(b -> b.timeoutMillis = v);
    }

    public ServerConfig withComputeThreads(int v) {
        return with(b -> b.computeThreads = v);
    }

    public ServerConfig withMaxQueued(int v) {
        return with(b -> b.maxQueued = v);
    }

    public ServerConfig withStopTimeoutMillis(long v) {
        return with(b -> b.stopTimeoutMillis = v);
    }

    public ServerConfig withRequestLog(boolean v) {
        return with(b -> b.requestLog = v);
    }

    /** A copy with one or more settings changed (validated again by the canonical constructor). */
    private ServerConfig with(Consumer<Copy> change) {
        Copy b = new Copy(this);
        change.accept(b);
        return new ServerConfig(
                b.host,
                b.port,
                b.maxBodyBytes,
                b.maxTokens,
                b.timeoutMillis,
                b.computeThreads,
                b.maxQueued,
                b.stopTimeoutMillis,
                b.requestLog);
    }

    /** The mutable copy behind the withers: one place that lists every component. */
    private static final class Copy {
        String host;
        int port;
        long maxBodyBytes;
        long maxTokens;
        long timeoutMillis;
        int computeThreads;
        int maxQueued;
        long stopTimeoutMillis;
        boolean requestLog;

        Copy(ServerConfig c) {
            host = c.host;
            port = c.port;
            maxBodyBytes = c.maxBodyBytes;
            maxTokens = c.maxTokens;
            timeoutMillis = c.timeoutMillis;
            computeThreads = c.computeThreads;
            maxQueued = c.maxQueued;
            stopTimeoutMillis = c.stopTimeoutMillis;
            requestLog = c.requestLog;
        }
    }
}
