package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code perf --all --forks N}: the combination of the forks' lines, the two-thread verdict across
 * forks, the estimator order per fork, a failing child, and one end-to-end run with two child JVMs
 * (no timing assertions).
 */
class PerfForksTest {
    private static final double EPS = 1e-6;

    @Test
    void verdictIsAStudentTIntervalOverTheForksLogRatios() {
        // expected values computed by hand (Python): exp(mean(ln r) -/+ t(0.975, n-1) * sd(ln r) / sqrt(n))
        PerfSuite.Paired slower = PerfForks.verdict(new double[] {1.10, 1.12, 1.08});
        assertEquals(1.099879, slower.ratio(), EPS);
        assertEquals(1.051297, slower.low(), EPS);
        assertEquals(1.150706, slower.high(), EPS);
        assertEquals("slower", slower.verdict());
        assertEquals(3, slower.pairs());

        PerfSuite.Paired faster = PerfForks.verdict(new double[] {0.90, 0.92, 0.88});
        assertEquals(0.851511, faster.low(), EPS);
        assertEquals(0.950937, faster.high(), EPS);
        assertEquals("faster", faster.verdict());

        // every fork above 1, but too spread for 3 forks: not enough to call it slower
        PerfSuite.Paired spread = PerfForks.verdict(new double[] {1.30, 1.02, 1.10});
        assertEquals(0.833146, spread.low(), EPS);
        assertEquals(1.543725, spread.high(), EPS);
        assertEquals("same", spread.verdict());

        PerfSuite.Paired five = PerfForks.verdict(new double[] {1.10, 1.12, 1.08, 1.0, 1.15});
        assertEquals(1.019577, five.low(), EPS);
        assertEquals(1.162714, five.high(), EPS);
        assertEquals("slower", five.verdict());

        assertThrows(IllegalArgumentException.class, () -> PerfForks.verdict(new double[] {1.2}));
        assertThrows(IllegalArgumentException.class, () -> PerfForks.verdict(new double[] {1.2, 0}));
    }

    @Test
    void tQuantileFromTheTableAndTheSeries() {
        assertEquals(12.706, PerfForks.t975(1), 1e-9);
        assertEquals(4.303, PerfForks.t975(2), 1e-9);
        assertEquals(2.042, PerfForks.t975(30), 1e-9);
        assertEquals(2.0211, PerfForks.t975(40), 2e-4); // tables: 2.021
        assertEquals(1.9799, PerfForks.t975(120), 2e-4); // tables: 1.980
        assertEquals(1.96, PerfForks.t975(100_000), 1e-3);
        assertThrows(IllegalArgumentException.class, () -> PerfForks.t975(0));
    }

    private static Map<String, Object> row(
            String est, int threads, double ms, double floorMs, double cpuMs, double floorCpuMs, Double vsOne) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("estimator", est);
        m.put("shape", "single");
        m.put("tokens", 1000);
        m.put("median_ms", ms);
        m.put("floor_ms", floorMs);
        m.put("ratio_to_floor", floorMs / ms);
        m.put("threads", threads);
        m.put("bytes_per_token", 12.0);
        m.put("copy_ms", 0.5);
        m.put("min_ms", ms * 0.9);
        m.put("floor_min_ms", floorMs * 0.8);
        if (threads == 1) {
            m.put("cpu_ms", cpuMs);
            m.put("floor_cpu_ms", floorCpuMs);
            m.put("ratio_to_floor_cpu", floorCpuMs / cpuMs);
        }
        m.put("runs", 7);
        if (vsOne != null) {
            m.put("time_ratio_to_1_thread", vsOne);
            m.put("time_ratio_ci95_low", vsOne - 0.01);
            m.put("time_ratio_ci95_high", vsOne + 0.01);
            m.put("vs_1_thread", "slower");
            m.put("paired_runs", 7);
        }
        return m;
    }

    private static double num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).doubleValue();
    }

    @Test
    void combinedRowTakesMediansAcrossForksAndTheirRange() {
        List<Map<String, Object>> ones = List.of(
                row("x", 1, 10, 4, 9, 3, null), row("x", 1, 30, 5, 20, 4, null), row("x", 1, 12, 6, 10, 2, null));
        Map<String, Object> c = PerfForks.combineRow(ones);
        assertEquals(12, num(c, "median_ms"), EPS);
        assertEquals(5, num(c, "floor_ms"), EPS);
        assertEquals(10, num(c, "cpu_ms"), EPS);
        assertEquals(3, num(c, "floor_cpu_ms"), EPS);
        // ratios: the median of the per-fork ratios (not floor median / time median), with the forks' range
        assertEquals(0.4, num(c, "ratio_to_floor"), EPS); // of 0.4, 0.1667, 0.5
        assertEquals(1 / 6.0, num(c, "ratio_to_floor_fork_min"), EPS);
        assertEquals(0.5, num(c, "ratio_to_floor_fork_max"), EPS);
        assertEquals(0.2, num(c, "ratio_to_floor_cpu"), EPS); // of 0.3333, 0.2, 0.2
        assertEquals(0.2, num(c, "ratio_to_floor_cpu_fork_min"), EPS);
        assertEquals(1 / 3.0, num(c, "ratio_to_floor_cpu_fork_max"), EPS);
        // best run of any fork, runs summed, forks counted
        assertEquals(9, num(c, "min_ms"), EPS);
        assertEquals(3.2, num(c, "floor_min_ms"), EPS);
        assertEquals(3.2 / 9, num(c, "ratio_to_floor_min"), 1e-3);
        assertEquals(21, num(c, "runs"), EPS);
        assertEquals(3, num(c, "forks"), EPS);
        assertEquals(1000 / 0.012, num(c, "tokens_per_second"), 1e-3 * 1000 / 0.012);
        assertEquals(0.5 / 12, num(c, "ratio_to_copy"), 1e-4);
        assertFalse(c.containsKey("vs_1_thread"));
        for (String k : PerfAllTest.KEYS) assertTrue(c.containsKey(k), k);

        List<Map<String, Object>> twos =
                List.of(row("x", 2, 10, 4, 0, 0, 1.10), row("x", 2, 30, 5, 0, 0, 1.12), row("x", 2, 12, 6, 0, 0, 1.08));
        Map<String, Object> t = PerfForks.combineRow(twos);
        assertEquals("slower", t.get("vs_1_thread"));
        assertEquals(1.1, num(t, "time_ratio_to_1_thread"), 1e-3);
        assertEquals(1.051, num(t, "time_ratio_ci95_low"), 1e-3);
        assertEquals(1.151, num(t, "time_ratio_ci95_high"), 1e-3);
        assertEquals(21, num(t, "paired_runs"), EPS);
        assertEquals(List.of("slower", "slower", "slower"), t.get("vs_1_thread_per_fork"));
        assertFalse(t.containsKey("cpu_ms"));
        // a within-JVM 'slower' of each fork is not the verdict: spread forks give 'same'
        List<Map<String, Object>> spread =
                List.of(row("x", 2, 10, 4, 0, 0, 1.30), row("x", 2, 30, 5, 0, 0, 1.02), row("x", 2, 12, 6, 0, 0, 1.10));
        assertEquals("same", PerfForks.combineRow(spread).get("vs_1_thread"));
    }

    @Test
    void markdownOfAForkedFileShowsTheForksRangeAndTheRule() {
        List<Map<String, Object>> rows = PerfForks.combine(List.of(
                List.of(row("x", 1, 10, 4, 9, 3, null), row("x", 2, 10, 4, 0, 0, 1.10)),
                List.of(row("x", 1, 30, 5, 20, 4, null), row("x", 2, 30, 5, 0, 0, 1.12)),
                List.of(row("x", 1, 12, 6, 10, 2, null), row("x", 2, 12, 6, 0, 0, 1.08))));
        String md = PerfModes.markdown(rows, null);
        assertTrue(md.contains("| `x` | 12.0 (5.00, ×0.40) cpu ×0.20 (0.20–0.33) |"), md);
        assertTrue(md.contains("single 12.0 (×0.40) 2/1: 1.10 [1.05, 1.15] **slower** |"), md);
        assertTrue(md.contains("median over 3 JVMs"), md);
        assertTrue(md.contains("95 % Student-t interval across them"), md);
        assertFalse(md.contains("bootstrap"), md);
    }

    @Test
    void combineKeepsTheFirstForksOrderAndRejectsForksThatTimedOtherRows() {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("estimator", "z");
        err.put("shape", "single");
        err.put("tokens", 1000);
        err.put("threads", 1);
        err.put("error", "needs a value head");
        List<Map<String, Object>> f1 = List.of(row("b", 1, 10, 4, 9, 3, null), row("a", 1, 20, 4, 9, 3, null), err);
        List<Map<String, Object>> f2 = List.of(err, row("a", 1, 22, 4, 9, 3, null), row("b", 1, 11, 4, 9, 3, null));
        List<Map<String, Object>> c = PerfForks.combine(List.of(f1, f2));
        assertEquals(
                List.of("b", "a", "z"), c.stream().map(m -> m.get("estimator")).toList());
        assertEquals(10.5, num(c.get(0), "median_ms"), EPS);
        assertEquals(21, num(c.get(1), "median_ms"), EPS);
        assertEquals("needs a value head", c.get(2).get("error"));
        assertEquals(2, num(c.get(2), "forks"), EPS);

        List<Map<String, Object>> missing = List.of(row("a", 1, 22, 4, 9, 3, null));
        assertThrows(IllegalArgumentException.class, () -> PerfForks.combine(List.of(f1, missing)));
    }

    @Test
    void everyForkAfterTheFirstTimesTheEstimatorsInItsOwnOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 16; i++) ids.add("e" + i);
        assertEquals(ids, PerfForks.order(ids, 0, 42));
        List<String> o1 = PerfForks.order(ids, 1, 42);
        List<String> o2 = PerfForks.order(ids, 2, 42);
        assertEquals(new HashSet<>(ids), new HashSet<>(o1));
        assertEquals(new HashSet<>(ids), new HashSet<>(o2));
        assertNotEquals(ids, o1);
        assertNotEquals(o1, o2);
        assertEquals(o1, PerfForks.order(ids, 1, 42)); // deterministic from the seed
        assertNotEquals(o1, PerfForks.order(ids, 1, 43));
    }

    @Test
    void errorLineNamesTheEstimatorAndTheInformativeTail() {
        assertEquals("estimator b, shape single (2/4)", PerfForks.where(List.of("a", "b"), List.of("single", "x"), 1));
        assertEquals("estimator a, shape x (3/4)", PerfForks.where(List.of("a", "b"), List.of("single", "x"), 2));
        ArrayDeque<String> tail = new ArrayDeque<>(List.of(
                "perf: something",
                "Exception in thread \"main\" java.lang.IllegalStateException: boom",
                "\tat a.b.C.d(C.java:1)",
                "\t... 3 more"));
        assertEquals(
                "perf: something | Exception in thread \"main\" java.lang.IllegalStateException: boom",
                PerfForks.tail(tail));
    }

    /** A child that reports one finished estimator, then fails on the next. */
    public static final class FailingChild {
        public static void main(String[] args) {
            System.err.println("perf: [1/2] a  single  ...");
            System.err.println("apportion: internal error: boom in the second estimator");
            System.exit(3);
        }
    }

    /** A child that exits 0 but prints something that is not a perf line. */
    public static final class GarbageChild {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }

    private static List<String> child(Class<?> main) {
        return List.of(PerfForks.javaCommand().get(0), "-cp", System.getProperty("java.class.path"), main.getName());
    }

    @Test
    void aFailingChildGivesOneLineNamingTheForkAndTheEstimator() {
        StringWriter progress = new StringWriter();
        PerfForks.ForkFailed e = assertThrows(
                PerfForks.ForkFailed.class,
                () -> PerfForks.run(
                        child(FailingChild.class),
                        2,
                        List.of("a", "b"),
                        List.of("single"),
                        List.of(1),
                        42,
                        List.of(),
                        new PrintWriter(progress, true)));
        assertEquals(
                "fork 1/2 failed (exit 3) on estimator b, shape single (2/2): "
                        + "apportion: internal error: boom in the second estimator",
                e.getMessage());
        assertTrue(progress.toString().contains("perf: fork 1/2: estimator 1/2 a  single"), progress.toString());

        PerfForks.ForkFailed g = assertThrows(
                PerfForks.ForkFailed.class,
                () -> PerfForks.run(
                        child(GarbageChild.class),
                        2,
                        List.of("a"),
                        List.of("single"),
                        List.of(1),
                        42,
                        List.of(),
                        new PrintWriter(new StringWriter(), true)));
        assertTrue(g.getMessage().startsWith("fork 1/2 printed a line that is not JSON: hello"), g.getMessage());
    }

    @Test
    void twoForksOfOneLightEstimatorCombineIntoOneLinePerThreadCount() throws IOException {
        Cli.Result r = Cli.run(
                EstimatorRegistry.global(),
                "perf",
                "--all",
                "--forks",
                "2",
                "--estimators",
                "grpo",
                "--shape",
                "single",
                "--tokens",
                "20000",
                "--threads",
                "1,2",
                "--runs",
                "3",
                "--warmup",
                "0",
                "--warmup-seconds",
                "0",
                "--budget",
                "0.01",
                "--json");
        assertEquals(0, r.code(), r::toString);
        String[] lines = r.out().strip().split("\\R");
        assertEquals(2, lines.length, r::toString);
        for (String l : lines) {
            JsonNode j = new ObjectMapper().readTree(l);
            assertEquals("grpo", j.get("estimator").asText());
            assertEquals(2, j.get("forks").asInt(), l);
            for (String k : PerfAllTest.KEYS) assertTrue(j.has(k), () -> "missing " + k + ": " + l);
            assertTrue(
                    j.get("ratio_to_floor_fork_min").asDouble()
                            <= j.get("ratio_to_floor_fork_max").asDouble(),
                    l);
            if (j.get("threads").asInt() == 1) {
                assertTrue(j.has("ratio_to_floor_cpu_fork_max"), l);
            } else {
                assertEquals(2, j.get("time_ratio_per_fork").size(), l);
                assertTrue(j.has("vs_1_thread") && j.has("time_ratio_ci95_low"), l);
            }
        }
        assertTrue(r.err().contains("perf: fork 1/2: estimator 1/1 grpo"), r.err());
        assertTrue(r.err().contains("perf: fork 2/2: estimator 1/1 grpo"), r.err());

        // picocli formats option descriptions with String.format: a bare '%' makes it print the raw text and warn on
        // System.err
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        Cli.Result help;
        try {
            System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
            help = Cli.run("perf", "--help");
        } finally {
            System.setErr(stderr);
        }
        assertEquals(0, help.code(), help::toString);
        assertTrue(help.out().contains("--forks=N"), help.out());
        String warned = warnings.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(warned.contains("Could not format"), warned);
        Cli.Result bad = Cli.run(EstimatorRegistry.global(), "perf", "--estimator", "grpo", "--forks", "2");
        assertEquals(2, bad.code(), bad::toString);
        assertTrue(bad.err().contains("--forks needs --all"), bad.err());
    }
}
