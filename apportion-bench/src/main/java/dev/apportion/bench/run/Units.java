package dev.apportion.bench.run;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.batch.Signals;
import dev.apportion.bench.estimators.BenchReference;
import dev.apportion.bench.learn.Learner;
import dev.apportion.bench.learn.LearningConfig;
import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.metrics.CreditMetrics;
import dev.apportion.bench.metrics.NoiseAccumulator;
import dev.apportion.bench.task.Task;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Execution units, the second stage: one credit-quality unit per (configuration, seed) — every
 * applicable estimator on the same batches — and one learning unit per (configuration,
 * estimator, learning rate, seed). Units are independent and deterministic given their seed.
 */
final class Units {
    private static final int EXAMPLE_TURNS = 40;
    /** Seed indices of learning-rate tuning runs start here, so they never coincide with reported seeds. */
    static final int TUNING_SEED_OFFSET = 1_000_000;

    /** Per (config, seed) credit-quality output. */
    static final class CreditSeed {
        final Map<String, double[]> values = new LinkedHashMap<>(); // label -> metric values
        final Map<String, String> errors = new LinkedHashMap<>();
        final Map<String, long[]> nanos = new LinkedHashMap<>(); // label -> {nanos, batches}
        Map<String, Object> instance;
        Map<String, Object> metadata;
        dev.apportion.bench.run.BenchResult.Example example;
    }

    private Units() {}

    static CreditSeed credit(Plan p, int seed, Runner.Options o, Map<String, EstimatorRef.Resolved> resolved) {
        Suite suite = o.suite();
        Runner.SeedStreams ss = new Runner.SeedStreams(o.rootSeed(), p.seedKey(), seed);
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
            Map<String, double[]> exampleCredit =
                    b == 0 && seed == 0 && p.inSuite && p.leaderboard ? new LinkedHashMap<>() : null;
            for (String l : labels) {
                if (out.errors.containsKey(l)) continue;
                EstimatorRef.Resolved e = resolved.get(l);
                Rollouts r = e.estimator().unwrap() instanceof BenchReference
                        ? batch.referenceRollouts()
                        : batch.rollouts(
                                Planning.INPUTS.of(e.estimator().id()).source(),
                                Signals.needsDerived(e.estimator().descriptor()));
                Credit c;
                long n0 = System.nanoTime();
                try {
                    c = e.estimator().assign(r, e.params(), Execution.sequential());
                    check(c, r, e.label());
                } catch (RuntimeException ex) {
                    out.errors.put(l, Runner.message(ex));
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
            throw new IllegalStateException("estimator '" + label + "' returned " + (a == null ? "no" : a.length)
                    + " advantages for " + r.tokenCount() + " tokens");
        }
        for (float x : a) {
            if (!Float.isFinite(x))
                throw new IllegalStateException("estimator '" + label + "' returned a non-finite advantage " + x);
        }
    }

    /** One learning run of {@code label} on {@code p} at learning rate {@code lr}, seed index {@code seed}. */
    static LearningRun learn(
            Plan p, String label, double lr, int seed, Runner.Options o, Map<String, EstimatorRef.Resolved> resolved) {
        Runner.SeedStreams ss = new Runner.SeedStreams(o.rootSeed(), p.seedKey(), seed);
        Task task = p.family.create(p.knobs, ss.instance);
        EstimatorRef.Resolved e = resolved.get(label);
        LearningConfig base = o.suite().learning();
        LearningConfig cfg =
                new LearningConfig(base.groups(), base.groupSize(), base.updates(), lr, base.successThreshold());
        return Learner.run(
                task,
                e.estimator(),
                e.params(),
                Planning.INPUTS.of(e.estimator().id()).source(),
                cfg,
                Planning.cost(e, p.knobs),
                new SplittableRandom(ss.learnSeed));
    }
}
