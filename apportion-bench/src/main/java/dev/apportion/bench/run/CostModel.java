package dev.apportion.bench.run;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.Task;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Estimated cost of a work unit in seconds of one core, for the progress bar's time left and
 * {@code bench --plan}. A unit's cost grows with the policy tokens it samples:
 * <ul>
 *   <li>credit unit: {@code CREDIT_BASE + batches × episodes × tokens/episode × (estimators + 1) × CREDIT_TOKEN};
 *   <li>learning unit: {@code updates × (LEARN_UPDATE + episodes × tokens/episode × LEARN_TOKEN)};
 * </ul>
 * both times {@code OVERHEAD} (garbage collection, compilation and the coordinating thread), where
 * tokens/episode is measured on 32 episodes of the uniform policy on the seed-0 instance. The
 * constants were fitted to the per-unit CPU times a run journals ({@code cpu_ms}), measured on
 * this project's 2-core machine on 17 configurations spanning every family (umbrella chains of 1
 * and 100 steps, key-to-door 23–103, bifurcation horizons 2–64): within a factor of about 1.5 per
 * configuration; {@code OVERHEAD} makes the sum match the process's CPU time on that run.
 */
final class CostModel {
    static final double CREDIT_BASE = 0.015;
    static final double CREDIT_TOKEN = 0.42e-6;
    static final double LEARN_UPDATE = 50e-6;
    static final double LEARN_TOKEN = 0.72e-6;
    static final double OVERHEAD = 1.3;

    private final Suite suite;
    private final long rootSeed;
    private final Map<String, double[]> sizes = new HashMap<>();

    CostModel(Suite suite, long rootSeed) {
        this.suite = suite;
        this.rootSeed = rootSeed;
    }

    /** {tokens per episode, (state, action) pairs} of {@code p}'s seed-0 instance. */
    double[] size(Plan p) {
        return sizes.computeIfAbsent(p.id, k -> {
            Runner.SeedStreams ss = new Runner.SeedStreams(rootSeed, p.seedKey(), 0);
            Task task = p.family.create(p.knobs, ss.instance);
            Mdp m = task.mdp();
            TabularPolicy uni = TabularPolicy.uniform(m);
            SampledBatch b = BatchSampler.sample(task, uni, Solution.of(m, uni), 4, 8, new SplittableRandom(3));
            double tokens = b.policyTokens().length / 32.0;
            return new double[] {tokens, m.pairCount()};
        });
    }

    /** Estimated seconds of one credit unit (one seed: every applicable estimator on every batch). */
    double credit(Plan p) {
        double[] s = size(p);
        int labels = 0;
        for (String l : p.creditLabels) if (!p.inapplicable.containsKey(l)) labels++;
        double episodes = (double) suite.groups() * suite.groupSize();
        return OVERHEAD * (CREDIT_BASE + suite.batches() * episodes * s[0] * (labels + 1) * CREDIT_TOKEN);
    }

    /** Estimated seconds of one learning unit (one estimator, one rate, one seed). */
    double learn(Plan p) {
        double[] s = size(p);
        var l = suite.learning();
        return OVERHEAD * l.updates() * (LEARN_UPDATE + l.episodesPerUpdate() * s[0] * LEARN_TOKEN);
    }
}
