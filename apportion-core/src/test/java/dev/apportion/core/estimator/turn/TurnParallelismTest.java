package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's random batches are too small for {@link Execution#forRange} to split; this
 * batch (about 1,500 trajectories) is large enough that two threads really run, and every
 * turn estimator of the package must give bit-identical credit.
 */
class TurnParallelismTest {
    private static final List<Estimator> ESTIMATORS = List.of(
            new MatchtirEstimator(),
            new SiopEstimator(),
            new IgpoEstimator(),
            new A2tgpoEstimator(),
            new dev.apportion.core.estimator.trajectory.GdpoEstimator());

    @Test
    void twoThreadsAreBitIdenticalOnALargeBatch() {
        Rollouts batch = RandomBatches.build(
                RandomBatches.trajectories(3, new RandomBatches.Options(400, 1, 6, false, true, true, true)));
        assertTrue(batch.trajectoryCount() > 1000, "batch large enough to split");
        try (Execution two = Execution.threads(2)) {
            assertTrue(two.chunks(batch.trajectoryCount(), 256) > 1, "forRange must split this batch");
            for (Estimator e : ESTIMATORS) {
                for (Map<String, Object> p :
                        List.of(Map.<String, Object>of(), Map.<String, Object>of("mode", "separate"))) {
                    if (!p.isEmpty() && !e.id().equals("a2tgpo")) continue;
                    Params params = Params.resolve(e.descriptor(), null, p);
                    Credit seq = e.assign(batch, params, Execution.sequential());
                    Credit par = e.assign(batch, params, two);
                    assertArrayEquals(seq.advantages(), par.advantages(), 0f, e.id());
                    if (seq.clipScales() != null) assertArrayEquals(seq.clipScales(), par.clipScales(), 0f, e.id());
                }
            }
        }
    }
}
