package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.testing.Batches;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 7, finding 1: every estimator must see a task's episode score the same way, and GiGPO's
 * anchor-state term must be in play on outcome-only tasks.
 */
class EpisodeScoreTest {
    private static final EstimatorInputs INPUTS = EstimatorInputs.builtIn();

    private static SampledBatch batch(String family, Map<String, Object> knobs, long seed) {
        return Batches.sampled(family, knobs, seed);
    }

    private static float[] credit(SampledBatch b, String id, Map<String, Object> params) {
        Estimator e = EstimatorRegistry.global().get(id);
        Rollouts r = b.rollouts(INPUTS.of(id).source());
        Credit c = e.assign(r, Params.resolve(e.descriptor(), null, params), Execution.sequential());
        double[] sc = dev.apportion.bench.metrics.CreditMetrics.spanCredit(r, c);
        float[] out = new float[sc.length];
        for (int i = 0; i < sc.length; i++) out[i] = (float) sc[i];
        return out;
    }

    @Test
    void gigpoWithoutItsStepTermEqualsGrpoOnTheSameEpisodeScore() {
        // bifurcation with zero-mean distractor step rewards: the episode score of both must include them
        SampledBatch b = batch("bifurcation", Map.of("horizon", 8, "decisive", 2, "distractor_noise", 0.5), 11);
        float[] g = credit(b, "gigpo", Map.of("step_weight", 0.0));
        float[] r = credit(b, "grpo", Map.of("normalize_by_std", false));
        double max = 0;
        for (int s : b.policySpans()) max = Math.max(max, Math.abs(g[s] - r[s]));
        assertTrue(
                max < 1e-4,
                "gigpo(step_weight=0) and grpo(no std) differ by up to " + max + ": different episode scores");
    }

    @Test
    void gigpoStepTermIsInPlayOnOutcomeOnlyAgenticBatches() {
        SampledBatch b = batch("agentic", Map.of(), 5);
        float[] g = credit(b, "gigpo", Map.of());
        float[] z = credit(b, "gigpo", Map.of("step_weight", 0.0));
        double max = 0;
        for (int s : b.policySpans()) max = Math.max(max, Math.abs(g[s] - z[s]));
        assertTrue(max > 1e-3, "max |gigpo - gigpo(step_weight=0)| = " + max + " on agentic");
    }
}
