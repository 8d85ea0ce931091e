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
 * Estimated cost of a work unit in seconds of one idle core, for the progress bar's time left and
 * {@code bench --plan}. A unit's cost grows with the tokens it samples and the MDP it solves:
 * <ul>
 *   <li>credit unit: {@code batches × episodes × tokens/episode × (estimators + 1) × CREDIT_TOKEN + INSTANCE × pairs};
 *   <li>learning unit: {@code updates × (episodes × tokens/episode × LEARN_TOKEN + pairs × SOLVE_PAIR)};
 * </ul>
 * where tokens/episode is measured on 32 episodes of the uniform policy on the seed-0 instance and
 * pairs is the MDP's (state, action) count. The constants were fitted to runs of single
 * configurations on this project's 2-core build machine (one thread each); they are an estimate,
 * good to about a factor of two per task.
 */
final class CostModel {
    static final double CREDIT_TOKEN = 1.6e-6;
    static final double INSTANCE_PAIR = 2.0e-6;
    static final double LEARN_TOKEN = 2.5e-6;
    static final double SOLVE_PAIR = 2.0e-7;
    static final double UNIT_OVERHEAD = 2e-4;

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
        return UNIT_OVERHEAD + suite.batches() * episodes * s[0] * (labels + 1) * CREDIT_TOKEN + s[1] * INSTANCE_PAIR;
    }

    /** Estimated seconds of one learning unit (one estimator, one rate, one seed). */
    double learn(Plan p) {
        double[] s = size(p);
        var l = suite.learning();
        return UNIT_OVERHEAD + l.updates() * (l.episodesPerUpdate() * s[0] * LEARN_TOKEN + s[1] * SOLVE_PAIR);
    }
}
