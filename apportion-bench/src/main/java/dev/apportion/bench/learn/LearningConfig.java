package dev.apportion.bench.learn;

/**
 * The policy-gradient protocol shared by every estimator in a learning comparison.
 *
 * @param groups groups per batch
 * @param groupSize episodes per group
 * @param updates number of updates (one batch each)
 * @param learningRate step size on the logits
 * @param successThreshold fraction of the optimal success probability that counts as "solved"
 */
public record LearningConfig(int groups, int groupSize, int updates, double learningRate, double successThreshold) {
    public LearningConfig {
        if (groups < 1 || groupSize < 1 || updates < 1)
            throw new IllegalArgumentException("groups, group size and updates must be >= 1");
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
        if (!(successThreshold > 0 && successThreshold <= 1)) {
            throw new IllegalArgumentException("success threshold must be in (0, 1], got " + successThreshold);
        }
    }

    /** Episodes per update. */
    public int episodesPerUpdate() {
        return groups * groupSize;
    }
}
