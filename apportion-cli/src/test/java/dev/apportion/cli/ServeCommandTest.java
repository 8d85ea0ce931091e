package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.server.CreditServer;
import dev.apportion.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The service against the CLI itself: {@code POST /v1/credit} answers byte for byte the file
 * {@code apportion assign} writes, {@code GET /v1/estimators} is {@code apportion estimators
 * --json}, error messages are the ones assign prints, and {@code apportion serve} starts a server.
 */
class ServeCommandTest {
    static final EstimatorRegistry REGISTRY = EstimatorRegistry.global();
    static final Path EXAMPLE = Path.of("..", "examples", "two-groups.jsonl");
    final HttpClient client = HttpClient.newHttpClient();

    HttpResponse<byte[]> post(String url, String type, byte[] body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> get(String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static CreditServer server() throws Exception {
        return new CreditServer(ServerConfig.defaults().withPort(0).withRequestLog(false), REGISTRY, null).start();
    }

    @ParameterizedTest
    @CsvSource({
        "grpo,,",
        "grpo,verl,",
        "rloo,,",
        "gae,,param.gamma=0.95",
        "gigpo,,",
        "reinforce_plus_plus,,param.kl_coef=0",
        "opo,,"
    })
    void creditIsByteForByteTheFileAssignWrites(String estimator, String preset, String param, @TempDir Path dir)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("assign", "--estimator", estimator));
        StringBuilder q = new StringBuilder("/v1/credit?estimator=" + estimator);
        if (preset != null) {
            args.addAll(List.of("--preset", preset));
            q.append("&preset=").append(preset);
        }
        if (param != null) {
            args.addAll(List.of("--param", param.substring(6)));
            q.append('&').append(param);
        }
        Path out = dir.resolve("credit.jsonl");
        args.addAll(List.of(EXAMPLE.toString(), "-o", out.toString()));
        Cli.Result assign = Cli.run(REGISTRY, args.toArray(String[]::new));
        assertEquals(0, assign.code(), assign::toString);
        try (CreditServer s = server()) {
            HttpResponse<byte[]> r = post(s.url() + q, "application/x-ndjson", Files.readAllBytes(EXAMPLE));
            assertEquals(200, r.statusCode(), () -> new String(r.body()));
            // assign's file starts with the provenance record; the HTTP answer carries the credit lines only
            // (the request names the estimator and its parameters), byte for byte the rest of the file
            byte[] file = Files.readAllBytes(out);
            int firstLine = 0;
            while (file[firstLine] != '\n') firstLine++;
            assertTrue(new String(file, 0, firstLine, java.nio.charset.StandardCharsets.UTF_8)
                    .contains("\"kind\":\"provenance\""));
            assertArrayEquals(java.util.Arrays.copyOfRange(file, firstLine + 1, file.length), r.body());
        }
    }

    @Test
    void errorsCarryTheMessageAssignPrints(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("rollouts.jsonl");
        Files.writeString(
                bad,
                "{\"group\": \"g\", \"id\": \"a\", \"outcome\": 1, \"tokens\": 2}\n"
                        + "{\"group\": \"g\", \"id\": \"b\", \"outcome\": 0, \"tokens\": -2}\n");
        Cli.Result assign = Cli.run(
                REGISTRY,
                "assign",
                "--estimator",
                "grpo",
                bad.toString(),
                "-o",
                dir.resolve("o.jsonl").toString());
        assertEquals(2, assign.code());
        String printed = assign.errLines()[assign.errLines().length - 1];
        try (CreditServer s = server()) {
            HttpResponse<byte[]> r =
                    post(s.url() + "/v1/credit?estimator=grpo", "application/x-ndjson", Files.readAllBytes(bad));
            assertEquals(400, r.statusCode());
            String error = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(r.body())
                    .get("error")
                    .asText();
            // same message, with the input named "body" where assign names the file
            assertEquals(printed, "error: " + error.replaceFirst("^body", bad.toString()));
        }
    }

    @Test
    void estimatorsEndpointIsEstimatorsJson() throws Exception {
        Cli.Result cli = Cli.run(REGISTRY, "estimators", "--json");
        assertEquals(0, cli.code());
        try (CreditServer s = server()) {
            HttpResponse<String> r = get(s.url() + "/v1/estimators");
            assertEquals(200, r.statusCode());
            assertEquals(cli.out(), r.body());
        }
    }

    @Test
    void serveStartsAServerAndAnswers() throws Exception {
        CommandLine cl = Main.commandLine(() -> REGISTRY);
        CountDownLatch listening = new CountDownLatch(1);
        StringBuilder printed = new StringBuilder();
        Writer out = new Writer() {
            @Override
            public synchronized void write(char[] c, int off, int len) {
                printed.append(c, off, len);
                if (printed.toString().contains("listening on ")) listening.countDown();
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> code =
                    pool.submit(() -> cl.execute("serve", "--port", "0", "--no-request-log", "--threads", "2"));
            assertTrue(listening.await(60, TimeUnit.SECONDS), "serve did not print 'listening on'");
            String url;
            synchronized (out) {
                url = printed.toString().strip().replace("listening on ", "");
            }
            assertTrue(url.startsWith("http://127.0.0.1:"), url);
            HttpResponse<String> r = get(url + "/healthz");
            assertEquals(200, r.statusCode());
            ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
            serve.server.stop();
            assertEquals(0, code.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badServeOptionsAreUsageErrors() {
        Cli.Result r = Cli.run(REGISTRY, "serve", "--port", "70000");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("port must be in 0..65535, got 70000"), r::toString);
    }
}
