package dev.apportion.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.EstimatorRef;
import dev.apportion.bench.run.Progress;
import dev.apportion.bench.run.Runner;
import dev.apportion.bench.run.Suite;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** results.json as typed records: the fields land where they belong, malformed files name the field, round trips keep the bytes. */
class ResultsJsonTest {
    private static final String MINI = "/dev/apportion/bench/results-mini.json";

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = ResultsJsonTest.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }

    private static Results mini() throws IOException {
        return ResultsJson.parse(resource(MINI), "results-mini.json");
    }

    @Test
    void readsEveryPartOfASmallResultsFileIntoItsRecord() throws Exception {
        Results r = mini();
        assertEquals(1, r.formatVersion());
        assertEquals("mini", r.provenance().suite().name());
        assertEquals(3L, r.provenance().rootSeed());
        assertNull(r.provenance().gitCommit());
        assertEquals("mini", r.provenance().request().path("suite").asText());
        assertArrayEquals(
                new double[] {0.5, 1.0, 2.0}, r.provenance().suite().learning().learningRateGrid());
        assertEquals(24, r.provenance().suite().learning().episodesBudget());

        Results.EstimatorEntry grpo = r.estimators().get(1);
        assertEquals("grpo_half", grpo.label());
        assertEquals("grpo", grpo.registryId());
        assertEquals("dr", grpo.preset());
        assertEquals(0.5, grpo.params().path("epsilon").asDouble());
        assertEquals("mean", grpo.resolvedParams().path("mode").asText());
        assertEquals(List.of("outcome"), grpo.requires());

        Results.Task task = r.tasks().get(0);
        assertTrue(task.inSuite() && task.leaderboard());
        assertArrayEquals(new long[] {11, 12}, task.seeds());
        assertEquals(4, task.metadata().path("horizon").path("max_turns").asInt());
        Results.Stat s = task.creditQuality().get("grpo_half").metrics().get("spearman");
        assertEquals(0.25, s.mean());
        assertEquals(1, s.n());
        assertTrue(Double.isNaN(s.sd()), "null reads as NaN");
        assertTrue(Double.isNaN(s.lo()) && Double.isNaN(s.hi()));
        assertTrue(Double.isNaN(s.perSeed()[1]));
        assertFalse(task.creditQuality().get("random").ok());
        assertEquals("not in this fixture", task.creditQuality().get("random").reason());

        Results.LearningResult l = task.learning().get("grpo_half");
        assertEquals(0.5, l.learningRate());
        assertEquals(8, l.episodesPerUpdate());
        assertEquals(0.7, l.tuningLearnAucByRate().get("0.5"));
        assertTrue(l.tuningLearnAucByRate().get("1.0").isNaN());
        assertArrayEquals(new int[] {0, 8}, l.curve().episodes());
        assertTrue(Double.isNaN(l.curve().ciLow()[1]));
        Results.LearningResult skipped = task.learning().get("oracle");
        assertNull(skipped.optimalSuccess(), "absent for a skipped estimator");
        assertNull(skipped.curve());

        Results.Example ex = task.examples().get(0);
        assertEquals(1.0, ex.episodeReturn(), "JSON 'return' is episodeReturn");
        assertEquals(List.of("decisive", "irrelevant"), ex.labels());
        assertTrue(Double.isNaN(ex.credit().get("grpo_half")[1]));

        Results.LeaderRow row = r.leaderboard().get(1);
        assertEquals("outcome", row.tier());
        assertEquals(
                List.of("spearman_pooled", "spearman_within_decision"),
                List.copyOf(row.metrics().keySet()));
        assertEquals(0.25, row.mean("spearman_pooled"));
        assertTrue(Double.isNaN(row.metrics().get("spearman_pooled").lo()));
        assertTrue(Double.isNaN(row.mean("spearman_within_decision")));
        assertTrue(Double.isNaN(row.mean("learn_auc")), "a metric the row lacks");

        Results.ClaimEntry c = r.claims().get(0);
        assertNull(c.source());
        assertEquals("[2,4]", c.task().sweep().path("horizon").toString());
        assertEquals(0.002, c.rows().get(0).pHolm());
        assertEquals(0.25, c.rows().get(0).means().get("grpo_half"));
        assertEquals("no such estimator", r.claims().get(1).reason());
        assertEquals("credit", r.skipped().get(0).phase());
        assertTrue(Double.isNaN(r.timing().assignTimePerBatch().get("grpo_half").msPerBatch()));
        assertEquals(0L, r.timing().assignTimePerBatch().get("grpo_half").batches());
    }

    /** A file of an older version: the signals' tier, the later checklist items and the machine are missing. */
    @Test
    void anOlderFileWithMissingFieldsLoadsAndRenders() throws Exception {
        Results r = mini();
        assertNull(r.signals().get(0).tier());
        assertNull(r.report().seeds());
        assertNull(r.timing().machine());
        assertNull(r.estimators().get(0).spanRewardCarries());
        String page = HtmlReport.render(r);
        assertTrue(page.contains("<code>oracle_beats_grpo</code>"));
        assertTrue(page.contains("<th>credit unit</th>"), "the checklist keeps the items the file has");
        assertFalse(page.contains("<th>base models</th>"), "and shows no row for the items it lacks");
        String readme = ReadmeResults.section(r, Path.of("docs"), Path.of(""));
        assertTrue(readme.contains("not recorded by this results file (older format)"), readme);
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        String json = new String(resource(MINI), StandardCharsets.UTF_8)
                .replace("\"format_version\" : 1,", "\"format_version\" : 1,\n  \"from_the_future\" : {\"x\" : 1},");
        Results r = ResultsJson.parse(json.getBytes(StandardCharsets.UTF_8), "future.json");
        assertEquals("mini", r.provenance().suite().name());
    }

    @Test
    void aMalformedFileNamesTheFileAndTheField(@TempDir Path dir) throws Exception {
        String good = new String(resource(MINI), StandardCharsets.UTF_8);
        assertError(dir, good.replace("\"in_suite\" : true", "\"in_suite\" : \"yes\""), "field 'tasks[0].in_suite'");
        assertError(
                dir,
                good.replace("\"true_advantage\" : [ 0.5, 0.0 ]", "\"true_advantage\" : [ 0.5, \"high\" ]"),
                "field 'tasks[0].examples[0].true_advantage'");
        assertError(
                dir,
                good.replace("\"spearman_pooled\" : 0.25", "\"spearman_pooled\" : \"0.25\""),
                "field 'leaderboard[1]");
        assertError(
                dir, good.replace("\"p_holm\" : 0.002", "\"p_holm\" : [ 0.002 ]"), "field 'claims[0].rows[0].p_holm'");
        assertError(dir, good.replace("apportion-bench-results", "something-else"), "field 'format'");
        assertError(dir, good.substring(0, 200), "not JSON");
        assertError(dir, "[1, 2]", "not a results.json object");
    }

    private static void assertError(Path dir, String text, String expected) throws IOException {
        Path f = dir.resolve("bad-results.json");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> ResultsJson.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    /** What the runner writes reads back into the same records and writes the same bytes. */
    @Test
    void aRunsResultsSurviveARoundTripByteForByte() throws Exception {
        ObjectMapper om = new ObjectMapper();
        Suite suite;
        List<Claim> claims;
        try (InputStream in = getClass().getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            suite = Suite.parse(om.readTree(in), "tiny-suite.json");
        }
        try (InputStream in = getClass().getResourceAsStream("/dev/apportion/bench/tiny-claims.json")) {
            claims = Claim.parse(om.readTree(in), "tiny-claims.json");
        }
        BenchResult run = Runner.run(new Runner.Options(
                suite.withSeeds(2),
                List.of("bif"),
                List.of(EstimatorRef.parse("oracle"), EstimatorRef.parse("random"), EstimatorRef.parse("grpo")),
                claims.subList(0, 1),
                5,
                1,
                Progress.NONE,
                EstimatorRegistry.global()));
        String written = ResultsJson.render(run, Map.of("suite", "tiny"), Path.of(""));
        Results back = ResultsJson.parse(written.getBytes(StandardCharsets.UTF_8), "run");
        assertEquals(written, ResultsJson.write(back));
        assertEquals(om.readTree(written), om.readTree(ResultsJson.write(back)));
        assertFalse(back.leaderboard().isEmpty());
        assertEquals("oracle", back.leaderboard().get(0).estimator());
    }

    /** The published results (written by a run of this format) give the same bytes after parse and write. */
    @Test
    void publishedResultsJsonSurvivesARoundTripByteForByte() throws Exception {
        Path published = Path.of("..", "docs", "results", "results.json");
        Assumptions.assumeTrue(Files.exists(published), "docs/results/results.json not found");
        byte[] bytes = Files.readAllBytes(published);
        String again = ResultsJson.write(ResultsJson.parse(bytes, published.toString()));
        assertTrue(
                new String(bytes, StandardCharsets.UTF_8).equals(again),
                "docs/results/results.json changes when read and written again");
    }
}
