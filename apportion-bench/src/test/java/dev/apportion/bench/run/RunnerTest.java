package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.bench.report.BenchOutputs;
import dev.apportion.bench.report.Checklist;
import dev.apportion.bench.report.ResultsCsv;
import dev.apportion.bench.report.ResultsJson;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on a tiny suite: outputs, determinism, skipping, claims, the reporting checklist. */
class RunnerTest {
    private static Suite suite;
    private static List<Claim> claims;
    private static BenchResult twoThreads;

    @BeforeAll
    static void run() throws Exception {
        ObjectMapper om = new ObjectMapper();
        try (InputStream in = RunnerTest.class.getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            suite = Suite.parse(om.readTree(in), "tiny-suite.json");
        }
        try (InputStream in = RunnerTest.class.getResourceAsStream("/dev/apportion/bench/tiny-claims.json")) {
            claims = Claim.parse(om.readTree(in), "tiny-claims.json");
        }
        twoThreads = Runner.run(options(2, 7));
    }

    private static Runner.Options options(int threads, long seed) {
        return new Runner.Options(suite, null, null, claims, seed, threads, Progress.NONE, EstimatorRegistry.global());
    }

    private static String withoutTiming(String json) throws Exception {
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(json);
        n.remove("timing");
        return n.toString();
    }

    @Test
    void writesTheThreeFiles(@TempDir Path dir) throws Exception {
        List<Path> files = BenchOutputs.write(twoThreads, Map.of("suite", "tiny"), dir.resolve("out"));
        assertEquals(
                List.of("results.json", "results.csv", "report.html", "leaderboard.svg"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) assertTrue(Files.size(f) > 500, f + " is too small");
        JsonNode root = new ObjectMapper().readTree(files.get(0).toFile());
        assertEquals(ResultsJson.FORMAT, root.get("format").asText());
        assertTrue(root.get("timing").get("total_seconds").isNumber());
        String csv = Files.readString(files.get(1), StandardCharsets.UTF_8);
        assertTrue(csv.startsWith(ResultsCsv.HEADER + "\n"));
        assertTrue(csv.contains("\nbif,bifurcation,oracle,credit,spearman,1.0,"), "oracle's rank correlation row");
        String html = Files.readString(files.get(2), StandardCharsets.UTF_8);
        assertTrue(html.contains("Chart.js 4."), "Chart.js is inlined");
        assertTrue(html.contains("id=\"bench-data\""));
        assertFalse(html.contains("<script src="), "no external scripts");
        try (var s = Files.list(dir.resolve("out"))) {
            assertEquals(4, s.count(), "no temporary files left behind");
        }
    }

    @Test
    void sameSeedGivesIdenticalResultsApartFromTiming() throws Exception {
        BenchResult oneThread = Runner.run(options(1, 7));
        Path here = Path.of("");
        String a = ResultsJson.render(twoThreads, Map.of(), here);
        String b = ResultsJson.render(oneThread, Map.of(), here);
        assertEquals(withoutTiming(a), withoutTiming(b));
        assertNotEquals(
                withoutTiming(a),
                withoutTiming(ResultsJson.render(Runner.run(options(2, 8)), Map.of(), here)),
                "another root seed gives other numbers");
    }

    @Test
    void oracleScoresOneAndRandomAboutZero() {
        var cq = twoThreads.credit().get("bif");
        assertEquals(1.0, cq.get("oracle").metrics().get("spearman").mean(), 1e-6);
        assertEquals(1.0, cq.get("oracle").metrics().get("token_spearman").mean(), 1e-6);
        assertEquals(0.0, cq.get("oracle").metrics().get("credit_noise").mean(), 1e-6);
        assertEquals(0.0, cq.get("random").metrics().get("spearman").mean(), 0.2);
        assertTrue(twoThreads.credit().get("agents").get("oracle").metrics().containsKey("agent_spearman"));
        assertEquals(
                1.0,
                twoThreads
                        .credit()
                        .get("agents")
                        .get("oracle")
                        .metrics()
                        .get("agent_spearman")
                        .mean(),
                1e-6);
    }

    @Test
    void estimatorsLackingSignalsAreSkippedWithTheReason() {
        var out = twoThreads.credit().get("bif").get("test_needs_magic");
        assertEquals("skipped", out.status());
        assertTrue(out.reason().contains("'magic'"), out.reason());
        assertTrue(twoThreads.skipped().stream().anyMatch(s -> s.estimator().equals("test_needs_magic")));
        assertEquals("ok", twoThreads.credit().get("bif").get("test_outcome").status());
    }

    @Test
    void claimsAreEvaluatedOrReportedUnavailable() {
        Map<String, BenchResult.ClaimOutcome> by = new java.util.HashMap<>();
        for (var c : twoThreads.claims()) by.put(c.claim().id(), c);
        assertEquals("holds", by.get("oracle_beats_random").status());
        assertEquals(1, by.get("oracle_beats_random").rows().size());
        // 3 seeds and a Holm correction over every row of the run: the direction shows, the verdict may stay open
        var od = by.get("outcome_degrades");
        assertTrue(od.status().equals("holds") || od.status().equals("inconclusive"), od.rows()::toString);
        assertTrue(od.rows().get(0).difference().mean() > 0, od.rows()::toString);
        assertTrue(od.rows().get(0).pHolm() >= od.rows().get(0).p(), od.rows()::toString);
        assertNotNull(by.get("learning_claim").status());
        assertEquals(1, by.get("learning_claim").rows().size());
        assertEquals("estimator not available", by.get("placeholder").status());
        assertTrue(
                by.get("placeholder").reason().contains("no_such_method"),
                by.get("placeholder").reason());
        assertEquals("error", by.get("bad_params").status());
        assertTrue(
                by.get("bad_params").reason().contains("'nope'"),
                by.get("bad_params").reason());
        assertTrue(
                twoThreads.configs().stream().anyMatch(c -> c.id().startsWith("claim:outcome_degrades[horizon=16]")));
    }

    @Test
    void bsuiteScoresAndLeaderboard() {
        assertTrue(twoThreads.bsuite().stream()
                .anyMatch(b -> b.experiment().equals("umbrella_length")
                        && b.estimator().equals("oracle")));
        assertEquals("oracle", twoThreads.leaderboard().get(0).estimator());
        assertEquals(2, twoThreads.leaderboard().get(0).tasks(), "sweep configs are not on the leaderboard by default");
    }

    @Test
    void reportCoversTheChecklist() throws Exception {
        JsonNode report = new ObjectMapper()
                .readTree(ResultsJson.render(twoThreads, Map.of(), Path.of("")))
                .get("report");
        assertEquals(20, Checklist.KEYS.size());
        for (String k : Checklist.KEYS) {
            JsonNode v = report.get(k);
            assertNotNull(v, k);
            assertTrue(v.isObject() ? v.size() > 0 : !v.asText().isBlank(), k);
        }
    }

    @Test
    void unknownTaskOrEstimatorIsAnErrorNamingIt() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(new Runner.Options(
                        suite, List.of("nope"), null, List.of(), 0, 1, Progress.NONE, EstimatorRegistry.global())));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("bif"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(new Runner.Options(
                        suite,
                        null,
                        List.of(EstimatorRef.parse("oracel")),
                        List.of(),
                        0,
                        1,
                        Progress.NONE,
                        EstimatorRegistry.global())));
        assertTrue(e.getMessage().contains("oracel") && e.getMessage().contains("oracle"), e.getMessage());
    }

    @Test
    void builtInSuitesAndClaimsParse() {
        for (String s : List.of("quick", "full")) {
            Suite x = Suite.builtIn(s);
            assertTrue(x.seeds() >= 1 && !x.tasks().isEmpty(), s);
            java.util.Set<String> families = new java.util.HashSet<>();
            for (TaskEntry t : x.tasks()) {
                families.add(t.family());
                dev.apportion.bench.task.TaskFamily f = dev.apportion.bench.task.TaskFamilies.get(t.family());
                f.knobs(t.knobs());
                for (Object v : t.sweepValues()) {
                    Map<String, Object> k = new java.util.HashMap<>(t.knobs());
                    k.put(t.sweepKnob(), v);
                    f.create(f.knobs(k), new java.util.SplittableRandom(1));
                }
            }
            assertEquals(6, families.size(), s + " covers every task family");
        }
        assertTrue(Suite.builtIn("full").learningSeeds() >= 10);
        assertTrue(Claim.builtIn().size() >= 5);
    }
}
