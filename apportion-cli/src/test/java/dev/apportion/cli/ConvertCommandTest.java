package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.io.CreditParquet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert, assign on Parquet, and the Spark engine's "not built" message. */
class ConvertCommandTest {
    private static final String ROLLOUTS =
            "{\"group\":\"p\",\"id\":\"a\",\"outcome\":1,\"spans\":[{\"role\":\"context\",\"tokens\":1},{\"role\":\"policy\",\"tokens\":2}]}\n"
                    + "{\"group\":\"p\",\"id\":\"b\",\"outcome\":0,\"tokens\":2}\n";

    @Test
    void convertsBothWaysAndAssignReadsAndWritesParquet(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("r.jsonl");
        Files.writeString(in, ROLLOUTS);
        Path pq = dir.resolve("r.parquet");
        Cli.Result r = Cli.run("convert", in.toString(), pq.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().startsWith("convert: " + in + " -> " + pq + ": 2 trajectories, 5 tokens"), r.err());
        Path back = dir.resolve("back.jsonl");
        assertEquals(0, Cli.run("convert", pq.toString(), back.toString()).code());
        assertEquals(
                List.of(
                        "{\"format\":1,\"group\":\"p\",\"id\":\"a\",\"outcome\":1.0,\"spans\":[{\"role\":\"context\",\"tokens\":1},{\"role\":\"policy\",\"tokens\":2}]}",
                        "{\"format\":1,\"group\":\"p\",\"id\":\"b\",\"outcome\":0.0,\"spans\":[{\"role\":\"policy\",\"tokens\":2}]}"),
                Files.readAllLines(back));

        Path jsonCredit = dir.resolve("c.jsonl");
        Path pqCredit = dir.resolve("c.parquet");
        assertEquals(
                0,
                Cli.run("assign", "--estimator", "test_mean", in.toString(), "-o", jsonCredit.toString())
                        .code());
        r = Cli.run("assign", "--estimator", "test_mean", pq.toString(), "-o", pqCredit.toString());
        assertEquals(0, r.code(), r.toString());
        CreditParquet.Table t = CreditParquet.read(pqCredit);
        assertEquals("test_mean", t.metadata().get("apportion.estimator"));
        assertEquals(pq.toString(), t.metadata().get("apportion.input"));
        String[] lines = Files.readAllLines(jsonCredit).stream()
                .filter(l -> !l.contains("\"kind\":\"provenance\""))
                .toArray(String[]::new);
        assertEquals(2, lines.length);
        assertEquals("{\"center\":true,\"scale\":1.0}", t.metadata().get("apportion.params"));
        for (int i = 0; i < 2; i++) {
            float[] adv = t.columns().get("advantages").get(i);
            StringBuilder b = new StringBuilder("[");
            for (int k = 0; k < adv.length; k++) b.append(k == 0 ? "" : ",").append(adv[k]);
            assertTrue(lines[i].contains("\"advantages\":" + b + "]"), lines[i] + " vs " + b);
        }
    }

    @Test
    void badParquetExits2WithOneLine(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.parquet");
        Files.writeString(bad, "PAR1 not really");
        Path out = dir.resolve("o.jsonl");
        Cli.Result r = Cli.run("convert", bad.toString(), out.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.errLines().length, r.toString());
        assertTrue(r.err().startsWith("error: " + bad + ": not a readable Parquet file"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void sparkEngineNotBuiltIsOneLine(@TempDir Path dir) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> SparkEngine.classPath(dir));
        assertEquals(
                "the Spark engine is not built (looked for " + dir.resolve("classpath.txt") + "); build it once with: "
                        + "mvn -B -q -DskipTests package -pl apportion-spark -am",
                e.getMessage());
        Cli.Result r = Cli.run(
                "assign",
                "--engine",
                "spark",
                "--estimator",
                "test_mean",
                dir.resolve("x.jsonl").toString(),
                "-o",
                dir.resolve("o").toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(
                "error: --engine spark reads Parquet; convert first: apportion convert " + dir.resolve("x.jsonl")
                        + " IN.parquet",
                r.err().strip());
    }
}
