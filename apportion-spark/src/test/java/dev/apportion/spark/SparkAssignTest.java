package dev.apportion.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import dev.apportion.io.RolloutParquet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job equals in-process assign (local[2], one session for the class). */
class SparkAssignTest {
    static SparkSession spark;

    @TempDir
    static Path dir;

    static Path input;
    static Rollouts batch;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("apportion-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.adaptive.enabled", "false")
                .config("spark.sql.codegen.wholeStage", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString())
                .getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        batch = RandomBatches.build(
                RandomBatches.trajectories(11, new RandomBatches.Options(12, 2, 6, true, true, true, false)));
        input = dir.resolve("rollouts.parquet");
        RolloutParquet.write(input, batch);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static void assertSameAsInProcess(String id, String preset, Map<String, String> params) {
        Path out = dir.resolve("credit-" + id);
        long n = SparkAssign.run(spark, new SparkAssign.Job(id, preset, params), input.toString(), out.toString());
        assertEquals(batch.trajectoryCount(), n);
        Estimator e = EstimatorRegistry.global().get(id);
        Credit want = e.assign(batch, Params.resolve(e.descriptor(), preset, params));
        float[][] wantArrays = SparkAssign.arrays(want);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < batch.trajectoryCount(); i++)
            index.put(batch.groupKey(batch.trajectoryGroup(i)) + "\u0000" + batch.trajectoryId(i), i);
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertEquals(batch.trajectoryCount(), rows.size());
        int compared = 0;
        for (Row r : rows) {
            Integer i = index.get(r.getString(r.fieldIndex("group")) + "\u0000" + r.getString(r.fieldIndex("id")));
            assertNotNull(i, r.toString());
            for (int k = 0; k < SparkAssign.ARRAYS.size(); k++) {
                String col = SparkAssign.ARRAYS.get(k);
                boolean has = List.of(r.schema().fieldNames()).contains(col);
                assertEquals(wantArrays[k] != null, has, id + " " + col);
                if (!has) continue;
                List<Float> got = r.getList(r.fieldIndex(col));
                boolean span = k == 2;
                int from = span ? batch.spanStart(i) : batch.tokenStart(i);
                int to = span ? batch.spanEnd(i) : batch.tokenEnd(i);
                assertEquals(to - from, got.size(), id + " " + col);
                for (int t = from; t < to; t++) {
                    assertEquals(
                            wantArrays[k][t],
                            got.get(t - from),
                            1e-6,
                            id + " " + col + " row " + i + " at " + (t - from));
                    compared++;
                }
            }
        }
        assertTrue(compared > 100, "compared " + compared);
    }

    @Test
    void groupLocalEstimatorsMatchInProcess() {
        assertSameAsInProcess("grpo", "verl", Map.of("epsilon", "1e-4"));
        assertSameAsInProcess("rloo", null, Map.of());
        assertSameAsInProcess("gigpo", null, Map.of());
    }

    @Test
    void batchWideEstimatorsAreRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> SparkAssign.run(
                        spark,
                        new SparkAssign.Job("gae", null, Map.of()),
                        input.toString(),
                        dir.resolve("x").toString()));
        assertEquals(
                "estimator 'gae' cannot be distributed yet: its credit depends on statistics of the whole batch "
                        + "(not group-local); run it in-process: apportion assign --estimator gae IN -o OUT",
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void aBadGroupNamesGroupTrajectoryAndColumn() throws Exception {
        Path bad = dir.resolve("bad.parquet");
        Files.write(bad, new byte[0]);
        Path wrong = dir.resolve("wrong");
        // a span with an unknown role, written by Spark itself
        spark.sql(
                        "SELECT 'g' AS `group`, 'a' AS id, 2 AS tokens, array(named_struct('role', 'tool', 'tokens', 2)) AS spans")
                .write()
                .parquet(wrong.toString());
        Exception e = assertThrows(
                Exception.class,
                () -> SparkAssign.run(
                        spark,
                        new SparkAssign.Job("grpo", null, Map.of()),
                        wrong.toString(),
                        dir.resolve("y").toString()));
        assertEquals(
                "group 'g', trajectory 'a': column spans[0].role: must be \"policy\" or \"context\", got tool",
                SparkAssign.oneLine(e));
    }
}
