package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
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

    /** {@code trajectories} trajectories of {@code spans} spans of {@code tokensPerSpan} tokens each. */
    private static Rollouts batch(int trajectories, int spans, int tokensPerSpan) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < trajectories; i++) {
            b.trajectory("g" + i / 8, "t" + i).outcome(i % 2);
            for (int s = 0; s < spans; s++) b.span(s % 2 == 0 ? Role.POLICY : Role.CONTEXT, tokensPerSpan);
        }
        return b.build();
    }

    @Test
    void lightPassesSplitOnlyWhenTheEstimatedWorkPaysForTheHandOff() {
        // 2·10⁶ tokens in one span per trajectory: ~0.12 ms of fill, far above 2·MIN_TOKENS_PER_CHUNK
        Rollouts oneSpan = batch(488, 1, 4096);
        // the same tokens in 16 spans per trajectory: ~0.24 ms, still below 2·MIN_LIGHT_PS_PER_CHUNK
        Rollouts sixteen = batch(1952, 16, 64);
        // 32 spans per trajectory: ~0.35 ms, two ranges
        Rollouts thirtyTwo = batch(1952, 32, 32);
        try (Execution ex = Execution.threads(2)) {
            assertEquals(2, ex.chunks(oneSpan, Execution.Cost.NORMAL));
            assertEquals(1, ex.chunks(oneSpan, Execution.Cost.LIGHT));
            assertEquals(1, ex.chunks(sixteen, Execution.Cost.LIGHT));
            assertEquals(2, ex.chunks(thirtyTwo, Execution.Cost.LIGHT));
            long[] seen = new long[2];
            ex.forTrajectories(sixteen, Execution.Cost.LIGHT, (c, from, to) -> seen[c] += to - from);
            assertEquals(0, ex.handedOff());
            assertEquals(1952, seen[0]);
            List<int[]> r = new ArrayList<>();
            ex.forTrajectories(thirtyTwo, Execution.Cost.LIGHT, (c, from, to) -> {
                synchronized (r) {
                    r.add(new int[] {c, from, to});
                }
            });
            r.sort((a, b) -> Integer.compare(a[0], b[0]));
            assertEquals(List.of("0:0-976", "1:976-1952"), describe(r));
            assertEquals(1, ex.handedOff());
        }
        try (Execution all = Execution.splittingAll(2)) {
            assertEquals(2, all.chunks(sixteen, Execution.Cost.LIGHT), "splittingAll splits light passes too");
        }
        assertEquals(1, Execution.sequential().chunks(thirtyTwo, Execution.Cost.LIGHT));
    }

    @Test
    void spanPassesSplitOnTheirSpansNotTheirTokens() {
        // 2·10⁶ tokens in one span per trajectory: 488 spans, ~0.14 ms of per-span work: one range
        Rollouts oneSpan = batch(488, 1, 4096);
        // 16 spans per trajectory: 31 232 spans, ~1.1 ms: two ranges (light passes keep one)
        Rollouts sixteen = batch(1952, 16, 64);
        try (Execution ex = Execution.threads(2)) {
            assertEquals(2, ex.chunksForGroups(oneSpan), "the token-weighted group split");
            assertEquals(1, ex.chunks(oneSpan, Execution.Cost.SPAN));
            assertEquals(1, ex.chunksForGroups(oneSpan, Execution.Cost.SPAN));
            assertEquals(2, ex.chunks(sixteen, Execution.Cost.SPAN));
            assertEquals(1, ex.chunks(sixteen, Execution.Cost.LIGHT));
            assertEquals(2, ex.chunksForGroups(sixteen, Execution.Cost.SPAN));
            assertEquals(ex.chunksForGroups(sixteen), ex.chunksForGroups(sixteen, Execution.Cost.NORMAL));
            long[] seen = new long[2];
            ex.forGroups(oneSpan, Execution.Cost.SPAN, (c, from, to) -> seen[c] += to - from);
            assertEquals(0, ex.handedOff());
            assertEquals(oneSpan.groupCount(), seen[0]);
            List<int[]> r = new ArrayList<>();
            ex.forGroups(sixteen, Execution.Cost.SPAN, (c, from, to) -> {
                synchronized (r) {
                    r.add(new int[] {c, from, to});
                }
            });
            r.sort((a, b) -> Integer.compare(a[0], b[0]));
            assertEquals(List.of("0:0-122", "1:122-244"), describe(r));
            assertEquals(1, ex.handedOff());
        }
        try (Execution all = Execution.splittingAll(2)) {
            assertEquals(2, all.chunksForGroups(oneSpan, Execution.Cost.SPAN), "splittingAll splits span passes too");
        }
        assertEquals(1, Execution.sequential().chunksForGroups(sixteen, Execution.Cost.SPAN));
    }
}
