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

    @Test
    void everyRangeRunsOnceWhoeverClaimsItAndFailuresAreRethrown() throws Exception {
        int[] off = offsets(new int[64]);
        for (int i = 0; i < 64; i++) off[i + 1] = off[i] + 8 * Execution.MIN_TOKENS_PER_CHUNK;
        try (Execution ex = Execution.threads(4).start()) {
            int c = ex.chunks(64, off);
            assertEquals(4, c);
            for (int rep = 0; rep < 200; rep++) {
                int[] runs = new int[64];
                ex.forRange(64, off, (chunk, from, to) -> {
                    for (int i = from; i < to; i++) runs[i]++;
                });
                for (int v : runs) assertEquals(1, v, "each item exactly once");
            }
            assertEquals(200L * 3, ex.handedOff(), "c - 1 helpers per split call");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> ex.forRange(64, off, (chunk, from, to) -> {
                        if (chunk >= 2) throw new IllegalArgumentException("range " + chunk);
                    }));
            assertEquals("range 2", e.getMessage(), "the first failure in range order");
            // a split call from inside a range (nested) completes: the thread that called it claims the ranges
            int[] inner = new int[1];
            ex.forRange(
                    64,
                    off,
                    (chunk, from, to) -> ex.forRange(64, off, (c2, f2, t2) -> {
                        synchronized (inner) {
                            inner[0] += t2 - f2;
                        }
                    }));
            assertEquals(4 * 64, inner[0]);
        }
    }

    @Test
    void oneThreadHandsNothingOff() {
        Execution one = Execution.threads(1).start();
        one.forRange(1 << 20, Execution.MIN_TOKENS_PER_CHUNK, (chunk, from, to) -> {});
        assertEquals(0, one.handedOff());
    }

    private static List<String> describe(List<int[]> r) {
        List<String> out = new ArrayList<>();
        for (int[] x : r) out.add(x[0] + ":" + x[1] + "-" + x[2]);
        return out;
    }
}
