package dev.apportion.cli;

import dev.apportion.server.CreditServer;
import dev.apportion.server.ServerConfig;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion serve}: the HTTP credit service ({@link CreditServer}) in the foreground
 * until SIGTERM or Ctrl-C, which stop it gracefully (in-flight requests finish).
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Serve credit assignment over HTTP (JSONL or the padded binary layout).",
        description = {
            "Endpoints: GET / (the credit viewer), GET /healthz, GET /v1/estimators, GET /openapi.json, "
                    + "POST /v1/credit?estimator=ID[&preset=P][&param.KEY=VALUE...], POST /v1/validate. "
                    + "A rollout JSONL body is answered with exactly the credit JSONL of 'apportion assign'; "
                    + "the binary body is described in docs/binary-format.md. Errors are JSON {\"error\": ..., \"line\": N}.",
            "Prints 'listening on http://HOST:PORT' on stdout once bound, then one line per request on stderr. "
                    + "SIGTERM stops it gracefully: no new connections are accepted (a request on an open connection gets 503), "
                    + "requests in flight finish."
        },
        footer = {
            "",
            "Example:",
            "  apportion serve --port 8080",
            "  curl -s --data-binary @rollouts.jsonl -H 'Content-Type: application/x-ndjson' \\",
            "       'http://127.0.0.1:8080/v1/credit?estimator=grpo&preset=verl'"
        })
final class ServeCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            paramLabel = "ADDR",
            description = "Address to bind (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 exposes the service).")
    private String host;

    @Option(
            names = "--port",
            defaultValue = "8080",
            paramLabel = "N",
            description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(
            names = "--max-body",
            defaultValue = "268435456",
            paramLabel = "BYTES",
            description = "Largest request body; larger gets 413 (default: ${DEFAULT-VALUE} = 256 MiB).")
    private long maxBody;

    @Option(
            names = "--max-tokens",
            defaultValue = "16777216",
            paramLabel = "N",
            description =
                    "Largest batch in tokens (rows x positions for the binary body); larger gets 422 (default: ${DEFAULT-VALUE}).")
    private long maxTokens;

    @Option(
            names = "--timeout-ms",
            defaultValue = "60000",
            paramLabel = "MS",
            description =
                    "Time limit per request, from arrival to answer; over it gets 503 (default: ${DEFAULT-VALUE}).")
    private long timeoutMs;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "Requests computed at once (default: the number of cores).")
    private Integer threads;

    @Option(
            names = "--max-queued",
            defaultValue = "256",
            paramLabel = "N",
            description = "Requests that may wait for a compute thread; more get 503 (default: ${DEFAULT-VALUE}).")
    private int maxQueued;

    @Option(
            names = "--stop-timeout-ms",
            defaultValue = "30000",
            paramLabel = "MS",
            description = "How long a graceful stop waits for requests in flight (default: ${DEFAULT-VALUE}).")
    private long stopTimeoutMs;

    @Option(
            names = "--no-request-log",
            negatable = false,
            description = "Do not write the one-line-per-request log to stderr.")
    private boolean noRequestLog;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description =
                    "Folder of rollout files (*.jsonl, *.ndjson) the viewer at / offers (default: none; upload only).")
    private java.nio.file.Path dataDir;

    @Option(
            names = "--results-dir",
            paramLabel = "DIR",
            description = "Folder of benchmark results whose report pages the viewer at / links (default: none).")
    private java.nio.file.Path resultsDir;

    /** The running server (for tests), null before it started. */
    volatile CreditServer server;

    @Override
    public Integer call() throws Exception {
        ServerConfig config;
        try {
            config = new ServerConfig(
                    host,
                    port,
                    maxBody,
                    maxTokens,
                    timeoutMs,
                    threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                    maxQueued,
                    stopTimeoutMs,
                    !noRequestLog);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        for (java.nio.file.Path d : new java.nio.file.Path[] {dataDir, resultsDir}) {
            if (d != null && !java.nio.file.Files.isDirectory(d)) {
                throw new ParameterException(spec.commandLine(), "'" + d + "' is not a folder");
            }
        }
        PrintStream err = System.err;
        CreditServer server = new CreditServer(
                config,
                main.registry(),
                err,
                new dev.apportion.server.ViewerSettings(dataDir, resultsDir, new VersionInfo().describe()));
        try {
            server.start();
            this.server = server;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println("listening on " + server.url());
        spec.commandLine().getOut().flush();
        server.join();
        return ExitCodes.OK;
    }
}
