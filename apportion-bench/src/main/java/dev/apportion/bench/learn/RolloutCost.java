package dev.apportion.bench.learn;

import dev.apportion.bench.batch.SampledBatch;

/**
 * Episodes an estimator consumes beyond the sampled batch, charged to the learning budget:
 * {@code greedyPerGroup} greedy rollouts per group (ReMax's baseline, LSC's reference response)
 * and {@code mcSamples} Monte-Carlo rollouts from the state before every turn (VinePPO), each as
 * long as the rest of the episode — so a trajectory of T turns costs
 * {@code mcSamples · Σ_t (T − t)/T = mcSamples · (T + 1)/2} episode-equivalents.
 *
 * @param greedyPerGroup extra whole episodes per group
 * @param mcSamples Monte-Carlo rollouts per turn (0 = none)
 */
public record RolloutCost(int greedyPerGroup, int mcSamples) {
    /** No extra rollouts. */
    public static final RolloutCost NONE = new RolloutCost(0, 0);

    /** True when the estimator costs nothing extra. */
    public boolean free() {
        return greedyPerGroup == 0 && mcSamples == 0;
    }

    /** Extra episode-equivalents for {@code batch}. */
    public double extraEpisodes(SampledBatch batch, int groups) {
        double extra = (double) greedyPerGroup * groups;
        if (mcSamples > 0) {
            var r = batch.rollouts();
            for (int i = 0; i < r.trajectoryCount(); i++) {
                int turns = 0;
                for (int s = r.spanStart(i); s < r.spanEnd(i); s++) if (r.isPolicySpan(s)) turns++;
                extra += mcSamples * (turns + 1) / 2.0;
            }
        }
        return extra;
    }
}
