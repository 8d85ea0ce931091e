package dev.apportion.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.Progress;
import dev.apportion.bench.run.Runner;
import dev.apportion.bench.run.Suite;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's results section is generated from results.json, and the published README matches it. */
class ReadmeResultsTest {
    @Test
    void publishedReadmeMatchesTheGeneratorOnDocsResults() throws Exception {
        Path results = Path.of("..", "docs", "results", "results.json");
        Path readme = Path.of("..", "README.md");
        Assumptions.assumeTrue(Files.exists(results) && Files.exists(readme), "docs/results/results.json not found");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String current = ReadmeResults.current(text);
        assertNotNull(current, "README.md has no " + ReadmeResults.BEGIN + " ... " + ReadmeResults.END + " section");
        assertEquals(
                ReadmeResults.section(results, readme.toAbsolutePath().getParent()),
                current,
                "README.md's results section is stale: run `apportion bench --readme-from docs/results/results.json`");
    }

    @Test
    void writesTheSectionBetweenTheMarkersFromARun(@TempDir Path dir) throws Exception {
        ObjectMapper om = new ObjectMapper();
        Suite suite;
        List<Claim> claims;
        try (InputStream in = getClass().getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            suite = Suite.parse(om.readTree(in), "tiny-suite.json");
        }
        try (InputStream in = getClass().getResourceAsStream("/dev/apportion/bench/tiny-claims.json")) {
            claims = Claim.parse(om.readTree(in), "tiny-claims.json");
        }
        BenchResult r = Runner.run(new Runner.Options(
                suite.withSeeds(2),
                List.of("bif"),
                List.of(
                        dev.apportion.bench.run.EstimatorRef.parse("oracle"),
                        dev.apportion.bench.run.EstimatorRef.parse("random"),
                        dev.apportion.bench.run.EstimatorRef.parse("grpo")),
                claims.subList(0, 1),
                3,
                1,
                Progress.NONE,
                EstimatorRegistry.global()));
        Path out = dir.resolve("docs").resolve("results");
        BenchOutputs.write(r, Map.of("suite", "tiny"), out);
        Path readme = dir.resolve("README.md");
        Files.writeString(
                readme,
                "# x\n\nbefore\n\n" + ReadmeResults.BEGIN + "\nold\n" + ReadmeResults.END + "\n\nafter\n",
                StandardCharsets.UTF_8);
        assertTrue(ReadmeResults.update(out.resolve("results.json"), readme));
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("# x\n\nbefore\n\n" + ReadmeResults.BEGIN + "\n"), text);
        assertTrue(text.endsWith(ReadmeResults.END + "\n\nafter\n"), text);
        assertFalse(text.contains("\nold\n"), text);
        assertTrue(text.contains("![Leaderboard"), text);
        assertTrue(text.contains("(docs/results/leaderboard.svg)"), "figure linked relative to the README: " + text);
        assertTrue(text.contains("| 1 | `oracle` | privileged | 1/1 | 1.000 [1.00, 1.00]"), text);
        assertTrue(text.contains("`oracle_beats_random`"), text);
        assertTrue(text.contains("processors"), "machine stated: " + text);
        assertFalse(ReadmeResults.update(out.resolve("results.json"), readme), "second update changes nothing");

        Path bare = dir.resolve("BARE.md");
        Files.writeString(bare, "# no markers\n", StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ReadmeResults.update(out.resolve("results.json"), bare));
        assertTrue(e.getMessage().contains("BARE.md") && e.getMessage().contains(ReadmeResults.BEGIN), e.getMessage());
    }
}
