package dev.apportion.bench.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.bench.batch.Signals;
import dev.apportion.bench.learn.LearningConfig;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.ClaimRow;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.EstimatorRef;
import dev.apportion.bench.run.Suite;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * results.json: every number of a run with its full configuration, seeds, version and commit,
 * written from the typed {@link Results} and read back into it. Numbers are rounded to 7
 * significant digits; NaN is written as null. Everything except the top-level {@code timing}
 * object is identical for identical seeds. Writing what {@link #read} returns gives the same
 * bytes for a file written by this version.
 */
public final class ResultsJson {
    /** Format name and version written at the top of the file. */
    public static final String FORMAT = "apportion-bench-results";

    public static final int FORMAT_VERSION = 1;
    private static final MathContext SIG = new MathContext(7);

    /**
     * The mapper of results.json: NaN and infinities are written as null and null reads as NaN
     * (numbers and {@code double[]}); unknown fields are ignored.
     */
    public static final ObjectMapper MAPPER = mapper();

    private ResultsJson() {}

    /**
     * The JSON text: {@link #of} written by {@link #MAPPER} (two-space indent, a final newline).
     *
     * @param request the user's request (suite, filters, seeds) for provenance
     * @param workDir the working directory (the recorded commit is the build's, see {@link Provenance#buildCommit()})
     */
    public static String render(BenchResult r, Map<String, Object> request, Path workDir) {
        return write(of(r, request, workDir));
    }

    /** The text of results.json for {@code results}: indented, with a final newline. */
    public static String write(Results results) {
        try {
            return MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render results.json: " + e.getMessage(), e);
        }
    }

    /** {@code results} as compact JSON (the data island of report.html). */
    static String compact(Results results) {
        try {
            return MAPPER.writeValueAsString(results);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write results: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a results.json. Unknown fields are ignored, missing ones read as null / NaN / empty
     * (see {@link Results}); a value of the wrong type fails with the file and the field's path.
     *
     * @throws IOException when the file cannot be read, is not JSON, is not a results file or has a
     *     field of the wrong type; the message names the file and the field
     */
    public static Results read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return parse(bytes, file.toString());
    }

    /** Reads results from JSON bytes; {@code where} names the source in error messages. */
    public static Results parse(byte[] json, String where) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new IOException(
                    where + (l == null ? "" : ": line " + l.getLineNr() + ", column " + l.getColumnNr())
                            + ": not JSON: " + e.getOriginalMessage(),
                    e);
        }
        if (root == null || !root.isObject()) throw new IOException(where + ": not a results.json object");
        if (!FORMAT.equals(root.path("format").asText(null)))
            throw new IOException(where + ": field 'format': expected '" + FORMAT + "', got " + root.path("format"));
        int version = root.path("format_version").asInt(-1);
        if (version > FORMAT_VERSION)
            throw new IOException(where + ": field 'format_version': " + version + " is newer than this reader ("
                    + FORMAT_VERSION + ")");
        try {
            return MAPPER.treeToValue(root, Results.class);
        } catch (JsonProcessingException e) {
            throw new IOException(where + ": field '" + path(e) + "': " + e.getOriginalMessage(), e);
        }
    }

    /** The JSON path of a binding error: {@code tasks[3].credit_quality.grpo.metrics.spearman.mean}. */
    static String path(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException d)) return "?";
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : d.getPath()) {
            if (r.getFieldName() != null) {
                if (b.length() > 0) b.append('.');
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) b.append('[').append(r.getIndex()).append(']');
        }
        return b.length() == 0 ? "(root)" : b.toString();
    }

    /** The typed results of a run. */
    public static Results of(BenchResult r, Map<String, Object> request, Path workDir) {
        Suite s = r.suite();
        LearningConfig l = s.learning();
        Results.SuiteInfo suite = new Results.SuiteInfo(
                s.name(),
                s.description(),
                s.seeds(),
                s.learningSeeds(),
                s.batches(),
                s.groups(),
                s.groupSize(),
                s.policyLogitScale(),
                new Results.LearningSetup(
                        l.groups(),
                        l.groupSize(),
                        l.updates(),
                        l.updates() * l.episodesPerUpdate(),
                        l.learningRate(),
                        doubles(s.learningRateGrid()),
                        s.tuningSeeds(),
                        "with a grid of several rates and tuning_seeds > 0, each estimator's rate on each task is the grid "
                                + "value with the best mean learn_auc over tuning_seeds seeds disjoint from the reported learning seeds",
                        l.successThreshold()),
                s.notes());
        Results.RunProvenance prov = new Results.RunProvenance(
                Provenance.version(),
                Provenance.buildCommit(),
                System.getProperty("java.specification.version"),
                r.rootSeed(),
                "seed(config, i) = SplitMix64 mix of (root seed, FNV-1a 64 of the config's canonical knobs, i); "
                        + "per seed a SplittableRandom is split into instance, policy and batch streams, then a learning seed is drawn",
                object(request),
                suite);
        List<Results.Signal> signals = new ArrayList<>();
        for (Signals.Doc d : Signals.docs())
            signals.add(new Results.Signal(d.level(), d.name(), d.definition(), d.tier()));
        List<Results.EstimatorEntry> ests = new ArrayList<>();
        for (BenchResult.EstimatorInfo e : r.estimators()) {
            EstimatorRef ref = e.ref();
            ests.add(new Results.EstimatorEntry(
                    ref.label(),
                    ref.id(),
                    ref.preset(),
                    object(ref.params()),
                    e.id(),
                    e.title(),
                    e.source(),
                    e.granularity(),
                    e.methodology(),
                    e.fidelity(),
                    object(e.params()),
                    e.requires(),
                    e.turnReward(),
                    e.turnRewardWhy(),
                    e.reference()));
        }
        List<Results.Task> tasks = new ArrayList<>();
        for (ConfigResult c : r.configs()) tasks.add(task(r, c));
        List<Results.LeaderRow> board = new ArrayList<>();
        for (BenchResult.LeaderRow row : r.leaderboard()) {
            Map<String, Results.MetricValue> ms = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : row.means().entrySet()) {
                double[] ci = row.ci().get(e.getKey());
                ms.put(
                        e.getKey(),
                        new Results.MetricValue(
                                round(e.getValue()),
                                round(ci == null ? Double.NaN : ci[0]),
                                round(ci == null ? Double.NaN : ci[1])));
            }
            board.add(new Results.LeaderRow(row.estimator(), row.tier(), row.tasks(), ms));
        }
        List<Results.BsuiteRow> bs = new ArrayList<>();
        for (BenchResult.BsuiteScore b : r.bsuite())
            bs.add(new Results.BsuiteRow(
                    b.experiment(),
                    b.entry(),
                    b.estimator(),
                    round(b.score()),
                    b.formula(),
                    b.settings(),
                    rounded(b.values())));
        List<Results.ClaimEntry> claims = new ArrayList<>();
        for (ClaimOutcome co : r.claims()) claims.add(claim(co));
        List<Results.Skip> sk = new ArrayList<>();
        for (BenchResult.Skip k : r.skipped())
            sk.add(new Results.Skip(k.config(), k.estimator(), k.phase(), k.reason()));
        Map<String, Results.BatchTime> per = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : r.timing().msPerBatch().entrySet())
            per.put(
                    e.getKey(),
                    new Results.BatchTime(
                            round(e.getValue()), r.timing().batchesTimed().get(e.getKey())));
        Results.Timing timing = new Results.Timing(
                "wall-clock measurements; the only part of this file that differs between runs with the same seed",
                r.timing().createdAt(),
                r.timing().threads(),
                round(r.timing().totalSeconds()),
                per,
                r.timing().machine() == null
                        ? null
                        : MAPPER.convertValue(r.timing().machine(), Results.Machine.class));
        return new Results(
                FORMAT, FORMAT_VERSION, prov, Checklist.of(r), signals, ests, tasks, board, bs, claims, sk, timing);
    }

    private static Results.Task task(BenchResult r, ConfigResult c) {
        Map<String, Results.CreditResult> cq = new LinkedHashMap<>();
        for (Map.Entry<String, CreditOutcome> e :
                r.credit().getOrDefault(c.id(), Map.of()).entrySet()) {
            CreditOutcome o = e.getValue();
            cq.put(e.getKey(), new Results.CreditResult(o.status(), o.reason(), stats(o.metrics())));
        }
        Map<String, Results.LearningResult> learning = null;
        Map<String, LearnOutcome> lm = r.learning().get(c.id());
        if (lm != null) {
            learning = new LinkedHashMap<>();
            for (Map.Entry<String, LearnOutcome> e : lm.entrySet()) {
                LearnOutcome l = e.getValue();
                if (!l.status().equals("ok")) {
                    learning.put(
                            e.getKey(),
                            new Results.LearningResult(
                                    l.status(), l.reason(), null, null, null, null, null, null, null));
                    continue;
                }
                Map<String, Double> tuning = new LinkedHashMap<>();
                for (Map.Entry<Double, Double> t : l.tuning().entrySet())
                    tuning.put(String.valueOf(t.getKey()), round(t.getValue()));
                int n = l.curve().size();
                int[] ep = new int[n];
                double[] mean = new double[n];
                double[] lo = new double[n];
                double[] hi = new double[n];
                for (int u = 0; u < n; u++) {
                    ep[u] = u * l.episodesPerUpdate();
                    mean[u] = round(l.curve().get(u).mean());
                    lo[u] = round(l.curve().get(u).lo());
                    hi[u] = round(l.curve().get(u).hi());
                }
                learning.put(
                        e.getKey(),
                        new Results.LearningResult(
                                l.status(),
                                l.reason(),
                                round(l.optimalSuccess()),
                                round(l.learningRate()),
                                tuning,
                                object(l.rolloutCost()),
                                l.episodesPerUpdate(),
                                stats(l.metrics()),
                                new Results.Curve(ep, mean, lo, hi)));
            }
        }
        List<Results.Example> examples = null;
        if (c.example() != null) {
            examples = new ArrayList<>();
            for (BenchResult.ExampleTrajectory t : c.example().trajectories()) {
                Map<String, double[]> credit = new LinkedHashMap<>();
                for (Map.Entry<String, List<Double>> e : t.credit().entrySet())
                    credit.put(e.getKey(), rounded(e.getValue()));
                examples.add(new Results.Example(
                        t.id(),
                        t.success(),
                        round(t.outcome()),
                        round(t.episodeReturn()),
                        t.truncated(),
                        t.states(),
                        t.actions(),
                        t.labels(),
                        rounded(t.truth()),
                        credit));
            }
        }
        long[] seeds = new long[c.seeds().size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = c.seeds().get(i);
        return new Results.Task(
                c.id(),
                c.entry(),
                c.family(),
                c.inSuite(),
                c.leaderboard(),
                c.bsuite(),
                object(c.knobs()),
                object(c.explicitKnobs()),
                object(c.metadata()),
                seeds,
                MAPPER.valueToTree(c.instances()),
                c.metrics(),
                cq,
                learning,
                examples);
    }

    private static Results.ClaimEntry claim(ClaimOutcome co) {
        Claim c = co.claim();
        ObjectNode sweep = null;
        if (c.sweepKnob() != null) {
            sweep = MAPPER.createObjectNode();
            sweep.set(c.sweepKnob(), MAPPER.valueToTree(c.sweepValues()));
        }
        List<Results.EstimatorRefEntry> es = new ArrayList<>();
        for (EstimatorRef e : c.estimators())
            es.add(new Results.EstimatorRefEntry(e.label(), e.id(), e.preset(), object(e.params())));
        List<Results.ClaimRow> rows = new ArrayList<>();
        for (ClaimRow row : co.rows()) {
            Map<String, Double> means = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : row.means().entrySet()) means.put(e.getKey(), round(e.getValue()));
            rows.add(new Results.ClaimRow(
                    row.label(),
                    row.config(),
                    stat(row.difference()),
                    round(row.p()),
                    round(row.pHolm()),
                    row.verdict(),
                    means));
        }
        return new Results.ClaimEntry(
                c.id(),
                c.statement(),
                c.source(),
                new Results.ClaimTask(c.family(), object(c.knobs()), sweep),
                es,
                c.metric(),
                c.expect(),
                co.status(),
                co.reason(),
                rows);
    }

    private static Map<String, Results.Stat> stats(Map<String, Summary> m) {
        Map<String, Results.Stat> out = new LinkedHashMap<>();
        for (Map.Entry<String, Summary> s : m.entrySet()) out.put(s.getKey(), stat(s.getValue()));
        return out;
    }

    static Results.Stat stat(Summary s) {
        double[] ps = new double[s.perSeed().length];
        for (int i = 0; i < ps.length; i++) ps[i] = round(s.perSeed()[i]);
        return new Results.Stat(round(s.mean()), round(s.sd()), s.n(), new double[] {round(s.lo()), round(s.hi())}, ps);
    }

    /** A JSON object of a runner map (knobs, parameters, metadata), or null for null. */
    private static ObjectNode object(Map<String, Object> m) {
        return m == null ? null : MAPPER.valueToTree(m);
    }

    private static double[] doubles(List<Double> l) {
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = l.get(i);
        return out;
    }

    private static double[] rounded(List<Double> l) {
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = l.get(i) == null ? Double.NaN : round(l.get(i));
        return out;
    }

    /** {@code v} rounded to 7 significant digits; NaN for NaN and infinities (written as null); 0.0 for ±0. */
    public static double round(double v) {
        if (!Double.isFinite(v)) return Double.NaN;
        if (v == 0) return 0.0;
        return new BigDecimal(v).round(SIG).doubleValue();
    }

    /** Writes a number, or null for NaN and infinities. */
    static void writeNumber(JsonGenerator g, double v) throws IOException {
        if (Double.isFinite(v)) g.writeNumber(v);
        else g.writeNull();
    }

    /** A number rounded to 7 significant digits, or null for NaN/infinite. */
    public static Object num(double v) {
        if (!Double.isFinite(v)) return null;
        if (v == 0) return 0.0;
        return new BigDecimal(v).round(SIG).doubleValue();
    }

    private static ObjectMapper mapper() {
        SimpleModule numbers = new SimpleModule("results-numbers");
        JsonSerializer<Double> finite = new JsonSerializer<>() {
            @Override
            public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
                writeNumber(g, v);
            }
        };
        numbers.addSerializer(Double.class, finite);
        numbers.addSerializer(Double.TYPE, finite);
        numbers.addSerializer(double[].class, new JsonSerializer<>() {
            @Override
            public void serialize(double[] v, JsonGenerator g, SerializerProvider p) throws IOException {
                g.writeStartArray(v, v.length);
                for (double x : v) writeNumber(g, x);
                g.writeEndArray();
            }
        });
        // a primitive double: null and a missing number read as NaN
        numbers.addDeserializer(Double.TYPE, new NumberDeserializers.DoubleDeserializer(Double.TYPE, Double.NaN));
        // a boxed Double is an optional number: null reads as NaN (written back as null), a missing one as null
        // (left out when written back)
        numbers.addDeserializer(Double.class, new NumberDeserializers.DoubleDeserializer(Double.class, Double.NaN) {
            private static final long serialVersionUID = 1L;

            @Override
            public Object getAbsentValue(DeserializationContext ctxt) {
                return null;
            }
        });
        numbers.addDeserializer(double[].class, new JsonDeserializer<>() {
            @Override
            public double[] deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                if (!p.isExpectedStartArrayToken()) return (double[]) ctxt.handleUnexpectedToken(double[].class, p);
                double[] out = new double[8];
                int n = 0;
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    double v;
                    if (t == JsonToken.VALUE_NULL) v = Double.NaN;
                    else if (Results.numeric(t)) v = p.getDoubleValue();
                    else {
                        return ctxt.reportInputMismatch(
                                double[].class, "element [" + n + "]: expected a number or null, got " + t);
                    }
                    if (n == out.length) out = Arrays.copyOf(out, n * 2);
                    out[n++] = v;
                }
                return Arrays.copyOf(out, n);
            }
        });
        return JsonMapper.builder()
                .addModule(numbers)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }
}
