package dev.apportion.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.apportion.bench.batch.Signals;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.ClaimRow;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.EstimatorRef;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * results.json: every number of a run with its full configuration, seeds, version and commit.
 * Numbers are rounded to 7 significant digits; NaN is written as null. Everything except the
 * top-level {@code timing} object is identical for identical seeds.
 */
public final class ResultsJson {
    /** Format name and version written at the top of the file. */
    public static final String FORMAT = "apportion-bench-results";

    public static final int FORMAT_VERSION = 1;
    private static final MathContext SIG = new MathContext(7);

    private ResultsJson() {}

    /**
     * The JSON text.
     *
     * @param request the user's request (suite, filters, seeds) for provenance
     * @param workDir the working directory (the recorded commit is the build's, see {@link Provenance#buildCommit()})
     */
    public static String render(BenchResult r, Map<String, Object> request, Path workDir) {
        try {
            return new ObjectMapper()
                            .enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(tree(r, request, workDir))
                    + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render results.json: " + e.getMessage(), e);
        }
    }

    /** The JSON tree (maps, lists, numbers, strings, booleans, null). */
    public static Map<String, Object> tree(BenchResult r, Map<String, Object> request, Path workDir) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("format_version", FORMAT_VERSION);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("apportion_version", Provenance.version());
        prov.put("git_commit", Provenance.buildCommit());
        prov.put("java_version", System.getProperty("java.specification.version"));
        prov.put("root_seed", r.rootSeed());
        prov.put(
                "seed_derivation",
                "seed(config, i) = SplitMix64 mix of (root seed, FNV-1a 64 of the config's canonical knobs, i); "
                        + "per seed a SplittableRandom is split into instance, policy and batch streams, then a learning seed is drawn");
        prov.put("request", request);
        prov.put("suite", r.suite().toMap());
        root.put("provenance", prov);
        root.put("report", Checklist.report(r));
        root.put("signals", Signals.docsAsMaps());
        List<Object> ests = new ArrayList<>();
        for (BenchResult.EstimatorInfo e : r.estimators()) {
            Map<String, Object> m = new LinkedHashMap<>(e.ref().toMap());
            m.put("registry_id", e.id());
            m.put("title", e.title());
            m.put("source", e.source());
            m.put("granularity", e.granularity());
            m.put("methodology", e.methodology());
            m.put("fidelity", e.fidelity());
            m.put("resolved_params", e.params());
            m.put("requires", e.requires());
            m.put("span_reward_carries", e.turnReward());
            m.put("span_reward_why", e.turnRewardWhy());
            m.put("reference", e.reference());
            ests.add(m);
        }
        root.put("estimators", ests);
        List<Object> tasks = new ArrayList<>();
        for (ConfigResult c : r.configs()) tasks.add(task(r, c));
        root.put("tasks", tasks);
        List<Object> board = new ArrayList<>();
        for (BenchResult.LeaderRow row : r.leaderboard()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimator", row.estimator());
            m.put("tier", row.tier());
            m.put("tasks", row.tasks());
            for (Map.Entry<String, Double> e : row.means().entrySet()) {
                m.put(e.getKey(), num(e.getValue()));
                double[] ci = row.ci().get(e.getKey());
                List<Object> c = new ArrayList<>();
                c.add(num(ci == null ? Double.NaN : ci[0]));
                c.add(num(ci == null ? Double.NaN : ci[1]));
                m.put(e.getKey() + "_ci", c);
            }
            board.add(m);
        }
        root.put("leaderboard", board);
        List<Object> bs = new ArrayList<>();
        for (BenchResult.BsuiteScore s : r.bsuite()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("experiment", s.experiment());
            m.put("entry", s.entry());
            m.put("estimator", s.estimator());
            m.put("score", num(s.score()));
            m.put("formula", s.formula());
            m.put("settings", s.settings());
            m.put("values", nums(s.values()));
            bs.add(m);
        }
        root.put("bsuite", bs);
        List<Object> claims = new ArrayList<>();
        for (ClaimOutcome co : r.claims()) claims.add(claim(co));
        root.put("claims", claims);
        List<Object> sk = new ArrayList<>();
        for (BenchResult.Skip s : r.skipped()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", s.config());
            m.put("estimator", s.estimator());
            m.put("phase", s.phase());
            m.put("reason", s.reason());
            sk.add(m);
        }
        root.put("skipped", sk);
        Map<String, Object> tm = new LinkedHashMap<>();
        tm.put(
                "note",
                "wall-clock measurements; the only part of this file that differs between runs with the same seed");
        tm.put("created_at", r.timing().createdAt());
        tm.put("threads", r.timing().threads());
        tm.put("total_seconds", num(r.timing().totalSeconds()));
        Map<String, Object> per = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : r.timing().msPerBatch().entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ms_per_batch", num(e.getValue()));
            m.put("batches", r.timing().batchesTimed().get(e.getKey()));
            per.put(e.getKey(), m);
        }
        tm.put("assign_time_per_batch", per);
        if (r.timing().machine() != null) tm.put("machine", r.timing().machine());
        root.put("timing", tm);
        return root;
    }

    private static Map<String, Object> task(BenchResult r, ConfigResult c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("entry", c.entry());
        m.put("family", c.family());
        m.put("in_suite", c.inSuite());
        m.put("leaderboard", c.leaderboard());
        if (c.bsuite() != null) m.put("bsuite", c.bsuite());
        m.put("knobs", c.knobs());
        m.put("explicit_knobs", c.explicitKnobs());
        m.put("metadata", c.metadata());
        m.put("seeds", c.seeds());
        m.put("instances", c.instances());
        m.put("credit_metrics", c.metrics());
        Map<String, Object> cq = new LinkedHashMap<>();
        for (Map.Entry<String, CreditOutcome> e :
                r.credit().getOrDefault(c.id(), Map.of()).entrySet()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("status", e.getValue().status());
            if (e.getValue().reason() != null) o.put("reason", e.getValue().reason());
            Map<String, Object> ms = new LinkedHashMap<>();
            for (Map.Entry<String, Summary> s : e.getValue().metrics().entrySet())
                ms.put(s.getKey(), summary(s.getValue()));
            if (!ms.isEmpty()) o.put("metrics", ms);
            cq.put(e.getKey(), o);
        }
        m.put("credit_quality", cq);
        Map<String, LearnOutcome> lm = r.learning().get(c.id());
        if (lm != null) {
            Map<String, Object> lo = new LinkedHashMap<>();
            for (Map.Entry<String, LearnOutcome> e : lm.entrySet()) {
                LearnOutcome l = e.getValue();
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("status", l.status());
                if (l.reason() != null) o.put("reason", l.reason());
                if (l.status().equals("ok")) {
                    o.put("optimal_success", num(l.optimalSuccess()));
                    o.put("learning_rate", num(l.learningRate()));
                    if (!l.tuning().isEmpty()) {
                        Map<String, Object> tu = new LinkedHashMap<>();
                        for (Map.Entry<Double, Double> t : l.tuning().entrySet())
                            tu.put(String.valueOf(t.getKey()), num(t.getValue()));
                        o.put("tuning_learn_auc_by_rate", tu);
                    }
                    if (!l.rolloutCost().isEmpty()) o.put("extra_rollouts_charged", l.rolloutCost());
                    o.put("episodes_per_update", l.episodesPerUpdate());
                    Map<String, Object> ms = new LinkedHashMap<>();
                    for (Map.Entry<String, Summary> s : l.metrics().entrySet())
                        ms.put(s.getKey(), summary(s.getValue()));
                    o.put("metrics", ms);
                    List<Object> ep = new ArrayList<>();
                    List<Object> mean = new ArrayList<>();
                    List<Object> lo95 = new ArrayList<>();
                    List<Object> hi95 = new ArrayList<>();
                    for (int u = 0; u < l.curve().size(); u++) {
                        ep.add(u * l.episodesPerUpdate());
                        mean.add(num(l.curve().get(u).mean()));
                        lo95.add(num(l.curve().get(u).lo()));
                        hi95.add(num(l.curve().get(u).hi()));
                    }
                    Map<String, Object> curve = new LinkedHashMap<>();
                    curve.put("episodes", ep);
                    curve.put("success_mean", mean);
                    curve.put("ci_low", lo95);
                    curve.put("ci_high", hi95);
                    o.put("curve", curve);
                }
                lo.put(e.getKey(), o);
            }
            m.put("learning", lo);
        }
        if (c.example() != null) {
            List<Object> ex = new ArrayList<>();
            for (BenchResult.ExampleTrajectory t : c.example().trajectories()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("trajectory", t.id());
                o.put("success", t.success());
                o.put("outcome", num(t.outcome()));
                o.put("return", num(t.episodeReturn()));
                o.put("truncated", t.truncated());
                o.put("states", t.states());
                o.put("actions", t.actions());
                o.put("labels", t.labels());
                o.put("true_advantage", nums(t.truth()));
                Map<String, Object> cr = new LinkedHashMap<>();
                for (Map.Entry<String, List<Double>> e : t.credit().entrySet()) cr.put(e.getKey(), nums(e.getValue()));
                o.put("credit", cr);
                ex.add(o);
            }
            m.put("examples", ex);
        }
        return m;
    }

    private static Map<String, Object> claim(ClaimOutcome co) {
        Claim c = co.claim();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("statement", c.statement());
        m.put("source", c.source());
        Map<String, Object> task = new LinkedHashMap<>();
        task.put("family", c.family());
        task.put("knobs", c.knobs());
        if (c.sweepKnob() != null) task.put("sweep", Map.of(c.sweepKnob(), c.sweepValues()));
        m.put("task", task);
        List<Object> es = new ArrayList<>();
        for (EstimatorRef e : c.estimators()) es.add(e.toMap());
        m.put("estimators", es);
        m.put("metric", c.metric());
        m.put("expect", c.expect());
        m.put("status", co.status());
        if (co.reason() != null) m.put("reason", co.reason());
        List<Object> rows = new ArrayList<>();
        for (ClaimRow row : co.rows()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("comparison", row.label());
            o.put("task", row.config());
            o.put("difference", summary(row.difference()));
            o.put("p_value", num(row.p()));
            o.put("p_holm", num(row.pHolm()));
            o.put("verdict", row.verdict());
            Map<String, Object> means = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : row.means().entrySet()) means.put(e.getKey(), num(e.getValue()));
            o.put("means", means);
            rows.add(o);
        }
        m.put("rows", rows);
        return m;
    }

    static Map<String, Object> summary(Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", num(s.mean()));
        m.put("sd", num(s.sd()));
        m.put("n", s.n());
        List<Object> ci = new ArrayList<>();
        ci.add(num(s.lo()));
        ci.add(num(s.hi()));
        m.put("ci95", ci);
        List<Object> ps = new ArrayList<>();
        for (double v : s.perSeed()) ps.add(num(v));
        m.put("per_seed", ps);
        return m;
    }

    /** A number rounded to 7 significant digits, or null for NaN/infinite. */
    public static Object num(double v) {
        if (!Double.isFinite(v)) return null;
        if (v == 0) return 0.0;
        return new BigDecimal(v).round(SIG).doubleValue();
    }

    static List<Object> nums(List<Double> l) {
        List<Object> out = new ArrayList<>();
        for (Double d : l) out.add(d == null ? null : num(d));
        return out;
    }
}
