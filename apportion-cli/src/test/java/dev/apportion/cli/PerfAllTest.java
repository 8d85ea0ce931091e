package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code perf --all}, {@code --markdown-from}, {@code --floors} and {@code --scaling}, and the
 * generated tables of README.md and docs/performance.md kept in sync with the registry (no timing
 * assertions: only keys, shapes and estimator lists).
 */
class PerfAllTest {
    static final List<String> KEYS = List.of(
            "estimator",
            "shape",
            "tokens",
            "median_ms",
            "tokens_per_second",
            "ratio_to_copy",
            "floor_ms",
            "ratio_to_floor",
            "threads",
            "bytes_per_token");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9_]+)` \\|");

    @TempDir
    Path dir;

    @Test
    void allPrintsOneLinePerEstimatorShapeAndThreadCount() throws IOException {
        Cli.Result r = Cli.run(
                "perf",
                "--all",
                "--tokens",
                "20000",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--warmup-seconds",
                "0",
                "--threads",
                "1,2",
                "--json");
        assertEquals(0, r.code(), r::toString);
        String[] lines = r.out().strip().split("\\R");
        int estimators = TestEstimators.registry().all().size();
        assertEquals(estimators * 3 * 2, lines.length, r::toString);
        Map<String, Integer> shapes = new LinkedHashMap<>();
        for (String l : lines) {
            JsonNode j = new ObjectMapper().readTree(l);
            shapes.merge(j.get("shape").asText(), 1, Integer::sum);
            if (j.has("error")) continue;
            for (String k : KEYS) assertTrue(j.has(k), () -> "missing " + k + ": " + l);
            assertEquals(
                    j.get("floor_ms").asDouble() / j.get("median_ms").asDouble(),
                    j.get("ratio_to_floor").asDouble(),
                    2e-3 * j.get("ratio_to_floor").asDouble(),
                    l);
            assertTrue(j.get("bytes_per_token").asDouble() >= 4, l); // every plan writes at least one float per token
            // the two-thread line carries its paired comparison with the one-thread line
            assertEquals(j.get("threads").asInt() == 2, j.has("vs_1_thread"), l);
            if (j.has("vs_1_thread")) {
                assertTrue(
                        j.get("time_ratio_ci95_low").asDouble()
                                <= j.get("time_ratio_ci95_high").asDouble(),
                        l);
                assertTrue(
                        List.of("slower", "same", "faster")
                                .contains(j.get("vs_1_thread").asText()),
                        l);
            }
        }
        assertEquals(
                Map.of("single", estimators * 2, "multiturn", estimators * 2, "multiagent", estimators * 2), shapes);
        assertTrue(r.err().contains("perf: [1/" + estimators * 3 + "]"), "progress on stderr: " + r.err());
    }

    /**
     * Issue 14: the synthetic batch carries what every registered estimator reads (trees, hidden
     * states, attention maps, critic heads, branch points, value heads): no row of a tiny run on
     * any shape is an error line.
     */
    @Test
    void everyRegisteredEstimatorRunsOnEveryShape() throws IOException {
        Cli.Result r = Cli.run(
                EstimatorRegistry.global(),
                "perf",
                "--all",
                "--tokens",
                "2000",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--warmup-seconds",
                "0",
                "--threads",
                "1",
                "--json");
        assertEquals(0, r.code(), r::toString);
        List<String> errors = new ArrayList<>();
        Map<String, Integer> rows = new LinkedHashMap<>();
        for (String l : r.out().strip().split("\\R")) {
            JsonNode j = new ObjectMapper().readTree(l);
            rows.merge(j.get("estimator").asText(), 1, Integer::sum);
            if (j.has("error"))
                errors.add(j.get("estimator").asText() + " on " + j.get("shape").asText() + ": "
                        + j.get("error").asText());
        }
        assertEquals(List.of(), errors, "estimators that cannot run on a perf shape");
        assertEquals(timedIds(), new TreeSet<>(rows.keySet()));
        for (int n : rows.values()) assertEquals(3, n, "one row per shape");
    }

    @Test
    void markdownFromJsonLinesNamesEveryEstimatorAndTheMachine() throws IOException {
        Path f = dir.resolve("all.jsonl");
        Files.writeString(
                f,
                String.join(
                        "\n",
                        "{\"estimator\":\"a\",\"shape\":\"single\",\"tokens\":100,\"median_ms\":2.0,\"floor_ms\":1.0,\"ratio_to_floor\":0.5,"
                                + "\"threads\":1,\"bytes_per_token\":4.0,\"ratio_to_floor_cpu\":0.25}",
                        "{\"estimator\":\"a\",\"shape\":\"single\",\"tokens\":100,\"median_ms\":1.5,\"floor_ms\":1.0,\"ratio_to_floor\":0.667,"
                                + "\"threads\":2,\"bytes_per_token\":4.0}",
                        "{\"estimator\":\"b\",\"shape\":\"single\",\"tokens\":100,\"threads\":1,\"error\":\"needs x | y\"}"));
        Cli.Result r = Cli.run("perf", "--markdown-from", f.toString(), "--machine", "test box");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("| `a` | 2.00 (1.00, ×0.50) cpu ×0.25 | single 1.50 (×0.67) | 4.0 |"), r.out());
        assertTrue(r.out().contains("| `b` | cannot run: needs x \\| y |"), r.out());
        assertTrue(r.out().contains("Machine: test box."), r.out());
        // a two-thread line with its paired comparison (perf --all --threads 1,2): the verdict and the count
        Files.writeString(
                f,
                String.join(
                        "\n",
                        "{\"estimator\":\"a\",\"shape\":\"single\",\"tokens\":100,\"median_ms\":2.0,\"floor_ms\":1.0,\"ratio_to_floor\":0.5,"
                                + "\"threads\":1,\"bytes_per_token\":4.0}",
                        "{\"estimator\":\"a\",\"shape\":\"single\",\"tokens\":100,\"median_ms\":2.2,\"floor_ms\":1.0,\"ratio_to_floor\":0.455,"
                                + "\"threads\":2,\"bytes_per_token\":4.0,\"time_ratio_to_1_thread\":1.1,\"time_ratio_ci95_low\":1.02,"
                                + "\"time_ratio_ci95_high\":1.2,\"vs_1_thread\":\"slower\",\"paired_runs\":21}"));
        Cli.Result v = Cli.run("perf", "--markdown-from", f.toString());
        assertEquals(0, v.code(), v::toString);
        assertTrue(v.out().contains("single 2.20 (×0.46) 2/1: 1.10 [1.02, 1.20] **slower** |"), v.out());
        assertTrue(v.out().contains("(slower 1, same 0, faster 0 rows)"), v.out());
        Files.writeString(f, "{\"estimator\":\"a\"}\n");
        Cli.Result bad = Cli.run("perf", "--markdown-from", f.toString());
        assertEquals(2, bad.code(), bad::toString);
        assertTrue(bad.err().contains("all.jsonl:1"), bad.err());
    }

    @Test
    void scalingPrintsSlopesAndWritesAPlot() throws IOException {
        Path png = dir.resolve("scaling.png");
        Cli.Result r = Cli.run(
                "perf",
                "--scaling",
                "--estimators",
                "tm,test_steps",
                "--min-tokens",
                "1e3",
                "--max-tokens",
                "1e4",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--warmup-seconds",
                "0",
                "--json",
                "--plot",
                png.toString());
        assertEquals(0, r.code(), r::toString);
        int slopes = 0;
        for (String l : r.out().strip().split("\\R")) {
            JsonNode j = new ObjectMapper().readTree(l);
            if (j.has("loglog_slope")) {
                slopes++;
                assertEquals(2, j.get("peak_heap_bytes_per_token").size(), l);
            } else {
                assertTrue(j.has("peak_heap_bytes_per_token"), l);
            }
        }
        assertEquals(2, slopes, r::toString);
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', "a PNG");
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(ScalingChart.WIDTH, img.getWidth());
        assertEquals(ScalingChart.HEIGHT, img.getHeight());
        assertTrue(r.err().contains("perf: scaling test_mean: building"), "progress on stderr: " + r.err());
        assertTrue(r.err().contains("perf: wrote " + png), r.err());
    }

    @Test
    void scalingStopsUpFrontWhenTheHeapCannotHoldTheLargestBatch() throws IOException {
        Path png = dir.resolve("never.png");
        Cli.Result r = Cli.run(
                "perf",
                "--scaling",
                "--estimators",
                "tm",
                "--min-tokens",
                "1e3",
                "--max-tokens",
                "1e11",
                "--plot",
                png.toString());
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("-Xmx"), r.err());
        assertTrue(r.err().contains("perf: --scaling: test_mean at "), r.err());
        assertTrue(!Files.exists(png), "no plot");
    }

    /** Estimator ids in the Markdown rows between the two markers of {@code text}. */
    static List<String> tableIds(String text, String begin, String end) {
        int a = text.indexOf(begin);
        int b = text.indexOf(end);
        assertTrue(a >= 0 && b > a, "markers " + begin + " … " + end + " present");
        List<String> ids = new ArrayList<>();
        for (String line : text.substring(a, b).split("\\R")) {
            Matcher m = ROW.matcher(line);
            if (m.find()) ids.add(m.group(1));
        }
        return ids;
    }

    static TreeSet<String> timedIds() {
        TreeSet<String> ids = new TreeSet<>();
        for (Estimator e : PerfModes.timed(EstimatorRegistry.global(), null))
            ids.add(e.descriptor().id());
        return ids;
    }

    @Test
    void readmePerformanceTableCoversEveryRegisteredEstimator() throws IOException {
        List<String> ids = tableIds(ReadmeTest.readme(), "<!-- perf-table:begin -->", "<!-- perf-table:end -->");
        assertEquals(
                timedIds(),
                new TreeSet<>(ids),
                "README performance table vs registry (regenerate with "
                        + "'apportion perf --all --json > all.jsonl; apportion perf --markdown-from all.jsonl')");
        assertEquals(ids.size(), new TreeSet<>(ids).size(), "one row per estimator");
    }

    @Test
    void floorDocumentationIsGeneratedFromTheDeclarations() throws IOException {
        String doc = Files.readString(ReadmeTest.root().resolve("docs/performance.md"));
        String begin = "<!-- floors:begin -->";
        String end = "<!-- floors:end -->";
        assertEquals(timedIds(), new TreeSet<>(tableIds(doc, begin, end)));
        String table = doc.substring(doc.indexOf(begin) + begin.length(), doc.indexOf(end))
                .strip();
        assertEquals(
                PerfModes.floorsMarkdown(EstimatorRegistry.global()).strip(),
                table,
                "docs/performance.md is stale: regenerate the table with 'apportion perf --floors'");
    }
}
