package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;

/**
 * Checks of the {@link Credit.Buffers} path of an estimator: into buffers filled with NaN, on one
 * thread and split over two, the credit is bit for bit the credit of the allocating call, and
 * the advantages really are the buffer's array (so every token of it, context tokens included,
 * was overwritten).
 */
public final class BufferChecks {
    private BufferChecks() {}

    /**
     * For every parameter set and batch: fresh sequential credit against NaN-filled buffers
     * (sequential, then {@link Execution#splittingAll} with two threads into the same dirty
     * buffers), every array and diagnostic bit for bit.
     */
    public static void dirtyBuffersGiveTheAllocatingCredit(Estimator est, List<Params> params, List<Rollouts> batches) {
        for (Params p : params) {
            for (int k = 0; k < batches.size(); k++) {
                Rollouts batch = batches.get(k);
                int n = batch.tokenCount();
                String what = est.id() + " " + p + " batch " + k;
                Credit fresh = est.assign(batch, p, Execution.sequential());
                Credit.Buffers buffers = dirty(n);
                Credit reused = est.assign(batch, p, Execution.sequential(), buffers);
                assertSame(buffers.advantages(n), reused.advantages(), what + ": advantages not in the buffer");
                assertSameBits(fresh, reused, what);
                buffers = dirty(n);
                try (Execution two = Execution.splittingAll(2)) {
                    assertSameBits(fresh, est.assign(batch, p, two, buffers), what + " (2 threads)");
                }
            }
        }
    }

    private static Credit.Buffers dirty(int n) {
        Credit.Buffers b = new Credit.Buffers();
        Arrays.fill(b.advantages(n), Float.NaN);
        Arrays.fill(b.returns(n), Float.NaN);
        Arrays.fill(b.lossWeights(n), Float.NaN);
        return b;
    }

    private static void assertSameBits(Credit want, Credit got, String what) {
        assertArrayEquals(want.advantages(), got.advantages(), what + ": advantages");
        assertArrayEquals(want.returns(), got.returns(), what + ": returns");
        assertArrayEquals(want.spanAdvantages(), got.spanAdvantages(), what + ": span advantages");
        assertArrayEquals(want.lossWeights(), got.lossWeights(), what + ": loss weights");
        assertArrayEquals(want.clipScales(), got.clipScales(), what + ": clip scales");
        assertEquals(want.diagnostics(), got.diagnostics(), what + ": diagnostics");
    }
}
