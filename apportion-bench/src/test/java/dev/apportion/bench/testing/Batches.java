package dev.apportion.bench.testing;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.Task;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import java.util.Map;
import java.util.SplittableRandom;

/** Sampled benchmark batches for tests: a task of a family, a uniformly random policy, its exact solution. */
public final class Batches {
    private Batches() {}

    /** 4 prompts × 8 samples of {@code family} with {@code knobs}; task from {@code seed}, sampling from {@code seed + 1}. */
    public static SampledBatch sampled(String family, Map<String, Object> knobs, long seed) {
        return sampled(family, knobs, seed, 8);
    }

    /** The same with {@code groupSize} samples per prompt. */
    public static SampledBatch sampled(String family, Map<String, Object> knobs, long seed, int groupSize) {
        TaskFamily f = TaskFamilies.get(family);
        Task t = f.create(f.knobs(knobs), new SplittableRandom(seed));
        SplittableRandom r = new SplittableRandom(seed + 1);
        TabularPolicy p = TabularPolicy.random(t.mdp(), 1.0, r);
        return BatchSampler.sample(t, p, Solution.of(t.mdp(), p), 4, groupSize, r);
    }
}
