package dev.apportion.bench.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of results.json as typed records: what the runner writes ({@link ResultsJson#of})
 * and what report.html, leaderboard.svg and the README section are rendered from
 * ({@link ResultsJson#read}). Component order is the key order of the file; a Java name that
 * differs from the JSON name carries {@code @JsonProperty}.
 *
 * <p>Conventions (see {@link ResultsJson} for the mapper that implements them):
 *
 * <ul>
 *   <li>Numbers are {@code double} (or {@code double[]}); NaN is written as {@code null} and
 *       {@code null} (or a missing number) reads as NaN.
 *   <li>A missing object, list or string reads as {@code null}: the renderers treat it as empty,
 *       so results files written before a field existed still load (for example a file without
 *       {@code timing.machine}, {@code span_reward_carries} or the later checklist items).
 *   <li>Unknown fields are ignored (a file written by a newer version loads; they are not written
 *       back).
 *   <li>Open-ended maps whose keys are defined by task families, estimators or the command line
 *       rather than by this format (task knobs and metadata, hidden instances, estimator
 *       parameters, the request, extra rollout costs) stay JSON objects ({@link ObjectNode}).
 * </ul>
 *
 * @param format always {@link ResultsJson#FORMAT}
 * @param formatVersion {@link ResultsJson#FORMAT_VERSION}
 * @param report the reporting checklist
 * @param signals the signals the tasks produce
 * @param estimators every estimator configuration of the run
 * @param tasks every task configuration
 * @param leaderboard leaderboard rows, best first
 * @param bsuite bsuite scores
 * @param claims claims re-tested
 * @param skipped estimator × task pairs that did not run
 * @param timing wall-clock measurements (the only non-deterministic part)
 */
public record Results(
        String format,
        @JsonProperty("format_version") int formatVersion,
        RunProvenance provenance,
        Checklist report,
        List<Signal> signals,
        List<EstimatorEntry> estimators,
        List<Task> tasks,
        List<LeaderRow> leaderboard,
        List<BsuiteRow> bsuite,
        List<ClaimEntry> claims,
        List<Skip> skipped,
        Timing timing) {

    /** Null lists read as empty, so every renderer can iterate. */
    public Results {
        signals = orEmpty(signals);
        estimators = orEmpty(estimators);
        tasks = orEmpty(tasks);
        leaderboard = orEmpty(leaderboard);
        bsuite = orEmpty(bsuite);
        claims = orEmpty(claims);
        skipped = orEmpty(skipped);
    }

    static <T> List<T> orEmpty(List<T> l) {
        return l == null ? List.of() : l;
    }

    static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
        return m == null ? Map.of() : m;
    }

    /** Version, commit, seeds, the request and the suite. */
    public record RunProvenance(
            @JsonProperty("apportion_version") String apportionVersion,
            @JsonProperty("git_commit") String gitCommit,
            @JsonProperty("java_version") String javaVersion,
            @JsonProperty("root_seed") long rootSeed,
            @JsonProperty("seed_derivation") String seedDerivation,
            ObjectNode request,
            SuiteInfo suite) {}

    /** The suite's protocol constants (after command-line overrides). */
    public record SuiteInfo(
            String name,
            String description,
            int seeds,
            @JsonProperty("learning_seeds") int learningSeeds,
            @JsonProperty("batches_per_seed") int batchesPerSeed,
            int groups,
            @JsonProperty("group_size") int groupSize,
            @JsonProperty("policy_logit_scale") double policyLogitScale,
            LearningSetup learning,
            List<String> notes) {}

    /** The policy-gradient protocol of the learning comparison. */
    public record LearningSetup(
            int groups,
            @JsonProperty("group_size") int groupSize,
            int updates,
            @JsonProperty("episodes_budget") int episodesBudget,
            @JsonProperty("learning_rate") double learningRate,
            @JsonProperty("learning_rate_grid") double[] learningRateGrid,
            @JsonProperty("tuning_seeds") int tuningSeeds,
            @JsonProperty("tuning_note") String tuningNote,
            @JsonProperty("success_threshold") double successThreshold) {}

    /** One signal a task can produce. */
    public record Signal(String level, String name, String definition, String tier) {}

    /** An estimator configuration and its descriptor facts. */
    public record EstimatorEntry(
            String label,
            String id,
            @JsonInclude(JsonInclude.Include.NON_NULL) String preset,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) ObjectNode params,
            @JsonProperty("registry_id") String registryId,
            String title,
            String source,
            String granularity,
            String methodology,
            String fidelity,
            @JsonProperty("resolved_params") ObjectNode resolvedParams,
            List<String> requires,
            @JsonProperty("span_reward_carries") String spanRewardCarries,
            @JsonProperty("span_reward_why") String spanRewardWhy,
            boolean reference) {}

    /** An estimator named by a claim: label, registry id, optional preset and parameters. */
    public record EstimatorRefEntry(
            String label,
            String id,
            @JsonInclude(JsonInclude.Include.NON_NULL) String preset,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) ObjectNode params) {}

    /** One task configuration and every estimator's outcome on it. */
    public record Task(
            String id,
            String entry,
            String family,
            @JsonProperty("in_suite") boolean inSuite,
            boolean leaderboard,
            @JsonInclude(JsonInclude.Include.NON_NULL) String bsuite,
            ObjectNode knobs,
            @JsonProperty("explicit_knobs") ObjectNode explicitKnobs,
            ObjectNode metadata,
            long[] seeds,
            ArrayNode instances,
            @JsonProperty("credit_metrics") List<String> creditMetrics,
            @JsonProperty("credit_quality") Map<String, CreditResult> creditQuality,
            @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, LearningResult> learning,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<Example> examples) {}

    /** Credit quality of one estimator on one task: {@code ok} with metrics, or skipped/error with a reason. */
    public record CreditResult(
            String status,
            @JsonInclude(JsonInclude.Include.NON_NULL) String reason,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Stat> metrics) {
        public boolean ok() {
            return "ok".equals(status);
        }
    }

    /**
     * Learning of one estimator on one task. The fields after {@code reason} are present only
     * when {@code status} is {@code ok} (null otherwise).
     */
    public record LearningResult(
            String status,
            @JsonInclude(JsonInclude.Include.NON_NULL) String reason,

            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("optimal_success")
            Double optimalSuccess,

            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("learning_rate")
            Double learningRate,

            @JsonInclude(JsonInclude.Include.NON_EMPTY) @JsonProperty("tuning_learn_auc_by_rate")
            Map<String, Double> tuningLearnAucByRate,

            @JsonInclude(JsonInclude.Include.NON_EMPTY) @JsonProperty("extra_rollouts_charged")
            ObjectNode extraRolloutsCharged,

            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("episodes_per_update")
            Integer episodesPerUpdate,

            @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Stat> metrics,
            @JsonInclude(JsonInclude.Include.NON_NULL) Curve curve) {
        public boolean ok() {
            return "ok".equals(status);
        }
    }

    /** Exact success after every update: mean with a 95% interval over seeds. */
    public record Curve(
            int[] episodes,
            @JsonProperty("success_mean") double[] successMean,
            @JsonProperty("ci_low") double[] ciLow,
            @JsonProperty("ci_high") double[] ciHigh) {}

    /** A metric over seeds: mean, standard deviation, count, 95% interval and the per-seed values. */
    public record Stat(
            double mean,
            double sd,
            int n,
            double[] ci95,
            @JsonProperty("per_seed") double[] perSeed) {
        /** The interval's lower end, NaN when absent. */
        public double lo() {
            return ci95 != null && ci95.length == 2 ? ci95[0] : Double.NaN;
        }

        /** The interval's upper end, NaN when absent. */
        public double hi() {
            return ci95 != null && ci95.length == 2 ? ci95[1] : Double.NaN;
        }
    }

    /** A heat-strip example trajectory (seed 0, batch 0): turn credit next to the truth. */
    public record Example(
            String trajectory,
            boolean success,
            double outcome,
            @JsonProperty("return") double episodeReturn,
            boolean truncated,
            List<String> states,
            List<String> actions,
            List<String> labels,
            @JsonProperty("true_advantage") double[] trueAdvantage,
            Map<String, double[]> credit) {}

    /** A mean over the leaderboard tasks and its 95% interval. */
    public record MetricValue(double mean, double lo, double hi) {}

    /**
     * A leaderboard row. In the file the metrics are flat keys beside {@code estimator}, {@code
     * tier} and {@code tasks}: {@code "<metric>": mean, "<metric>_ci": [lo, hi]}.
     */
    @JsonSerialize(using = LeaderRowCodec.Writer.class)
    @JsonDeserialize(using = LeaderRowCodec.Reader.class)
    public record LeaderRow(String estimator, String tier, int tasks, Map<String, MetricValue> metrics) {
        /** The metric's mean, NaN when the row has none. */
        public double mean(String metric) {
            MetricValue v = metrics.get(metric);
            return v == null ? Double.NaN : v.mean();
        }
    }

    /** A bsuite experiment score of one estimator over a sweep. */
    public record BsuiteRow(
            String experiment,
            String entry,
            String estimator,
            double score,
            String formula,
            List<String> settings,
            double[] values) {}

    /** A claim re-tested by the run. */
    public record ClaimEntry(
            String id,
            String statement,
            String source,
            ClaimTask task,
            List<EstimatorRefEntry> estimators,
            String metric,
            String expect,
            String status,
            @JsonInclude(JsonInclude.Include.NON_NULL) String reason,
            List<ClaimRow> rows) {}

    /** The task a claim runs on: family, knobs and an optional sweep {@code {knob: [values]}}. */
    public record ClaimTask(
            String family,
            ObjectNode knobs,
            @JsonInclude(JsonInclude.Include.NON_NULL) ObjectNode sweep) {}

    /** One comparison of a claim. */
    public record ClaimRow(
            String comparison,
            String task,
            Stat difference,
            @JsonProperty("p_value") double pValue,
            @JsonProperty("p_holm") double pHolm,
            String verdict,
            Map<String, Double> means) {}

    /** An estimator × task pair that did not run, and why. */
    public record Skip(String task, String estimator, String phase, String reason) {}

    /** Wall-clock measurements: not reproducible. */
    public record Timing(
            String note,
            @JsonProperty("created_at") String createdAt,
            int threads,
            @JsonProperty("total_seconds") double totalSeconds,
            @JsonProperty("assign_time_per_batch") Map<String, BatchTime> assignTimePerBatch,
            @JsonInclude(JsonInclude.Include.NON_NULL) Machine machine) {}

    /** Mean time of one {@code assign()} call and how many batches were timed. */
    public record BatchTime(@JsonProperty("ms_per_batch") double msPerBatch, Long batches) {}

    /** The machine and the process; a probe that failed is null. */
    public record Machine(
            @JsonProperty("available_processors") Integer availableProcessors,
            @JsonProperty("cpu_model") String cpuModel,
            @JsonProperty("memory_total_mb") Long memoryTotalMb,
            String os,
            @JsonProperty("java_vm") String javaVm,
            @JsonProperty("max_heap_mb") Long maxHeapMb,
            @JsonProperty("load_average_start") Double loadAverageStart,
            @JsonProperty("load_average_end") Double loadAverageEnd,
            @JsonProperty("process_cpu_seconds") Double processCpuSeconds,
            @JsonProperty("peak_resident_mb") Long peakResidentMb,
            @JsonProperty("units_run") Long unitsRun,
            @JsonProperty("units_resumed") Long unitsResumed) {}

    /** Reads and writes a {@link LeaderRow} as flat keys. */
    static final class LeaderRowCodec {
        private LeaderRowCodec() {}

        static final class Writer extends JsonSerializer<LeaderRow> {
            @Override
            public void serialize(LeaderRow r, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeStartObject();
                g.writeStringField("estimator", r.estimator());
                g.writeStringField("tier", r.tier());
                g.writeNumberField("tasks", r.tasks());
                for (Map.Entry<String, MetricValue> e : r.metrics().entrySet()) {
                    g.writeFieldName(e.getKey());
                    ResultsJson.writeNumber(g, e.getValue().mean());
                    g.writeArrayFieldStart(e.getKey() + "_ci");
                    ResultsJson.writeNumber(g, e.getValue().lo());
                    ResultsJson.writeNumber(g, e.getValue().hi());
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
        }

        static final class Reader extends JsonDeserializer<LeaderRow> {
            @Override
            public LeaderRow deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                ObjectNode o = p.readValueAsTree();
                Map<String, MetricValue> metrics = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = o.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String k = e.getKey();
                    if (k.equals("estimator") || k.equals("tier") || k.equals("tasks") || k.endsWith("_ci")) continue;
                    double mean = number(p, ctxt, e.getValue(), k);
                    JsonNode ci = o.path(k + "_ci");
                    double lo = ci.size() == 2 ? number(p, ctxt, ci.get(0), k + "_ci") : Double.NaN;
                    double hi = ci.size() == 2 ? number(p, ctxt, ci.get(1), k + "_ci") : Double.NaN;
                    metrics.put(k, new MetricValue(mean, lo, hi));
                }
                JsonNode tasks = o.path("tasks");
                if (!tasks.isMissingNode() && !tasks.isNull() && !tasks.canConvertToInt())
                    throw ctxt.weirdStringException(tasks.asText(), int.class, "field 'tasks': expected an integer");
                return new LeaderRow(
                        o.path("estimator").isTextual() ? o.path("estimator").asText() : null,
                        o.path("tier").isTextual() ? o.path("tier").asText() : null,
                        tasks.asInt(),
                        metrics);
            }

            private static double number(JsonParser p, DeserializationContext ctxt, JsonNode n, String k)
                    throws IOException {
                if (n == null || n.isNull()) return Double.NaN;
                if (!n.isNumber())
                    throw InvalidFormatException.from(
                            p, "field '" + k + "': expected a number or null, got " + n, n, double.class);
                return n.asDouble();
            }
        }
    }

    /** The JSON token a reader of numbers accepts. */
    static boolean numeric(JsonToken t) {
        return t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT;
    }
}
