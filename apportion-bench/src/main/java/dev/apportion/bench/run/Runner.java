package dev.apportion.bench.run;

import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ClaimOutcome;
import dev.apportion.bench.run.BenchResult.EstimatorInfo;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.SignalRequirement;
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
     */
    public record Options(
            Suite suite,
            List<String> taskFilter,
            List<EstimatorRef> estimators,
            List<Claim> claims,
            long rootSeed,
            int threads,
            Progress progress,
            EstimatorRegistry registry) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /**
     * Runs everything, in four stages: {@link Planning} (configurations, applicability, tiers),
     * execution units ({@link Units}: credit quality per config × seed, learning-rate tuning on
     * seeds disjoint from the reported ones, then the reported learning runs), {@link Aggregation}
     * (summaries, skips, the {@link Leaderboard}) and {@link ClaimEvaluator claims}.
     */
    public static BenchResult run(Options o) {
        long t0 = System.nanoTime();
        Suite suite = o.suite();
        Planning.Result plan = Planning.plan(o);
        List<Plan> plans = plan.plans;
        Map<String, EstimatorRef.Resolved> resolved = plan.resolved;
        Progress prog = o.progress();

        // ---- stage 2a: credit units and learning-rate tuning units ----------------------------
        List<Runnable> units = new ArrayList<>();
        Units.CreditSeed[][] creditOut = new Units.CreditSeed[plans.size()][suite.seeds()];
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            for (int si = 0; si < suite.seeds(); si++) {
                final int fp = pi;
                final int fs = si;
                units.add(() -> {
                    creditOut[fp][fs] = Units.credit(p, fs, o, resolved);
                    prog.advance(p.id + " credit seed " + fs);
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
                        units.add(() -> {
                            try {
                                auc[fg][fs] = Units.learn(
                                                p, label, grid.get(fg), Units.TUNING_SEED_OFFSET + fs, o, resolved)
                                        .auc();
                            } catch (RuntimeException ex) {
                                auc[fg][fs] = Double.NaN;
                            }
                            prog.advance(p.id + " tuning " + label);
                        });
                    }
                }
            }
        }
        int reportedUnits = 0;
        for (Map<String, Aggregation.LearnCell> m : cells) reportedUnits += m.size() * suite.learningSeeds();
        prog.start(units.size() + reportedUnits);
        execute(units, o.threads());

        // ---- stage 2b: reported learning runs at each estimator's chosen rate ------------------
        units.clear();
        for (int pi = 0; pi < plans.size(); pi++) {
            Plan p = plans.get(pi);
            for (Map.Entry<String, Aggregation.LearnCell> en : cells.get(pi).entrySet()) {
                String label = en.getKey();
                Aggregation.LearnCell cell = en.getValue();
                if (tune) chooseRate(cell, grid, tuningAuc.get(p.id + "\u0000" + label));
                cell.runs = new LearningRun[suite.learningSeeds()];
                cell.errors = new String[suite.learningSeeds()];
                for (int si = 0; si < suite.learningSeeds(); si++) {
                    final int fs = si;
                    units.add(() -> {
                        try {
                            cell.runs[fs] = Units.learn(p, label, cell.lr, fs, o, resolved);
                        } catch (RuntimeException ex) {
                            cell.errors[fs] = message(ex);
                        }
                        prog.advance(p.id + " learning " + label + " seed " + fs);
                    });
                }
            }
        }
        execute(units, o.threads());
        prog.finish();

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
        Map<String, String> tiers = new LinkedHashMap<>();
        for (Plan p : plans) {
            if (!p.inSuite) continue;
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
                o.threads());
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
