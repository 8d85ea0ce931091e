package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token-weighted splits: balanced, contiguous, non-empty, and sequential for small batches. */
class ExecutionSplitTest {
    private static int[] offsets(int... weights) {
        int[] off = new int[weights.length + 1];
        for (int i = 0; i < weights.length; i++) off[i + 1] = off[i] + weights[i];
        return off;
    }

    private static List<int[]> ranges(Execution ex, int n, int[] off) {
        List<int[]> out = new ArrayList<>();
        ex.forRange(n, off, (chunk, from, to) -> {
            synchronized (out) {
                out.add(new int[] {chunk, from, to});
            }
        });
        out.sort((a, b) -> Integer.compare(a[0], b[0]));
        return out;
    }

    @Test
    void smallBatchesStaySequential() {
        try (Execution ex = Execution.threads(2)) {
            int[] off = offsets(1000, 1000, 1000, 1000);
            assertEquals(1, ex.chunks(4, off));
            assertEquals(List.of("0:0-4"), describe(ranges(ex, 4, off)));
        }
    }

    @Test
    void unevenTrajectoriesAreSplitByTokens() {
        int big = 4 * Execution.MIN_TOKENS_PER_CHUNK;
        int[] w = new int[101];
        w[0] = big; // one long trajectory, then 100 short ones of the same total
        for (int i = 1; i <= 100; i++) w[i] = big / 100;
        int[] off = offsets(w);
        try (Execution ex = Execution.threads(2)) {
            assertEquals(2, ex.chunks(101, off));
            // by count the first range would hold 50 trajectories and ~75% of the tokens
            assertEquals(List.of("0:0-1", "1:1-101"), describe(ranges(ex, 101, off)));
        }
    }

    @Test
    void rangesAreContiguousAndNonEmpty() {
        int[] off = offsets(0, 0, 0, 5 * Execution.MIN_TOKENS_PER_CHUNK, 0, 0);
        try (Execution ex = Execution.threads(4)) {
            List<int[]> r = ranges(ex, 6, off);
            assertEquals(ex.chunks(6, off), r.size());
            int next = 0;
            for (int[] x : r) {
                assertEquals(next, x[1]);
                assertTrue(x[2] > x[1]);
                next = x[2];
            }
            assertEquals(6, next);
        }
        try (Execution ex = Execution.splittingAll(3)) {
            assertEquals(3, ranges(ex, 3, offsets(0, 0, 0)).size());
        }
    }

    private static List<String> describe(List<int[]> r) {
        List<String> out = new ArrayList<>();
        for (int[] x : r) out.add(x[0] + ":" + x[1] + "-" + x[2]);
        return out;
    }
}
