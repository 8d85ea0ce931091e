package dev.apportion.bench.run;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.learn.Learner;
import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.metrics.CreditMetrics;
import dev.apportion.bench.metrics.NoiseAccumulator;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.ClaimRow;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.EstimatorInfo;
import dev.apportion.bench.run.BenchResult.LearnOutcome;
import dev.apportion.bench.task.Knobs;
import dev.apportion.bench.task.Task;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a benchmark suite and its claims: credit quality of every applicable estimator on every
 * task configuration over many seeds (no training), the learning comparison, bsuite scores,
 * claim verdicts and the leaderboard.
 *
 * <p>Work is split into units (one config × seed for credit quality; one config × estimator ×
 * seed for learning) run on a fixed thread pool; every unit draws from its own
 * {@link SplittableRandom} derived from (root seed, config, seed index), and results are stored
 * by index, so the outcome does not depend on scheduling. Estimators run sequentially inside a
 * unit. Only {@link BenchResult#timing()} varies between runs with the same seed.
 */
public final class Runner {
    private static final int EXAMPLE_TURNS = 40;
    private static final EstimatorInputs INPUTS = EstimatorInputs.builtIn();
    /** Learning metric names, in report order. */
    public static final List<String> LEARNING_METRICS = List.of("learn_auc", "final_success", "episodes_to_threshold",
            "reached_threshold", "train_success_rate", "train_avg_return");

    private Runner() {
    }

    /**
     * What to run.
     *
     * @param suite the suite
     * @param taskFilter suite entry ids or family ids to keep, or null for all
     * @param estimators estimators to compare, or null for every registered one
     * @param claims claims to re-test
     * @param rootSeed root seed
     * @param threads worker threads
     * @param progress progress sink
     * @param registry estimator registry
     */
    public record Options(Suite suite, List<String> taskFilter, List<EstimatorRef> estimators, List<Claim> claims,
                          long rootSeed, int threads, Progress progress, EstimatorRegistry registry) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** A config to run, with the estimators each phase needs. */
    private static final class Plan {
        final String id;
        final String entry;
        final TaskFamily family;
        final Knobs knobs;
        final boolean inSuite;
        final boolean leaderboard;
        final String bsuite;
        final Set<String> creditLabels = new LinkedHashSet<>();
        final Set<String> learnLabels = new LinkedHashSet<>();
        final Map<String, String> inapplicable = new LinkedHashMap<>();
        List<String> metrics;
        boolean tokenLevel;
        boolean agents;

        Plan(String id, String entry, TaskFamily family, Knobs knobs, boolean inSuite, boolean leaderboard, String bsuite) {
            this.id = id;
            this.entry = entry;
            this.family = family;
            this.knobs = knobs;
            this.inSuite = inSuite;
            this.leaderboard = leaderboard;
            this.bsuite = bsuite;
        }
    }

    /** Per (config, seed) credit-quality output. */
    private static final class CreditSeed {
        final Map<String, double[]> values = new LinkedHashMap<>(); // label -> metric values
        final Map<String, String> errors = new LinkedHashMap<>();
        final Map<String, long[]> nanos = new LinkedHashMap<>();   // label -> {nanos, batches}
        Map<String, Object> instance;
        Map<String, Object> metadata;
        BenchResult.Example example;
    }

    /** Runs everything. */
    public static BenchResult run(Options o) {
        long t0 = System.nanoTime();
        Suite suite = o.suite();
        EstimatorRegistry reg = o.registry();
        Map<String, EstimatorRef.Resolved> resolved = new LinkedHashMap<>();
        List<EstimatorRef> suiteRefs = new ArrayList<>();
        if (o.estimators() == null) {
            for (String id : reg.ids()) suiteRefs.add(EstimatorRef.parse(id));
        } else {
            suiteRefs.addAll(o.estimators());
        }
        for (EstimatorRef r : suiteRefs) resolved.put(r.label(), r.resolve(reg));

        // ---- configs ----------------------------------------------------------------------
        Map<String, Plan> byKey = new LinkedHashMap<>();   // canonical knobs -> first plan (claims reuse suite runs)
        Map<String, Plan> plansById = new LinkedHashMap<>();
        Set<String> filter = o.taskFilter() == null ? null : new LinkedHashSet<>(o.taskFilter());
        Set<String> usedFilter = new LinkedHashSet<>();
        for (TaskEntry e : suite.tasks()) {
            if (filter != null) {
                boolean keep = filter.contains(e.id()) || filter.contains(e.family());
                if (!keep) continue;
                if (filter.contains(e.id())) usedFilter.add(e.id());
                if (filter.contains(e.family())) usedFilter.add(e.family());
            }
            TaskFamily f = TaskFamilies.get(e.family());
            List<Object> values = e.sweepKnob() == null ? Collections.singletonList(null) : e.sweepValues();
            for (Object v : values) {
                Map<String, Object> k = new LinkedHashMap<>(e.knobs());
                String id = e.id();
                if (v != null) {
                    k.put(e.sweepKnob(), v);
                    id = e.id() + "[" + e.sweepKnob() + "=" + v + "]";
                }
                Knobs knobs = f.knobs(k);
                Plan p = new Plan(id, e.id(), f, knobs, true, e.leaderboard(), e.bsuite());
                if (plansById.containsKey(id)) {
                    throw new IllegalArgumentException("suite '" + suite.name() + "': task id '" + id + "' appears twice");
                }
                plansById.put(id, p);
                byKey.putIfAbsent(knobs.canonical(), p);
                p.creditLabels.addAll(resolved.keySet());
                if (e.learning()) p.learnLabels.addAll(resolved.keySet());
            }
        }
        if (filter != null) {
            Set<String> unknown = new LinkedHashSet<>(filter);
            unknown.removeAll(usedFilter);
            if (!unknown.isEmpty()) {
                Set<String> known = new LinkedHashSet<>();
                for (TaskEntry e : suite.tasks()) {
                    known.add(e.id());
                    known.add(e.family());
                }
                throw new IllegalArgumentException("--tasks: unknown task " + unknown + " in suite '" + suite.name() + "'; known: "
                        + String.join(", ", known));
            }
        }

        // ---- claims -----------------------------------------------------------------------
        Map<Claim, List<Plan>> claimPlans = new LinkedHashMap<>();
        Map<Claim, String> claimBlocked = new LinkedHashMap<>();
        for (Claim c : o.claims()) {
            List<String> missing = new ArrayList<>();
            for (EstimatorRef r : c.estimators()) {
                if (!reg.has(r.id())) missing.add(r.id());
            }
            if (!missing.isEmpty()) {
                claimBlocked.put(c, "estimator not available: " + String.join(", ", missing) + " (not registered)");
                continue;
            }
            if (filter != null && !filter.contains(c.family())) {
                claimBlocked.put(c, "not run: family '" + c.family() + "' filtered out by --tasks");
                continue;
            }
            boolean learn = LEARNING_METRICS.contains(c.metric());
            TaskFamily f = TaskFamilies.get(c.family());
            List<Plan> plans = new ArrayList<>();
            List<Object> values = c.sweepKnob() == null ? Collections.singletonList(null) : c.sweepValues();
            try {
                for (EstimatorRef r : c.estimators()) {
                    if (!resolved.containsKey(r.label())) resolved.put(r.label(), r.resolve(reg));
                }
                for (Object v : values) {
                    Map<String, Object> k = new LinkedHashMap<>(c.knobs());
                    String id = "claim:" + c.id();
                    if (v != null) {
                        k.put(c.sweepKnob(), v);
                        id += "[" + c.sweepKnob() + "=" + v + "]";
                    }
                    Knobs knobs = f.knobs(k);
                    Plan p = byKey.get(knobs.canonical());
                    if (p == null) {
                        p = new Plan(id, "claim:" + c.id(), f, knobs, false, false, null);
                        byKey.put(knobs.canonical(), p);
                        plansById.put(id, p);
                    }
                    for (EstimatorRef r : c.estimators()) {
                        p.creditLabels.add(r.label());
                        if (learn) p.learnLabels.add(r.label());
                    }
                    plans.add(p);
                }
                claimPlans.put(c, plans);
            } catch (IllegalArgumentException ex) {
                claimBlocked.put(c, "configuration error: " + ex.getMessage());
            }
        }
        List<Plan> plans = new ArrayList<>(plansById.values());

        // ---- applicability ----------------------------------------------------------------
        for (Plan p : plans) {
            SeedStreams ss = new SeedStreams(o.rootSeed(), p.knobs.canonical(), 0);
            Task task = p.family.create(p.knobs, ss.instance);
            Mdp m = task.mdp();
            p.tokenLevel = m.tokensPerTurn() > 1;
            p.agents = m.hasAgents();
            List<String> metrics = new ArrayList<>(CreditMetrics.SPAN);
            metrics.add(CreditMetrics.NOISE);
            if (p.tokenLevel) metrics.addAll(CreditMetrics.TOKEN);
            if (p.agents) metrics.add(CreditMetrics.AGENT);
            p.metrics = metrics;
            TabularPolicy uni = TabularPolicy.uniform(m);
            SampledBatch probe = BatchSampler.sample(task, uni, Solution.of(m, uni), 1, 2, new SplittableRandom(1));
            Set<String> all = new LinkedHashSet<>(p.creditLabels);
            all.addAll(p.learnLabels);
            for (String label : all) {
                EstimatorRef.Resolved e = resolved.get(label);
                EstimatorInputs.Entry in = INPUTS.of(e.estimator().id());
                if (!probe.supports(in.source())) {
                    p.inapplicable.put(label, "task has no step verifier, which '" + e.estimator().id() + "' needs as its turn reward");
                    continue;
                }
                List<String> miss = Requirements.missing(e.estimator().descriptor(), probe.rollouts(in.source()));
                if (!miss.isEmpty()) p.inapplicable.put(label, "task does not provide " + String.join("; ", miss));
            }
        }

        // ---- units ------------------------------------------------------------------------
        List<Runnable> units = new ArrayList<>();
        CreditSeed[][] creditOut = new CreditSeed[plans.size()][suite.seeds()];
        Map<String, LearningRun[]> learnOut = new TreeMap<>();
        Map<String, String[]> learnErr = new TreeMap<>();
        Progress prog = o.progress();
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            for (int si = 0; si < suite.seeds(); si++) {
                final int fp = pi;
                final int fs = si;
                units.add(() -> {
                    creditOut[fp][fs] = creditUnit(p, fs, o, resolved);
                    prog.advance(p.id + " credit seed " + fs);
                });
            }
        }
        for (Plan p : plans) {
            for (String label : p.learnLabels) {
                if (p.inapplicable.containsKey(label)) continue;
                LearningRun[] runs = new LearningRun[suite.learningSeeds()];
                String[] errs = new String[suite.learningSeeds()];
                learnOut.put(p.id + "\u0000" + label, runs);
                learnErr.put(p.id + "\u0000" + label, errs);
                for (int si = 0; si < suite.learningSeeds(); si++) {
                    final int fs = si;
                    units.add(() -> {
                        try {
                            runs[fs] = learnUnit(p, label, fs, o, resolved);
                        } catch (RuntimeException ex) {
                            errs[fs] = message(ex);
                        }
                        prog.advance(p.id + " learning " + label + " seed " + fs);
                    });
                }
            }
        }
        prog.start(units.size());
        execute(units, o.threads());
        prog.finish();

        // ---- aggregate --------------------------------------------------------------------
        List<ConfigResult> configs = new ArrayList<>();
        Map<String, Map<String, CreditOutcome>> credit = new LinkedHashMap<>();
        Map<String, Map<String, LearnOutcome>> learning = new LinkedHashMap<>();
        List<BenchResult.Skip> skipped = new ArrayList<>();
        Map<String, long[]> timing = new TreeMap<>();
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            CreditSeed[] seeds = creditOut[pi];
            List<Map<String, Object>> inst = new ArrayList<>();
            List<Long> seedList = new ArrayList<>();
            for (int si = 0; si < seeds.length; si++) {
                inst.add(seeds[si].instance);
                seedList.add(SeedStreams.seedFor(o.rootSeed(), p.knobs.canonical(), si));
                for (Map.Entry<String, long[]> e : seeds[si].nanos.entrySet()) {
                    long[] acc = timing.computeIfAbsent(e.getKey(), k -> new long[2]);
                    acc[0] += e.getValue()[0];
                    acc[1] += e.getValue()[1];
                }
            }
            configs.add(new ConfigResult(p.id, p.entry, p.family.id(), p.knobs.values(), p.knobs.explicit(), p.inSuite, p.leaderboard,
                    p.bsuite, seeds[0].metadata, inst, seedList, p.metrics, seeds[0].example));
            Map<String, CreditOutcome> cmap = new LinkedHashMap<>();
            for (String label : p.creditLabels) {
                if (p.inapplicable.containsKey(label)) {
                    cmap.put(label, new CreditOutcome("skipped", p.inapplicable.get(label), Map.of()));
                    skipped.add(new BenchResult.Skip(p.id, label, "credit", p.inapplicable.get(label)));
                    continue;
                }
                String err = null;
                for (CreditSeed cs : seeds) {
                    if (cs.errors.containsKey(label)) {
                        err = cs.errors.get(label);
                        break;
                    }
                }
                if (err != null) {
                    cmap.put(label, new CreditOutcome("error", err, Map.of()));
                    skipped.add(new BenchResult.Skip(p.id, label, "credit", "error: " + err));
                    continue;
                }
                Map<String, Summary> ms = new LinkedHashMap<>();
                for (int mi = 0; mi < p.metrics.size(); mi++) {
                    double[] v = new double[seeds.length];
                    for (int si = 0; si < seeds.length; si++) v[si] = seeds[si].values.get(label)[mi];
                    ms.put(p.metrics.get(mi), Summary.of(v));
                }
                cmap.put(label, new CreditOutcome("ok", null, ms));
            }
            credit.put(p.id, cmap);
            Map<String, LearnOutcome> lmap = new LinkedHashMap<>();
            for (String label : p.learnLabels) {
                if (p.inapplicable.containsKey(label)) {
                    lmap.put(label, new LearnOutcome("skipped", p.inapplicable.get(label), Map.of(), List.of(), 0, Double.NaN));
                    continue;
                }
                LearningRun[] runs = learnOut.get(p.id + "\u0000" + label);
                String[] errs = learnErr.get(p.id + "\u0000" + label);
                String err = null;
                for (String e : errs) {
                    if (e != null) {
                        err = e;
                        break;
                    }
                }
                if (err != null) {
                    lmap.put(label, new LearnOutcome("error", err, Map.of(), List.of(), 0, Double.NaN));
                    skipped.add(new BenchResult.Skip(p.id, label, "learning", "error: " + err));
                    continue;
                }
                lmap.put(label, summarise(runs));
            }
            if (!lmap.isEmpty()) learning.put(p.id, lmap);
        }

        List<EstimatorInfo> infos = new ArrayList<>();
        for (EstimatorRef.Resolved r : resolved.values()) {
            var d = r.estimator().descriptor();
            List<String> req = new ArrayList<>();
            for (SignalRequirement sr : d.requires()) req.add(sr.toString());
            EstimatorInputs.Entry in = INPUTS.of(d.id());
            infos.add(new EstimatorInfo(r.ref(), d.id(), d.title(), d.source(), d.granularity().wireName(), d.methodology().wireName(),
                    d.fidelity().wireName(), r.params().values(), req, in.source().wireName(), in.why()));
        }

        List<BenchResult.BsuiteScore> bsuite = Bsuite.scores(suite, configs, learning);
        List<ClaimOutcome> claims = new ArrayList<>();
        for (Claim c : o.claims()) {
            if (claimBlocked.containsKey(c)) {
                String why = claimBlocked.get(c);
                claims.add(new ClaimOutcome(c, why.startsWith("estimator not available") ? "estimator not available"
                        : why.startsWith("not run") ? "not run" : "error", why, List.of()));
            } else {
                claims.add(evaluate(c, claimPlans.get(c), credit, learning));
            }
        }
        List<BenchResult.LeaderRow> board = Leaderboard.rows(configs, credit, learning, suiteRefs);
        Map<String, Double> ms = new TreeMap<>();
        Map<String, Long> nb = new TreeMap<>();
        for (Map.Entry<String, long[]> e : timing.entrySet()) {
            ms.put(e.getKey(), e.getValue()[1] == 0 ? Double.NaN : e.getValue()[0] / 1e6 / e.getValue()[1]);
            nb.put(e.getKey(), e.getValue()[1]);
        }
        BenchResult.Timing tm = new BenchResult.Timing((System.nanoTime() - t0) / 1e9, ms, nb,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), o.threads());
        return new BenchResult(suite, o.rootSeed(), infos, configs, credit, learning, bsuite, claims, skipped, board, tm);
    }

    // ---- credit quality unit ----------------------------------------------------------------

    private static CreditSeed creditUnit(Plan p, int seed, Options o, Map<String, EstimatorRef.Resolved> resolved) {
        Suite suite = o.suite();
        SeedStreams ss = new SeedStreams(o.rootSeed(), p.knobs.canonical(), seed);
        Task task = p.family.create(p.knobs, ss.instance);
        Mdp m = task.mdp();
        TabularPolicy policy = TabularPolicy.random(m, suite.policyLogitScale(), ss.policy);
        Solution sol = Solution.of(m, policy);
        CreditSeed out = new CreditSeed();
        out.instance = task.instance();
        out.metadata = task.metadata();
        List<String> labels = new ArrayList<>();
        for (String l : p.creditLabels) if (!p.inapplicable.containsKey(l)) labels.add(l);
        int nm = p.metrics.size();
        Map<String, double[]> sums = new LinkedHashMap<>();
        Map<String, int[]> counts = new LinkedHashMap<>();
        Map<String, NoiseAccumulator> noise = new LinkedHashMap<>();
        for (String l : labels) {
            sums.put(l, new double[nm]);
            counts.put(l, new int[nm]);
            noise.put(l, new NoiseAccumulator());
            out.nanos.put(l, new long[2]);
        }
        int noiseIdx = p.metrics.indexOf(CreditMetrics.NOISE);
        for (int b = 0; b < suite.batches(); b++) {
            SampledBatch batch = BatchSampler.sample(task, policy, sol, suite.groups(), suite.groupSize(), ss.batch);
            Map<String, double[]> exampleCredit = b == 0 && seed == 0 && p.inSuite && p.leaderboard ? new LinkedHashMap<>() : null;
            for (String l : labels) {
                if (out.errors.containsKey(l)) continue;
                EstimatorRef.Resolved e = resolved.get(l);
                Rollouts r = batch.rollouts(INPUTS.of(e.estimator().id()).source());
                Credit c;
                long n0 = System.nanoTime();
                try {
                    c = e.estimator().assign(r, e.params(), Execution.sequential());
                    check(c, r, e.label());
                } catch (RuntimeException ex) {
                    out.errors.put(l, message(ex));
                    continue;
                }
                long[] tm = out.nanos.get(l);
                tm[0] += System.nanoTime() - n0;
                tm[1]++;
                Map<String, Double> mv = CreditMetrics.evaluate(batch, c, p.tokenLevel, p.agents);
                double[] s = sums.get(l);
                int[] k = counts.get(l);
                for (int mi = 0; mi < nm; mi++) {
                    Double v = mv.get(p.metrics.get(mi));
                    if (v != null && !Double.isNaN(v)) {
                        s[mi] += v;
                        k[mi]++;
                    }
                }
                double[] sc = CreditMetrics.spanCredit(r, c);
                NoiseAccumulator na = noise.get(l);
                for (int span : batch.policySpans()) na.add(batch.spanKey()[span], sc[span]);
                if (exampleCredit != null) exampleCredit.put(l, sc);
            }
            if (exampleCredit != null) out.example = Examples.capture(task, batch, exampleCredit, EXAMPLE_TURNS);
        }
        for (String l : labels) {
            if (out.errors.containsKey(l)) continue;
            double[] v = new double[nm];
            double[] s = sums.get(l);
            int[] k = counts.get(l);
            for (int mi = 0; mi < nm; mi++) v[mi] = k[mi] == 0 ? Double.NaN : s[mi] / k[mi];
            if (noiseIdx >= 0) v[noiseIdx] = noise.get(l).value();
            out.values.put(l, v);
        }
        return out;
    }

    private static void check(Credit c, Rollouts r, String label) {
        float[] a = c.advantages();
        if (a == null || a.length != r.tokenCount()) {
            throw new IllegalStateException("estimator '" + label + "' returned " + (a == null ? "no" : a.length) + " advantages for "
                    + r.tokenCount() + " tokens");
        }
        for (float x : a) {
            if (!Float.isFinite(x)) throw new IllegalStateException("estimator '" + label + "' returned a non-finite advantage " + x);
        }
    }

    // ---- learning unit ----------------------------------------------------------------------

    private static LearningRun learnUnit(Plan p, String label, int seed, Options o, Map<String, EstimatorRef.Resolved> resolved) {
        SeedStreams ss = new SeedStreams(o.rootSeed(), p.knobs.canonical(), seed);
        Task task = p.family.create(p.knobs, ss.instance);
        EstimatorRef.Resolved e = resolved.get(label);
        return Learner.run(task, e.estimator(), e.params(), INPUTS.of(e.estimator().id()).source(), o.suite().learning(),
                new SplittableRandom(ss.learnSeed));
    }

    private static LearnOutcome summarise(LearningRun[] runs) {
        int n = runs.length;
        Map<String, Summary> ms = new LinkedHashMap<>();
        double[][] v = new double[LEARNING_METRICS.size()][n];
        for (int i = 0; i < n; i++) {
            LearningRun r = runs[i];
            v[0][i] = r.auc();
            v[1][i] = r.finalSuccess();
            v[2][i] = r.episodesToThreshold();
            v[3][i] = r.reached() ? 1 : 0;
            v[4][i] = r.trainSuccessRate();
            v[5][i] = r.trainAverageReturn();
        }
        for (int k = 0; k < LEARNING_METRICS.size(); k++) ms.put(LEARNING_METRICS.get(k), Summary.of(v[k]));
        int points = runs[0].success().length;
        List<Summary> curve = new ArrayList<>();
        for (int u = 0; u < points; u++) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) x[i] = runs[i].success()[u];
            curve.add(Summary.of(x));
        }
        return new LearnOutcome("ok", null, ms, curve, runs[0].episodesPerUpdate(), runs[0].optimalSuccess());
    }

    // ---- claims -----------------------------------------------------------------------------

    private static ClaimOutcome evaluate(Claim c, List<Plan> plans, Map<String, Map<String, CreditOutcome>> credit,
                                         Map<String, Map<String, LearnOutcome>> learning) {
        boolean learn = LEARNING_METRICS.contains(c.metric());
        List<ClaimRow> rows = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (c.expect().equals("greater") || c.expect().equals("less")) {
            String a = c.estimators().get(0).label();
            String b = c.estimators().get(1).label();
            for (Plan p : plans) {
                Summary sa = metric(p.id, a, c.metric(), learn, credit, learning, problems);
                Summary sb = metric(p.id, b, c.metric(), learn, credit, learning, problems);
                if (sa == null || sb == null) continue;
                Summary d = Summary.of(diff(sa.perSeed(), sb.perSeed()));
                Map<String, Double> means = new LinkedHashMap<>();
                means.put(a, sa.mean());
                means.put(b, sb.mean());
                rows.add(new ClaimRow(a + " - " + b, p.id, d, verdict(d, c.expect().equals("greater")), means));
            }
        } else {
            Plan first = plans.get(0);
            Plan last = plans.get(plans.size() - 1);
            for (EstimatorRef r : c.estimators()) {
                Map<String, Double> means = new LinkedHashMap<>();
                boolean ok = true;
                for (Plan p : plans) {
                    Summary s = metric(p.id, r.label(), c.metric(), learn, credit, learning, problems);
                    if (s == null) {
                        ok = false;
                        break;
                    }
                    means.put(p.id, s.mean());
                }
                if (!ok) continue;
                Summary sf = metric(first.id, r.label(), c.metric(), learn, credit, learning, problems);
                Summary sl = metric(last.id, r.label(), c.metric(), learn, credit, learning, problems);
                Summary d = Summary.of(diff(sf.perSeed(), sl.perSeed()));
                rows.add(new ClaimRow(r.label() + ": first - last", first.id + " vs " + last.id, d,
                        verdict(d, c.expect().equals("decreasing")), means));
            }
        }
        String status;
        if (rows.isEmpty()) status = "error";
        else if (rows.stream().allMatch(x -> x.verdict().equals("holds"))) status = "holds";
        else if (rows.stream().anyMatch(x -> x.verdict().equals("contradicted"))) status = "contradicted";
        else status = "inconclusive";
        return new ClaimOutcome(c, status, problems.isEmpty() ? null : String.join("; ", problems), rows);
    }

    private static Summary metric(String config, String label, String metric, boolean learn,
                                  Map<String, Map<String, CreditOutcome>> credit, Map<String, Map<String, LearnOutcome>> learning,
                                  List<String> problems) {
        if (learn) {
            LearnOutcome lo = learning.getOrDefault(config, Map.of()).get(label);
            if (lo == null || !lo.status().equals("ok")) {
                problems.add(label + " on " + config + ": " + (lo == null ? "not run" : lo.status() + " (" + lo.reason() + ")"));
                return null;
            }
            return lo.metrics().get(metric);
        }
        CreditOutcome co = credit.getOrDefault(config, Map.of()).get(label);
        if (co == null || !co.status().equals("ok")) {
            problems.add(label + " on " + config + ": " + (co == null ? "not run" : co.status() + " (" + co.reason() + ")"));
            return null;
        }
        Summary s = co.metrics().get(metric);
        if (s == null) problems.add("metric '" + metric + "' is not computed on " + config);
        return s;
    }

    private static double[] diff(double[] a, double[] b) {
        int n = Math.min(a.length, b.length);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[i] - b[i];
        return d;
    }

    private static String verdict(Summary d, boolean positive) {
        if (d.n() < 2) return "inconclusive";
        if (positive ? d.above(0) : d.below(0)) return "holds";
        if (positive ? d.below(0) : d.above(0)) return "contradicted";
        return "inconclusive";
    }

    // ---- plumbing ---------------------------------------------------------------------------

    static String message(Throwable ex) {
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static void execute(List<Runnable> units, int threads) {
        if (threads == 1) {
            for (Runnable r : units) r.run();
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "apportion-bench");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Runnable r : units) fs.add(pool.submit(r));
            dev.apportion.core.credit.Execution.awaitAll(fs);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The random streams of one (config, seed): instance, policy, batches, learning. */
    static final class SeedStreams {
        final SplittableRandom instance;
        final SplittableRandom policy;
        final SplittableRandom batch;
        final long learnSeed;

        SeedStreams(long root, String config, int seed) {
            SplittableRandom r = new SplittableRandom(seedFor(root, config, seed));
            instance = r.split();
            policy = r.split();
            batch = r.split();
            learnSeed = r.nextLong();
        }

        /** The seed of (root, config, seed index): SplitMix64 mixing of the three. */
        static long seedFor(long root, String config, int seed) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < config.length(); i++) {
                h ^= config.charAt(i);
                h *= 0x100000001b3L;
            }
            return mix(mix(root) ^ mix(h) ^ mix(0x51ED270B27A5E4A1L + seed));
        }

        private static long mix(long z) {
            z += 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
