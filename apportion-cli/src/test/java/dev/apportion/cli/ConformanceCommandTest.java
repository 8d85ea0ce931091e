package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConformanceCommandTest {
    @TempDir
    Path dir;

    private Path tiny() throws IOException {
        Path p = dir.resolve("tiny.jsonl");
        try (InputStream in = getClass().getResourceAsStream("/golden/tiny.jsonl")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void reportsFailuresSkippedFamiliesAndCounts() throws IOException {
        Path file = tiny();
        Cli.Result r = Cli.run("conformance", file.toString());
        assertEquals(ExitCodes.CHECK_FAILED, r.code(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals("2 passed, 1 failed, 3 skipped", lines.get(lines.size() - 1), r::toString);
        List<String> fails = lines.stream().filter(l -> l.startsWith("FAIL ")).toList();
        assertEquals(1, fails.size(), r::toString);
        assertTrue(fails.get(0).startsWith("FAIL tiny/wrong (" + file + ":3): "), r::toString);
        assertTrue(fails.get(0).contains("0.75") && fails.get(0).contains("0.5"), "names the worst mismatch: " + r);
        List<String> skips = lines.stream().filter(l -> l.startsWith("SKIP ")).toList();
        assertEquals(
                List.of(
                        "SKIP not_here: 2 cases (estimator 'not_here' is not registered)",
                        "SKIP test_mean: 1 case (estimator 'test_mean' has no preset 'verl' (presets: double))"),
                skips,
                r::toString);
        assertEquals(fails.size() + skips.size() + 1, lines.size(), r::toString);
    }

    @Test
    void allPassingExitsZeroWithoutSkippedCount() throws IOException {
        List<String> keep = Files.readAllLines(tiny()).subList(0, 2);
        Path file = Files.write(dir.resolve("ok.jsonl"), keep);
        Path again = Files.write(dir.resolve("ok2.jsonl"), keep.subList(0, 1));
        Cli.Result r = Cli.run("conformance", file.toString(), again.toString());
        assertEquals(0, r.code(), r::toString);
        assertEquals("3 passed, 0 failed\n", r.out().replace("\r\n", "\n"));
    }

    @Test
    void badGoldenFileExits2WithOneLine() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), "{\"case\": \"x\",\n");
        Cli.Result r = Cli.run("conformance", file.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().contains(file + ":1"), r::toString);

        r = Cli.run("conformance");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r::toString);
        assertTrue(r.err().contains("FILE"), r::toString);
    }
}
