package dev.apportion.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.EstimatorInfo;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.SignalRequirement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    /** Learning metric names, in report order. */
    public static final List<String> LEARNING_METRICS = List.of(
            "learn_auc",
            "final_success",
            "episodes_to_threshold",
            "reached_threshold",
            "train_success_rate",
            "train_avg_return",
            "return_auc");

    private Runner() {}

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
     * @param journalDir directory of the run's {@link Journal} (completed units, for resuming), or null for none
     * @param resume keep the units an existing journal of the same run holds (else start a new journal)
     * @param code identifies the code that runs (the build's commit); a journal of other code is refused
     */
    public record Options(
            Suite suite,
            List<String> taskFilter,
            List<EstimatorRef> estimators,
            List<Claim> claims,
            long rootSeed,
            int threads,
            Progress progress,
            EstimatorRegistry registry,
            Path journalDir,
            boolean resume,
            String code) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }

        /** Options without a journal. */
        public Options(
                Suite suite,
                List<String> taskFilter,
                List<EstimatorRef> estimators,
                List<Claim> claims,
                long rootSeed,
                int threads,
                Progress progress,
                EstimatorRegistry registry) {
            this(suite, taskFilter, estimators, claims, rootSeed, threads, progress, registry, null, false, null);
        }
    }

    /** The work a run would do, per configuration, with an estimate of its cost; runs nothing. */
    public static RunPlan plan(Options o) {
        Planning.Result plan = Planning.plan(o);
        return RunPlan.of(o, plan);
    }

    /**
     * Runs everything, in four stages: {@link Planning} (configurations, applicability, tiers),
     * execution units ({@link Units}: credit quality per config × seed, learning-rate tuning on
     * seeds disjoint from the reported ones, then the reported learning runs), {@link Aggregation}
     * (summaries, skips, the {@link Leaderboard}) and {@link ClaimEvaluator claims}.
     */
    public static BenchResult run(Options o) {
        long t0 = System.nanoTime();
        double loadAtStart = MachineInfo.loadAverage();
        Suite suite = o.suite();
        Planning.Result plan = Planning.plan(o);
        List<Plan> plans = plan.plans;
        Map<String, EstimatorRef.Resolved> resolved = plan.resolved;
        Progress prog = o.progress();

        Journal journal = openJournal(o);
        CostModel cost = new CostModel(suite, o.rootSeed());
        Tally tally = new Tally();

        // ---- stage 2a: credit units and learning-rate tuning units ----------------------------
        List<Runnable> units = new ArrayList<>();
        Units.CreditSeed[][] creditOut = new Units.CreditSeed[plans.size()][suite.seeds()];
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            double w = cost.credit(p);
            for (int si = 0; si < suite.seeds(); si++) {
                final int fp = pi;
                final int fs = si;
                String key = "credit|" + p.id + "|" + si;
                JsonNode done = journal == null ? null : journal.take(key);
                if (done != null) {
                    creditOut[fp][fs] = UnitCodec.credit(done);
                    tally.resumed(w);
                    continue;
                }
                tally.planned(w);
                units.add(() -> {
                    long c0 = cpuNanos();
                    creditOut[fp][fs] = Units.credit(p, fs, o, resolved);
                    if (journal != null) journal.append(key, UnitCodec.credit(creditOut[fp][fs]), cpuNanos() - c0);
                    prog.advance(p.id + " credit seed " + fs, w);
                });
            }
        }
        List<Double> grid = suite.learningRateGrid();
        boolean tune = grid.size() > 1 && suite.tuningSeeds() > 0;
        List<Map<String, Aggregation.LearnCell>> cells = new ArrayList<>();
        Map<String, double[][]> tuningAuc = new LinkedHashMap<>(); // plan id \0 label -> [grid][seed]
        for (Plan p : plans) {
            Map<String, Aggregation.LearnCell> m = new LinkedHashMap<>();
            cells.add(m);
            double w = cost.learn(p);
            for (String label : p.learnLabels) {
                if (p.inapplicable.containsKey(label)) continue;
                Aggregation.LearnCell cell = new Aggregation.LearnCell();
                cell.lr = suite.learning().learningRate();
                cell.cost = Planning.cost(resolved.get(label), p.knobs);
                m.put(label, cell);
                if (!tune) continue;
                double[][] auc = new double[grid.size()][suite.tuningSeeds()];
                tuningAuc.put(p.id + "\u0000" + label, auc);
                for (int g = 0; g < grid.size(); g++) {
                    for (int si = 0; si < suite.tuningSeeds(); si++) {
                        final int fg = g;
                        final int fs = si;
                        String key = "tune|" + p.id + "|" + label + "|" + grid.get(g) + "|" + si;
                        JsonNode done = journal == null ? null : journal.take(key);
                        if (done != null) {
                            auc[fg][fs] = UnitCodec.tuning(done);
                            tally.resumed(w);
                            continue;
                        }
                        tally.planned(w);
                        units.add(() -> {
                            long c0 = cpuNanos();
                            try {
                                auc[fg][fs] = Units.learn(
                                                p, label, grid.get(fg), Units.TUNING_SEED_OFFSET + fs, o, resolved)
                                        .auc();
                            } catch (RuntimeException ex) {
                                auc[fg][fs] = Double.NaN;
                            }
                            if (journal != null) journal.append(key, UnitCodec.tuning(auc[fg][fs]), cpuNanos() - c0);
                            prog.advance(p.id + " tuning " + label, w);
                        });
                    }
                }
            }
        }
        for (int pi = 0; pi < plans.size(); pi++) {
            double w = cost.learn(plans.get(pi));
            for (int k = 0; k < cells.get(pi).size() * suite.learningSeeds(); k++) tally.planned(w);
        }
        prog.start(
                tally.units + tally.resumedUnits,
                tally.cost + tally.resumedCost,
                tally.resumedUnits,
                tally.resumedCost);
        execute(units, o.threads());

        // ---- stage 2b: reported learning runs at each estimator's chosen rate ------------------
        units.clear();
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            double w = cost.learn(p);
            for (Map.Entry<String, Aggregation.LearnCell> en : cells.get(pi).entrySet()) {
                String label = en.getKey();
                Aggregation.LearnCell cell = en.getValue();
                if (tune) chooseRate(cell, grid, tuningAuc.get(p.id + "\u0000" + label));
                cell.runs = new LearningRun[suite.learningSeeds()];
                cell.errors = new String[suite.learningSeeds()];
                for (int si = 0; si < suite.learningSeeds(); si++) {
                    final int fs = si;
                    String key = "learn|" + p.id + "|" + label + "|" + cell.lr + "|" + si;
                    JsonNode done = journal == null ? null : journal.take(key);
                    if (done != null) {
                        cell.errors[fs] = UnitCodec.learningError(done);
                        if (cell.errors[fs] == null) cell.runs[fs] = UnitCodec.learning(done);
                        tally.units--;
                        tally.cost -= w;
                        tally.resumed(w);
                        prog.skip(w);
                        continue;
                    }
                    units.add(() -> {
                        long c0 = cpuNanos();
                        try {
                            cell.runs[fs] = Units.learn(p, label, cell.lr, fs, o, resolved);
                        } catch (RuntimeException ex) {
                            cell.errors[fs] = message(ex);
                        }
                        if (journal != null)
                            journal.append(key, UnitCodec.learning(cell.runs[fs], cell.errors[fs]), cpuNanos() - c0);
                        prog.advance(p.id + " learning " + label + " seed " + fs, w);
                    });
                }
            }
        }
        execute(units, o.threads());
        prog.finish();
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + journal.file() + ": " + e.getMessage(), e);
            }
        }

        // ---- stage 3: aggregation --------------------------------------------------------------
        Aggregation agg = new Aggregation();
        for (int pi = 0; pi < plans.size(); pi++) agg.add(plans.get(pi), creditOut[pi], cells.get(pi), o.rootSeed());
        List<EstimatorInfo> infos = new ArrayList<>();
        for (EstimatorRef.Resolved r : resolved.values()) {
            var d = r.estimator().descriptor();
            List<String> req = new ArrayList<>();
            for (SignalRequirement sr : d.requires()) req.add(sr.toString());
            EstimatorInputs.Entry in = Planning.INPUTS.of(d.id());
            infos.add(new EstimatorInfo(
                    r.ref(),
                    d.id(),
                    d.title(),
                    d.source(),
                    d.granularity().wireName(),
                    d.methodology().wireName(),
                    d.fidelity().wireName(),
                    r.params().values(),
                    req,
                    in.source().wireName(),
                    in.why(),
                    r.estimator().unwrap() instanceof dev.apportion.bench.estimators.BenchReference));
        }
        List<BenchResult.BsuiteScore> bsuite = Bsuite.scores(suite, agg.configs, agg.learning);

        // ---- stage 4: claims and leaderboard -------------------------------------------------
        List<ClaimOutcome> claims = ClaimEvaluator.evaluateAll(o.claims(), plan, agg.credit, agg.learning);
        // a row's tier is the highest tier its estimator had on the configurations the row averages
        // (the leaderboard tasks, as in Leaderboard.rows), not on sweeps such as signal_noise 0
        Map<String, String> tiers = new LinkedHashMap<>();
        boolean anyBoard = false;
        for (Plan p : plans) anyBoard |= p.inSuite && p.leaderboard;
        for (Plan p : plans) {
            if (!p.inSuite || (anyBoard && !p.leaderboard)) continue;
            for (Map.Entry<String, String> t : p.tiers.entrySet()) tiers.merge(t.getKey(), t.getValue(), Tiers::max);
        }
        List<BenchResult.LeaderRow> board =
                Leaderboard.rows(agg.configs, agg.credit, agg.learning, plan.suiteRefs, tiers);
        Map<String, Double> ms = new TreeMap<>();
        Map<String, Long> nb = new TreeMap<>();
        for (Map.Entry<String, long[]> e : agg.timing.entrySet()) {
            ms.put(e.getKey(), e.getValue()[1] == 0 ? Double.NaN : e.getValue()[0] / 1e6 / e.getValue()[1]);
            nb.put(e.getKey(), e.getValue()[1]);
        }
        BenchResult.Timing tm = new BenchResult.Timing(
                (System.nanoTime() - t0) / 1e9,
                ms,
                nb,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                o.threads(),
                MachineInfo.describe(loadAtStart, tally.units, tally.resumedUnits));
        return new BenchResult(
                suite,
                o.rootSeed(),
                infos,
                agg.configs,
                agg.credit,
                agg.learning,
                bsuite,
                claims,
                agg.skipped,
                board,
                tm);
    }

    /** The grid value with the best mean tuning learn_auc (first on ties); records every grid mean. */
    private static void chooseRate(Aggregation.LearnCell cell, List<Double> grid, double[][] auc) {
        double best = Double.NEGATIVE_INFINITY;
        for (int g = 0; g < grid.size(); g++) {
            double m = Summary.of(auc[g]).mean();
            cell.tuning.put(grid.get(g), m);
            if (!Double.isNaN(m) && m > best) {
                best = m;
                cell.lr = grid.get(g);
            }
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of the current thread, or 0 when the JVM cannot measure it. */
    private static long cpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }

    private static Journal openJournal(Options o) {
        if (o.journalDir() == null) return null;
        try {
            return Journal.open(o.journalDir(), Journal.fingerprint(o, o.code()), o.resume());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the journal in " + o.journalDir() + ": " + e.getMessage(), e);
        }
    }

    /** Units and estimated cost still to run, and those read back from the journal. */
    private static final class Tally {
        int units;
        double cost;
        int resumedUnits;
        double resumedCost;

        void planned(double w) {
            units++;
            cost += w;
        }

        void resumed(double w) {
            resumedUnits++;
            resumedCost += w;
        }
    }

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
