package dev.apportion.spark;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Assigns credit to rollout Parquet with Spark: the rows are grouped by {@code group} and the
 * in-process estimator runs on each group's batch ({@code groupByKey} + {@code flatMapGroups}),
 * in one pass. This gives the same credit as {@code apportion assign} on the whole batch for
 * estimators whose {@link dev.apportion.core.credit.Descriptor#groupLocal()} is true (a
 * trajectory's credit depends on its own group only). Estimators that use batch-wide
 * statistics (batch whitening in GAE and REINFORCE++, batch normalisation) are refused with one
 * line: they cannot be distributed yet.
 *
 * <p>Input: rollout Parquet (a file or a directory of part files) with the columns of
 * {@code docs/rollout-format.md}. Output: a directory of credit Parquet part files (columns
 * {@code group}, {@code id}, {@code advantages} and those of {@code returns},
 * {@code span_advantages}, {@code loss_weight}, {@code clip_scale} the estimator produces),
 * written by Spark, rows grouped by group and in input order within a group.
 *
 * <pre>
 * spark-submit --class dev.apportion.spark.SparkAssign apportion-spark-job.jar \
 *     --estimator grpo --preset verl s3://bucket/rollouts/ -o s3://bucket/credit/
 * </pre>
 */
@Command(
        name = "apportion-spark",
        mixinStandardHelpOptions = true,
        description = "Assign credit to rollout Parquet with Spark (group-local estimators).")
public final class SparkAssign implements Callable<Integer> {
    @Option(names = "--estimator", required = true, paramLabel = "ID", description = "Estimator id or alias.")
    String estimator;

    @Option(names = "--preset", paramLabel = "P", description = "Parameter preset.")
    String preset;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "One parameter; repeatable.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(
            names = "--master",
            paramLabel = "URL",
            description = "Spark master (local[2], yarn, k8s://...); default: what spark-submit sets, else local[*].")
    String master;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            defaultValue = "0",
            description = "Shuffle partitions for the grouping (0: Spark's spark.sql.shuffle.partitions).")
    int partitions;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "OUT",
            description = "Output directory (credit Parquet).")
    String out;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout Parquet file or directory.")
    String in;

    /** What the job runs: estimator, preset and explicit parameters (serialisable, sent to the executors). */
    public record Job(String estimator, String preset, Map<String, String> params) implements Serializable {
        public Job {
            params = new LinkedHashMap<>(params);
        }

        Estimator resolveEstimator() {
            return EstimatorRegistry.global().get(estimator);
        }

        Params resolveParams(Estimator e) {
            return Params.resolve(e.descriptor(), preset, params);
        }
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new SparkAssign());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + oneLine(e));
            return e instanceof IllegalArgumentException ? 2 : 3;
        });
        System.exit(cl.execute(args));
    }

    static String oneLine(Throwable e) {
        // Spark wraps task failures; the first cause that is ours carries the message
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException && t.getMessage() != null) return firstLine(t.getMessage());
        }
        return firstLine(String.valueOf(e.getMessage()));
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public Integer call() {
        Job job = new Job(estimator, preset, params);
        checkDistributable(job);
        SparkSession.Builder b = SparkSession.builder().appName("apportion assign " + estimator);
        if (master != null) b.master(master);
        else if (System.getProperty("spark.master") == null) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            spark.sparkContext().setLogLevel("WARN");
            if (partitions > 0) spark.conf().set("spark.sql.shuffle.partitions", Integer.toString(partitions));
            long t0 = System.nanoTime();
            long rows = run(spark, job, in, out);
            System.err.printf(
                    java.util.Locale.ROOT,
                    "apportion-spark: %s: %d trajectories -> %s (%.1f s)%n",
                    estimator,
                    rows,
                    out,
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * Refuses, in one line, an estimator the job cannot distribute (its credit depends on more
     * than its group); also resolves the parameters so that a bad one fails before Spark starts.
     */
    public static void checkDistributable(Job job) {
        Estimator e = job.resolveEstimator();
        job.resolveParams(e);
        if (!e.descriptor().groupLocal()) {
            throw new IllegalArgumentException(
                    "estimator '" + e.id() + "' cannot be distributed yet: its credit depends on "
                            + "statistics of the whole batch (not group-local); run it in-process: apportion assign --estimator "
                            + e.id() + " IN -o OUT");
        }
    }

    /** Output columns, in the order of credit Parquet. */
    static final List<String> ARRAYS = List.of("advantages", "returns", "span_advantages", "loss_weight", "clip_scale");

    static float[][] arrays(Credit c) {
        return new float[][] {c.advantages(), c.returns(), c.spanAdvantages(), c.lossWeights(), c.clipScales()};
    }

    /**
     * Runs the job: reads {@code in}, writes credit Parquet to {@code out} (replaced), returns
     * the number of trajectories.
     */
    public static long run(SparkSession spark, Job job, String in, String out) {
        checkDistributable(job);
        Dataset<Row> input = spark.read().parquet(in);
        if (!Arrays.asList(input.columns()).contains("group")) {
            throw new IllegalArgumentException(
                    in + ": column group is missing (the rollout Parquet schema is in docs/rollout-format.md)");
        }
        // the row's position in the input keeps file order inside a group and gives default ids
        Dataset<Row> rows = input.withColumn("_apportion_row", functions.monotonically_increasing_id());
        StructType inSchema = input.schema();

        // which credit columns the estimator produces: run it on the first group (a small probe)
        Row first = rows.select("group")
                .where(functions.col("group").isNotNull())
                .limit(1)
                .first();
        List<Row> probeRows =
                rows.where(functions.col("group").equalTo(first.getString(0))).collectAsList();
        boolean[] present = outputs(job, inSchema, first.getString(0), probeRows);
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("group", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("id", DataTypes.StringType, false));
        for (int k = 0; k < ARRAYS.size(); k++) {
            if (present[k])
                fields.add(DataTypes.createStructField(
                        ARRAYS.get(k), DataTypes.createArrayType(DataTypes.FloatType, false), k != 0));
        }
        StructType outSchema = DataTypes.createStructType(fields);
        LongAccumulator written = spark.sparkContext().longAccumulator("apportion trajectories");

        Dataset<Row> credit = rows.groupByKey(
                        (MapFunction<Row, String>) r -> r.getString(r.fieldIndex("group")), Encoders.STRING())
                .flatMapGroups(new PerGroup(job, inSchema, present, written), Encoders.row(outSchema));
        credit.write().mode(SaveMode.Overwrite).parquet(out);
        return written.value();
    }

    private static boolean[] outputs(Job job, StructType inSchema, String key, List<Row> rows) {
        PerGroup probe = new PerGroup(job, inSchema, null, null);
        Credit c = probe.credit(key, rows.iterator(), new ArrayList<>(), new ArrayList<>());
        float[][] a = arrays(c);
        boolean[] present = new boolean[a.length];
        for (int k = 0; k < a.length; k++) present[k] = a[k] != null;
        return present;
    }

    /** Runs the estimator on one group's rows; emits one credit row per trajectory. */
    static final class PerGroup implements FlatMapGroupsFunction<String, Row, Row> {
        private final Job job;
        private final StructType inSchema;
        private final boolean[] present;
        private final LongAccumulator written;
        private transient Estimator estimator;
        private transient Params params;
        private transient GroupBatch converter;

        PerGroup(Job job, StructType inSchema, boolean[] present, LongAccumulator written) {
            this.job = job;
            this.written = written;
            this.inSchema = inSchema;
            this.present = present;
        }

        Credit credit(String key, Iterator<Row> it, List<Row> sorted, List<Rollouts> batchOut) {
            if (estimator == null) {
                estimator = job.resolveEstimator();
                params = job.resolveParams(estimator);
                converter = new GroupBatch(inSchema);
            }
            while (it.hasNext()) sorted.add(it.next());
            int rowCol = sorted.isEmpty() ? -1 : sorted.get(0).fieldIndex("_apportion_row");
            sorted.sort((a, b) -> Long.compare(a.getLong(rowCol), b.getLong(rowCol)));
            long[] index = new long[sorted.size()];
            for (int i = 0; i < index.length; i++) index[i] = sorted.get(i).getLong(rowCol);
            Rollouts batch = converter.build(key, sorted, index);
            batchOut.add(batch);
            try {
                return estimator.assign(batch, params);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("group '" + key + "': " + e.getMessage(), e);
            }
        }

        @Override
        public Iterator<Row> call(String key, Iterator<Row> values) {
            List<Row> sorted = new ArrayList<>();
            List<Rollouts> holder = new ArrayList<>(1);
            Credit c = credit(key, values, sorted, holder);
            Rollouts b = holder.get(0);
            float[][] a = arrays(c);
            List<Row> out = new ArrayList<>(b.trajectoryCount());
            for (int i = 0; i < b.trajectoryCount(); i++) {
                List<Object> v = new ArrayList<>(7);
                v.add(key);
                v.add(b.trajectoryId(i));
                for (int k = 0; k < a.length; k++) {
                    if (!present[k]) continue;
                    if (a[k] == null) {
                        v.add(null);
                        continue;
                    }
                    boolean span = k == 2;
                    int from = span ? b.spanStart(i) : b.tokenStart(i);
                    int to = span ? b.spanEnd(i) : b.tokenEnd(i);
                    float[] slice = new float[to - from];
                    for (int t = from; t < to; t++) {
                        float x = a[k][t];
                        if (!Float.isFinite(x)) {
                            throw new IllegalArgumentException(
                                    "group '" + key + "', trajectory '" + b.trajectoryId(i) + "': " + ARRAYS.get(k)
                                            + "[" + (t - from) + "] is " + x + "; only finite numbers can be written");
                        }
                        slice[t - from] = x == 0f ? 0f : x; // -0 as 0, as the file writers do
                    }
                    v.add(slice);
                }
                out.add(RowFactory.create(v.toArray()));
            }
            if (written != null) written.add(out.size());
            return out.iterator();
        }
    }
}
