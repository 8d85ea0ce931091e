package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AssignCommandTest {
    /** Two groups; group g1: outcomes 1 and 0 (mean 0.5); group g2: a single trajectory. */
    static final String ROLLOUTS = ""
            + "{\"group\": \"g1\", \"id\": \"a\", \"outcome\": 1, \"spans\": [{\"role\": \"context\", \"tokens\": 2},"
            + " {\"role\": \"policy\", \"tokens\": 3}], \"token_signals\": {\"value\": [9, 9, 0.5, 0.25, 0.125]}}\n"
            + "{\"group\": \"g1\", \"id\": \"b\", \"outcome\": 0, \"spans\": [{\"role\": \"context\", \"tokens\": 2},"
            + " {\"role\": \"policy\", \"tokens\": 1}], \"token_signals\": {\"value\": [9, 9, -1]}}\n"
            + "{\"group\": \"g2\", \"id\": \"c\", \"outcome\": 3, \"tokens\": 2, \"token_signals\": {\"value\": [1, 2]}}\n";

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static List<JsonNode> readLines(Path p) throws IOException {
        return dev.apportion.io.CreditJsonl.readLines(p);
    }

    private static float[] advantages(JsonNode line) {
        JsonNode a = line.get("advantages");
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    @Test
    void assignsAndWritesCreditJsonl() throws IOException {
        Path in = write("in.jsonl", ROLLOUTS);
        Path out = dir.resolve("credit.jsonl");
        Cli.Result r = Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertEquals("", r.out());
        assertTrue(r.err().contains("3 trajectories") && r.err().contains("10 tokens"), r::toString);
        List<JsonNode> lines = readLines(out);
        assertEquals(3, lines.size());
        assertEquals("a", lines.get(0).get("id").asText());
        assertArrayEquals(new float[] {0, 0, 0.5f, 0.5f, 0.5f}, advantages(lines.get(0)));
        assertArrayEquals(new float[] {0, 0, -0.5f}, advantages(lines.get(1)));
        assertArrayEquals(new float[] {0, 0}, advantages(lines.get(2)));
    }

    @Test
    void presetAliasAndParamsApply() throws IOException {
        Path in = write("in.jsonl", ROLLOUTS);
        Path out = dir.resolve("credit.jsonl");
        Cli.Result r =
                Cli.run("assign", "--estimator", "tm", "--preset", "double", in.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertArrayEquals(new float[] {0, 0, 1, 1, 1}, advantages(readLines(out).get(0)));
        r = Cli.run(
                "assign",
                "--estimator",
                "test_mean",
                "--preset",
                "double",
                "--param",
                "scale=3",
                "--param",
                "center=false",
                "--threads",
                "2",
                in.toString(),
                "-o",
                out.toString());
        assertEquals(0, r.code(), r::toString);
        assertArrayEquals(new float[] {0, 0, 3, 3, 3}, advantages(readLines(out).get(0)));
        assertArrayEquals(new float[] {9, 9}, advantages(readLines(out).get(2)));
    }

    @Test
    void badJsonNamesFileAndLine() throws IOException {
        String[] lines = ROLLOUTS.split("\n");
        Path in = write(
                "bad.jsonl", lines[0] + "\n{\"group\": \"g1\", \"id\": \"b\", \"outcome\": 0,, }\n" + lines[2] + "\n");
        Path out = dir.resolve("credit.jsonl");
        Cli.Result r = Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().startsWith("error: " + in + ":2:"), r::toString);
        assertFalse(Files.exists(out), "no output after a failed assign");
    }

    @Test
    void badFieldValueNamesFileLineFieldAndValue() throws IOException {
        Path in = write("bad.jsonl", ROLLOUTS.replace("\"outcome\": 3", "\"outcome\": \"three\""));
        Cli.Result r = Cli.run(
                "assign",
                "--estimator",
                "test_mean",
                in.toString(),
                "-o",
                dir.resolve("o.jsonl").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(
                r.err().contains(in + ":3")
                        && r.err().contains("outcome")
                        && r.err().contains("three"),
                r::toString);
    }

    @Test
    void unknownEstimatorPresetOrParamExits2BeforeReading() throws IOException {
        Path out = dir.resolve("credit.jsonl");
        String missing = dir.resolve("does-not-exist.jsonl").toString();
        String[][] cases = {
            {"--estimator", "test_meen"},
            {"--estimator", "test_mean", "--preset", "verl"},
            {"--estimator", "test_mean", "--param", "gamma=0.9"},
            {"--estimator", "test_mean", "--param", "scale=-1"},
            {"--estimator", "test_mean", "--param", "scale"},
            {"--estimator", "test_mean", "--threads", "0"},
        };
        String[] expect = {
            "did you mean 'test_mean'",
            "no preset 'verl'",
            "no parameter 'gamma'",
            "must be >= 0",
            "KEY=VALUE",
            "--threads must be >= 1"
        };
        for (int k = 0; k < cases.length; k++) {
            List<String> args = new ArrayList<>(List.of("assign"));
            args.addAll(List.of(cases[k]));
            args.addAll(List.of(missing, "-o", out.toString()));
            Cli.Result r = Cli.run(args.toArray(new String[0]));
            assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
            assertEquals(1, r.errLines().length, r::toString);
            assertTrue(r.err().contains(expect[k]), () -> "expected '" + String.join(" ", args) + "' to say: " + r);
            assertFalse(
                    r.err().contains("does-not-exist"),
                    "estimator problems are reported before the input is read: " + r);
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void missingSignalExits2NamingFileEstimatorAndSignal() throws IOException {
        Path in = write("in.jsonl", ROLLOUTS.replaceAll(", \"token_signals\": \\{\"value\": \\[[^]]*]}", ""));
        Path out = dir.resolve("credit.jsonl");
        Cli.Result r = Cli.run("assign", "--estimator", "test_value", in.toString(), "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertTrue(
                r.err().contains("error: " + in + ": ")
                        && r.err().contains("test_value")
                        && r.err().contains("'value'"),
                r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
        assertFalse(Files.exists(out), "a failed assign leaves no output file");
    }

    @Test
    void failedAssignKeepsAnExistingOutputUntouched() throws IOException {
        Path in = write("in.jsonl", ROLLOUTS.replaceAll(", \"token_signals\": \\{\"value\": \\[[^]]*]}", ""));
        Path out = write("credit.jsonl", "old\n");
        Cli.Result r = Cli.run("assign", "--estimator", "test_value", in.toString(), "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals("old\n", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void missingInputOrOutputDirectoryExits2() throws IOException {
        Path in = write("in.jsonl", ROLLOUTS);
        Path out = dir.resolve("no/such/dir/credit.jsonl");
        Cli.Result r = Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", out.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().contains("does not exist") && r.err().contains("no/such/dir"), r::toString);

        Path missing = dir.resolve("missing.jsonl");
        r = Cli.run(
                "assign",
                "--estimator",
                "test_mean",
                missing.toString(),
                "-o",
                dir.resolve("c.jsonl").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals("error: no such file or directory: " + missing, r.err().strip());

        r = Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", dir.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertTrue(r.err().contains("is a directory"), r::toString);

        r = Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", in.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertTrue(r.err().contains("refusing to overwrite the input"), r::toString);
        assertEquals(ROLLOUTS, Files.readString(in));
    }
}
