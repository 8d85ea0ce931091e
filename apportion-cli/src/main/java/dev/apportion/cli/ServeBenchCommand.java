package dev.apportion.cli;

import dev.apportion.server.CreditServer;
import dev.apportion.server.LoadGenerator;
import dev.apportion.server.PaddedBinary;
import dev.apportion.server.ServerConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion serve-bench}: latency percentiles and throughput of {@code POST /v1/credit}
 * for one padded GRPO batch over JSONL and over the binary body, from N concurrent clients. Runs
 * against an in-process server on a loopback port unless {@code --url} names a running one.
 */
@Command(
        name = "serve-bench",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Measure the credit service: latency and requests/s, JSONL vs binary.",
        description = "Builds one verl-style padded batch (rows x length, groups of --group-size, 0/1 scores), checks "
                + "that the JSONL and binary bodies give the same advantages, then sends --requests requests of each "
                + "from --concurrency clients (after --warmup untimed ones) and prints the latency percentiles and "
                + "throughput. Without --url it starts a server in this JVM on a free loopback port.",
        footer = {"", "Example:", "  apportion serve-bench --rows 64 --length 512 --concurrency 8 --requests 400"})
final class ServeBenchCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "A running server (loopback); default: start one here.")
    private String url;

    @Option(
            names = "--estimator",
            defaultValue = "grpo",
            paramLabel = "ID",
            description = "Estimator (default: ${DEFAULT-VALUE}).")
    private String estimator;

    @Option(
            names = "--rows",
            defaultValue = "64",
            paramLabel = "N",
            description = "Rows of the batch (default: ${DEFAULT-VALUE}).")
    private int rows;

    @Option(
            names = "--length",
            defaultValue = "512",
            paramLabel = "N",
            description = "Positions per row (default: ${DEFAULT-VALUE}).")
    private int length;

    @Option(
            names = "--group-size",
            defaultValue = "8",
            paramLabel = "N",
            description = "Rows per group (default: ${DEFAULT-VALUE}).")
    private int groupSize;

    @Option(
            names = "--concurrency",
            defaultValue = "8",
            paramLabel = "N",
            description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    private int concurrency;

    @Option(
            names = "--requests",
            defaultValue = "400",
            paramLabel = "N",
            description = "Timed requests per body kind (default: ${DEFAULT-VALUE}).")
    private int requests;

    @Option(
            names = "--warmup",
            defaultValue = "200",
            paramLabel = "N",
            description = "Untimed requests first (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "Compute threads of the in-process server (default: cores).")
    private Integer threads;

    @Override
    public Integer call() throws Exception {
        if (rows < 1 || length < 1 || groupSize < 1 || concurrency < 1 || requests < 1 || warmup < 0) {
            throw new ParameterException(
                    spec.commandLine(), "--rows, --length, --group-size, --concurrency and --requests must be >= 1");
        }
        if (url != null) {
            String host = URI.create(url).getHost();
            if (host == null
                    || !(host.equals("localhost")
                            || host.startsWith("127.")
                            || host.equals("[::1]")
                            || host.equals("::1"))) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--url must be a loopback address (127.0.0.0/8, localhost, [::1]), got " + url);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        CreditServer server = null;
        try {
            String base = url;
            if (base == null) {
                ServerConfig c = ServerConfig.defaults().withPort(0).withRequestLog(false);
                if (threads != null) c = c.withComputeThreads(threads);
                server = new CreditServer(c, main.registry(), null).start();
                base = server.url();
            }
            LoadGenerator gen = new LoadGenerator(base);
            LoadGenerator.Batch batch = LoadGenerator.batch(rows, length, groupSize, 42);
            String query = "?estimator=" + estimator;
            check(gen, query, batch);
            out.printf(
                    "serve-bench: %s, %d x %d batch (%d tokens; JSONL body %d bytes, binary body %d bytes), %s%n",
                    estimator,
                    rows,
                    length,
                    batch.tokens(),
                    batch.jsonl().length,
                    batch.binary().length,
                    server == null
                            ? base
                            : "in-process server, "
                                    + (threads == null ? Runtime.getRuntime().availableProcessors() : threads)
                                    + " compute threads");
            out.flush();
            for (boolean binary : new boolean[] {false, true}) {
                LoadGenerator.Result r = gen.run(
                        binary ? "binary" : "jsonl",
                        query,
                        binary,
                        binary ? batch.binary() : batch.jsonl(),
                        batch.tokens(),
                        requests,
                        warmup,
                        concurrency);
                out.println(r.line());
                out.flush();
                if (r.errors() > 0) return ExitCodes.CHECK_FAILED;
            }
            return ExitCodes.OK;
        } finally {
            if (server != null) server.stop();
        }
    }

    /** Both bodies must give the same advantages, or the comparison means nothing. */
    private static void check(LoadGenerator gen, String query, LoadGenerator.Batch batch) throws Exception {
        HttpResponse<byte[]> j = gen.send(query, false, batch.jsonl());
        HttpResponse<byte[]> b = gen.send(query, true, batch.binary());
        if (j.statusCode() != 200 || b.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + j.statusCode() + " / " + b.statusCode() + ": "
                    + new String(j.statusCode() != 200 ? j.body() : b.body(), StandardCharsets.UTF_8));
        }
        ByteBuffer bin = ByteBuffer.wrap(b.body()).order(ByteOrder.LITTLE_ENDIAN);
        int nameLen = bin.getInt(24);
        int at = 28 + ((nameLen + 3) & ~3);
        String[] lines = new String(j.body(), StandardCharsets.UTF_8).split("\n");
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < lines.length; i++) {
            com.fasterxml.jackson.databind.JsonNode adv = m.readTree(lines[i]).get("advantages");
            for (int t = 0; t < adv.size(); t++) {
                float want = adv.get(t).floatValue();
                float got = bin.getFloat(at + 4 * (i * batch.length() + t));
                if (Float.compare(want, got) != 0 && !(want == 0f && got == 0f)) {
                    throw new IllegalStateException("JSONL and binary answers differ at row " + i + ", position " + t
                            + ": " + want + " vs " + got + " (" + PaddedBinary.MEDIA_TYPE + ")");
                }
            }
        }
    }
}
