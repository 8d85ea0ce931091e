package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.bench.report.ResultsJson;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume}: a run cut short and restarted from its journal gives the same results.json as
 * an uninterrupted run (all but the {@code timing} object, the file's declared wall-clock part),
 * runs only the missing units, and refuses a journal written by another suite, seed or build.
 */
class ResumeTest {
    private static Suite suite;
    private static List<Claim> claims;
    private static final List<EstimatorRef> ESTIMATORS = List.of(
            EstimatorRef.parse("oracle"),
            EstimatorRef.parse("random"),
            EstimatorRef.parse("grpo"),
            EstimatorRef.parse("gigpo"),
            EstimatorRef.parse("test_outcome"));

    @BeforeAll
    static void load() throws Exception {
        ObjectMapper om = new ObjectMapper();
        try (InputStream in = ResumeTest.class.getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            suite = Suite.parse(om.readTree(in), "tiny-suite.json");
        }
        try (InputStream in = ResumeTest.class.getResourceAsStream("/dev/apportion/bench/tiny-claims.json")) {
            claims = Claim.parse(om.readTree(in), "tiny-claims.json");
        }
    }

    /** Counts the units that really ran (resumed ones are skipped). */
    static final class Counting implements Progress {
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        volatile int total;
        volatile int resumedAtStart;

        @Override
        public void start(int total) {}

        @Override
        public void start(int total, double totalCost, int resumed, double resumedCost) {
            this.total = total;
            this.resumedAtStart = resumed;
        }

        @Override
        public void advance(String label) {
            ran.incrementAndGet();
        }

        @Override
        public void skip(double cost) {
            skipped.incrementAndGet();
        }

        @Override
        public void finish() {}
    }

    private static Runner.Options options(Suite s, long seed, Progress p, Path dir, boolean resume, String code) {
        return new Runner.Options(
                s, null, ESTIMATORS, claims, seed, 2, p, EstimatorRegistry.global(), dir, resume, code);
    }

    private static String withoutTiming(BenchResult r) throws Exception {
        String json = ResultsJson.render(r, Map.of("suite", "tiny"), Path.of(""));
        ObjectNode n = (ObjectNode) new ObjectMapper().readTree(json);
        n.remove("timing");
        return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    @Test
    void resumedRunEqualsAnUninterruptedOneAndRunsOnlyTheRest(@TempDir Path tmp) throws Exception {
        BenchResult plain = Runner.run(options(suite, 7, Progress.NONE, null, false, null));
        Path a = tmp.resolve("a");
        Counting full = new Counting();
        BenchResult journaled = Runner.run(options(suite, 7, full, a, false, "build-1"));
        assertEquals(withoutTiming(plain), withoutTiming(journaled), "journaling does not change results");
        List<String> lines = Files.readAllLines(a.resolve(Journal.FILE), StandardCharsets.UTF_8);
        int units = lines.size() - 1;
        assertEquals(full.total, units, "one journal line per unit, after the header");

        // cut the journal as a crash would: the first 40% of the units, then half a line
        Path b = tmp.resolve("b");
        Files.createDirectories(b);
        int keep = units * 2 / 5;
        StringBuilder cut = new StringBuilder();
        for (int i = 0; i <= keep; i++) cut.append(lines.get(i)).append('\n');
        String torn = lines.get(keep + 1);
        cut.append(torn, 0, torn.length() / 2);
        Files.writeString(b.resolve(Journal.FILE), cut.toString(), StandardCharsets.UTF_8);

        Counting resumed = new Counting();
        BenchResult r = Runner.run(options(suite, 7, resumed, b, true, "build-1"));
        assertEquals(withoutTiming(plain), withoutTiming(r), "a resumed run gives byte-identical results");
        assertEquals(units - keep, resumed.ran.get(), "only the units missing from the journal ran");
        assertEquals(keep, resumed.resumedAtStart + resumed.skipped.get(), "the journal's units were read back");
        assertEquals(keep, r.timing().machine().get("units_resumed"));
        List<String> after = Files.readAllLines(b.resolve(Journal.FILE), StandardCharsets.UTF_8);
        assertEquals(units + 1, after.size(), "the torn line was replaced, every unit is journaled once");
        for (String l : after) new ObjectMapper().readTree(l); // every line is whole JSON

        // resuming a complete journal runs nothing and still gives the same results
        Counting again = new Counting();
        BenchResult r2 = Runner.run(options(suite, 7, again, b, true, "build-1"));
        assertEquals(0, again.ran.get());
        assertEquals(withoutTiming(plain), withoutTiming(r2));
    }

    @Test
    void aJournalOfAnotherRunIsRefusedNamingWhatDiffers(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("o");
        Suite small = suite.withSeeds(1);
        Runner.run(options(small, 7, Progress.NONE, dir, false, "build-1"));
        String journal = Files.readString(dir.resolve(Journal.FILE), StandardCharsets.UTF_8);

        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(options(small, 8, Progress.NONE, dir, true, "build-1")));
        assertTrue(e.getMessage().contains("root_seed 7, this run 8"), e.getMessage());
        assertTrue(e.getMessage().contains(Journal.FILE), e.getMessage());

        e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(options(small, 7, Progress.NONE, dir, true, "build-2")));
        assertTrue(e.getMessage().contains("code 'build-1', this run 'build-2'"), e.getMessage());

        e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(options(suite, 7, Progress.NONE, dir, true, "build-1")));
        assertTrue(e.getMessage().contains("suite_digest"), e.getMessage());

        Suite renamed = Suite.parse(
                new ObjectMapper()
                        .readTree(new String(
                                        ResumeTest.class
                                                .getResourceAsStream("/dev/apportion/bench/tiny-suite.json")
                                                .readAllBytes(),
                                        StandardCharsets.UTF_8)
                                .replace("\"tiny\"", "\"other\"")),
                "other.json");
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(options(renamed.withSeeds(1), 7, Progress.NONE, dir, true, "build-1")));
        assertTrue(e.getMessage().contains("suite 'tiny', this run 'other'"), e.getMessage());
        assertEquals(
                journal,
                Files.readString(dir.resolve(Journal.FILE), StandardCharsets.UTF_8),
                "a refused journal is left as it was");

        // a damaged line in the middle is an error naming the line, not a silent skip
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve(Journal.FILE), StandardCharsets.UTF_8));
        lines.set(2, "{not json");
        Files.write(dir.resolve(Journal.FILE), lines, StandardCharsets.UTF_8);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Runner.run(options(small, 7, Progress.NONE, dir, true, "build-1")));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());

        // without --resume the journal is started afresh
        Runner.run(options(small, 8, Progress.NONE, dir, false, "build-2"));
        assertTrue(Files.readString(dir.resolve(Journal.FILE), StandardCharsets.UTF_8)
                .contains("\"code\":\"build-2\""));
    }
}
