package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's batches are too small to be split; this batch (~1,400 trajectories) makes every
 * reasoning estimator run several chunks, which must give the sequential result.
 */
class ReasoningParallelismTest {
    @Test
    void largeBatchesGiveTheSameCreditOnFourThreads() {
        Rollouts batch = RandomBatches.build(
                RandomBatches.trajectories(11, new RandomBatches.Options(400, 2, 5, true, false, true, false)));
        assertTrue(batch.trajectoryCount() > 1000);
        Map<String, Map<String, Object>> cases = Map.of(
                "pure_reward",
                Map.of(),
                "pure",
                Map.of(),
                "ma_rlhf",
                Map.of("ngram", 2),
                "a_grae",
                Map.of(),
                "adora",
                Map.of(),
                "adora_vl",
                Map.of(),
                "temporal_schedule",
                Map.of("strategy", "forking_tok_schedule", "global_steps", 120));
        try (Execution four = Execution.threads(4)) {
            for (String id :
                    List.of("pure_reward", "pure", "ma_rlhf", "a_grae", "adora", "adora_vl", "temporal_schedule")) {
                Estimator e = EstimatorRegistry.global().get(id);
                Params p = Params.resolve(e.descriptor(), null, cases.get(id));
                Credit seq = e.assign(batch, p, Execution.sequential());
                Credit par = e.assign(batch, p, four);
                assertArrayEquals(seq.advantages(), par.advantages(), 1e-6f, id);
                if (seq.returns() != null) assertArrayEquals(seq.returns(), par.returns(), 1e-6f, id);
                if (seq.lossWeights() != null) assertArrayEquals(seq.lossWeights(), par.lossWeights(), 0f, id);
            }
        }
    }
}
