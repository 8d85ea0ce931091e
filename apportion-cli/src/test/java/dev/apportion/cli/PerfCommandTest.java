package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerfCommandTest {
    private static final List<String> KEYS = List.of(
            "estimator",
            "tokens",
            "trajectories",
            "threads",
            "seconds",
            "tokens_per_second",
            "copy_tokens_per_second",
            "ratio_to_copy");

    @Test
    void jsonHasTheDocumentedKeys() throws IOException {
        Cli.Result r = Cli.run(
                "perf",
                "--estimator",
                "tm",
                "--preset",
                "double",
                "--trajectories",
                "8",
                "--tokens-per-trajectory",
                "50",
                "--runs",
                "3",
                "--warmup",
                "1",
                "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String k : KEYS) assertTrue(j.has(k), () -> "missing key " + k + ": " + r.out());
        assertEquals("test_mean", j.get("estimator").asText());
        assertEquals("double", j.get("preset").asText());
        assertEquals(400, j.get("tokens").asInt());
        assertEquals(8, j.get("trajectories").asInt());
        assertEquals(1, j.get("groups").asInt());
        assertEquals(1, j.get("threads").asInt());
        assertTrue(j.get("seconds").asDouble() > 0);
        double ratio = j.get("tokens_per_second").asDouble()
                / j.get("copy_tokens_per_second").asDouble();
        assertEquals(ratio, j.get("ratio_to_copy").asDouble(), 1e-9 * ratio);
        assertFalse(j.has("step_rows"), "trajectory-level estimators have no step rows");
        assertEquals(3, j.get("seconds_runs").size());
        assertTrue(j.get("seconds_min").asDouble() <= j.get("seconds").asDouble());
        assertTrue(r.err().contains("100% (8/8 trajectories)"), "progress on stderr: " + r.err());
        assertTrue(r.err().contains("run 3/3"), r.err());
    }

    @Test
    void stepLevelEstimatorsReportStepRows() throws IOException {
        Cli.Result r = Cli.run(
                "perf",
                "--estimator",
                "test_steps",
                "--trajectories",
                "16",
                "--tokens-per-trajectory",
                "60",
                "--steps-per-trajectory",
                "3",
                "--threads",
                "2",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--json");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(48, j.get("step_rows").asInt());
        assertEquals(2, j.get("threads").asInt());
        assertEquals(2, j.get("groups").asInt());
        assertEquals(
                j.get("step_rows").asDouble() / j.get("seconds").asDouble(),
                j.get("step_rows_per_second").asDouble(),
                1e-6);
        assertTrue(r.err().contains("span:state") && r.err().contains("token:old_logprob"), r.err());
    }

    @Test
    void textOutputNamesThroughputAndRatio() {
        Cli.Result r = Cli.run(
                "perf",
                "--estimator",
                "test_value",
                "--trajectories",
                "8",
                "--tokens-per-trajectory",
                "50",
                "--runs",
                "1",
                "--warmup",
                "0");
        assertEquals(0, r.code(), r::toString);
        assertTrue(
                r.out().contains("tokens/s")
                        && r.out().contains("of copy speed")
                        && r.out().contains("400 tokens"),
                r::toString);
    }

    @Test
    void badValuesExit2() {
        String[][] bad = {
            {"perf", "--estimator", "tm", "--trajectories", "0"},
            {"perf", "--estimator", "tm", "--runs", "0"},
            {"perf", "--estimator", "tm", "--threads", "-1"},
            {"perf", "--estimator", "tm", "--trajectories", "100000", "--tokens-per-trajectory", "100000"},
            {"perf", "--estimator", "tm", "--tokens-per-trajectory", "5", "--steps-per-trajectory", "3"},
            {"perf", "--estimator", "tm", "--param", "nope=1"},
            {"perf", "--estimator", "tm", "--trajectories", "many"},
        };
        for (String[] args : bad) {
            Cli.Result r = Cli.run(args);
            assertEquals(ExitCodes.BAD_INPUT, r.code(), () -> String.join(" ", args) + ": " + r);
            assertEquals(1, r.errLines().length, () -> String.join(" ", args) + ": " + r);
        }
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, PerfCommand.median(new double[] {3, 1, 2}));
        assertEquals(2.5, PerfCommand.median(new double[] {4, 1, 3, 2}));
    }
}
