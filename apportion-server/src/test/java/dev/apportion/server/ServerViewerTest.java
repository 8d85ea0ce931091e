package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The viewer page at / and the files it may read: the data folder's rollout files and the results folder. */
class ServerViewerTest {
    @TempDir
    static Path tmp;

    static CreditServer server;
    static Http http;
    static String rollouts;

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path results = Files.createDirectories(tmp.resolve("results/quick"));
        rollouts = TestBatches.jsonl(2, 3, 4, 1);
        Files.writeString(data.resolve("b.jsonl"), rollouts);
        Files.writeString(data.resolve("a.ndjson"), rollouts);
        Files.writeString(data.resolve("notes.txt"), "not a rollout file");
        Files.writeString(data.resolve(".hidden.jsonl"), rollouts);
        Files.writeString(results.resolve("report.html"), "<!doctype html><title>r</title>");
        Files.writeString(tmp.resolve("secret.jsonl"), "outside");
        server = new CreditServer(
                        ServerConfig.defaults().withPort(0).withRequestLog(false),
                        EstimatorRegistry.global(),
                        null,
                        new ViewerSettings(data, tmp.resolve("results"), "9.9-test"))
                .start();
        http = new Http(server.url());
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    @Test
    void pageListsTheDataFilesAndReportsAndInlinesEverything() {
        Http.Reply r = http.get("/");
        assertEquals(200, r.status());
        assertTrue(r.contentType().startsWith("text/html"), r.contentType());
        String page = r.text();
        assertTrue(page.contains("\"files\":[\"a.ndjson\",\"b.jsonl\"]"), "data files, sorted, rollout files only");
        assertTrue(page.contains("href=\"reports/quick/report.html\""), "report link");
        assertTrue(page.contains("9.9-test"));
        assertTrue(page.contains("Chart.js"), "the bundled chart library");
        assertFalse(page.contains("<script src"), "no external script");
        assertFalse(page.contains("rel=\"stylesheet\""), "no external style sheet");
    }

    @Test
    void servesListedFilesOnly() {
        Http.Reply f = http.get("/view/files/b.jsonl");
        assertEquals(200, f.status());
        assertEquals(rollouts, new String(f.body(), StandardCharsets.UTF_8));
        for (String bad : new String[] {
            "/view/files/notes.txt",
            "/view/files/.hidden.jsonl",
            "/view/files/missing.jsonl",
            "/view/files/..%2Fsecret.jsonl",
            "/reports/../secret.jsonl",
            "/reports/",
            "/reports/quick"
        }) {
            Http.Reply r = http.get(bad);
            assertTrue(r.status() == 404 || r.status() == 400, bad + " -> " + r);
            assertFalse(r.text().contains("outside"), bad);
        }
        Http.Reply rep = http.get("/reports/quick/report.html");
        assertEquals(200, rep.status());
        assertTrue(rep.contentType().startsWith("text/html"));
    }
}
