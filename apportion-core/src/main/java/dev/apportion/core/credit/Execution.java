package dev.apportion.core.credit;

import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many threads an estimator may use. Parallel estimators split work into contiguous
 * index ranges; results must be identical to the sequential run (each range writes disjoint
 * outputs, and reductions are combined in a fixed order).
 *
 * <p>Two ways to split: by item count ({@link #forRange(int, int, RangeBody)}: every range gets
 * about as many items, and ranges of fewer than {@code 2·minPerChunk} items stay on the caller's
 * thread), or by weight ({@link #forTrajectories}, {@link #forRange(int, int[], RangeBody)}: every
 * range gets about as many tokens, and a batch of fewer than {@code 2·}{@link #MIN_TOKENS_PER_CHUNK}
 * tokens stays on the caller's thread). Token-weighted splits keep two threads from being slower
 * than one when trajectory lengths are uneven (one thread would otherwise get most of the tokens)
 * and when a batch is too small to pay for a hand-off to a worker.
 */
public final class Execution implements AutoCloseable {
    private static final Execution SEQUENTIAL = new Execution(1);
    private final int threads;
    private final boolean splitAll;
    private ExecutorService pool;
    private final AtomicLong handedOff = new AtomicLong();

    private Execution(int threads) {
        this(threads, false);
    }

    private Execution(int threads, boolean splitAll) {
        this.threads = threads;
        this.splitAll = splitAll;
    }

    /** One thread: the caller's. */
    public static Execution sequential() {
        return SEQUENTIAL;
    }

    /** Up to {@code threads} threads (a pool is started on first use; close it when done). */
    public static Execution threads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        return threads == 1 ? SEQUENTIAL : new Execution(threads);
    }

    /**
     * Up to {@code threads} threads ({@code >= 2}) that split every range of two or more items,
     * whatever the caller's minimum chunk size: for tests that must run the parallel paths of an
     * estimator on small batches (results must not depend on the split).
     */
    public static Execution splittingAll(int threads) {
        if (threads < 2) throw new IllegalArgumentException("splittingAll needs threads >= 2, got " + threads);
        return new Execution(threads, true);
    }

    public int threads() {
        return threads;
    }

    /**
     * Fewest tokens a range of a token-weighted split holds: handing a range to a worker thread
     * costs tens of microseconds, the time one pass over some 10⁴–10⁵ tokens takes.
     */
    public static final int MIN_TOKENS_PER_CHUNK = 1 << 16;

    /**
     * How much a pass costs per token, declared by the split site, so that work too cheap to pay
     * for a hand-off stays on the caller's thread ({@link #forTrajectories(Rollouts, Cost,
     * RangeBody)}).
     */
    public enum Cost {
        /**
         * A plain fill: per-trajectory, per-turn or per-step values stored over the tokens
         * ({@code Arrays.fill} per span, or one store per token), no per-token arithmetic. Split
         * only when the estimated work ({@link #LIGHT_PS_PER_TOKEN} per token plus {@link
         * #LIGHT_PS_PER_SPAN} per span) gives every range at least {@link #MIN_LIGHT_PS_PER_CHUNK}.
         */
        LIGHT,
        /**
         * Work per span rather than per token: a score, an exponential, a hash or a table lookup per
         * step or turn, then at most a fill of the span's tokens. Split as {@link #LIGHT}, with
         * {@link #SPAN_PS_PER_SPAN} per span in place of {@link #LIGHT_PS_PER_SPAN}, so a batch of
         * a few long single-span trajectories stays on the caller's thread however many tokens it
         * has, while many short turns still split.
         */
        SPAN,
        /** A scan with arithmetic per token: ranges of at least {@link #MIN_TOKENS_PER_CHUNK} tokens. */
        NORMAL
    }

    /**
     * Estimated time of a {@link Cost#SPAN} pass per span, in picoseconds (30 ns): in the idle
     * forked {@code perf --all} of issue 14's fifth session, {@code pure_reward} (a score and a
     * soft-min exponential per step, then a fill) took about 1.1 ms on one thread for 2·10⁶ tokens
     * in 31 232 policy turns, and {@code gigpo}'s step grouping (a state key hashed and looked up
     * per step) about as much: (1.1 ms − tokens·{@link #LIGHT_PS_PER_TOKEN}) / spans ≈ 30 ns.
     */
    public static final long SPAN_PS_PER_SPAN = 30_000;

    /**
     * Estimated time of a {@link Cost#LIGHT} pass per token, in picoseconds: one-thread fills of
     * 2·10⁶ tokens in trajectories of 1024 tokens with 1, 8, 16, 32 and 64 spans each took 131,
     * 157, 232, 359 and 555 µs on the development VM (2 cores; docs/performance.md, "Token-weighted
     * splits"); the fitted line is 0.062 ns per token plus {@link #LIGHT_PS_PER_SPAN} per span.
     */
    public static final long LIGHT_PS_PER_TOKEN = 62;

    /** Estimated time of a {@link Cost#LIGHT} pass per span ({@code Arrays.fill} call), in picoseconds (see {@link #LIGHT_PS_PER_TOKEN}). */
    public static final long LIGHT_PS_PER_SPAN = 3_600;

    /**
     * Least estimated work of a range of a {@link Cost#LIGHT} split, in picoseconds (150 µs): a
     * split costs about 0.1 ms more than it moves when the second core gains nothing on a
     * memory-bound pass (the slower two-thread rows of the idle {@code perf --all}: fills of 0.24–0.29
     * ms took 0.33–0.41 ms on two threads), and on passes that did gain, the second thread saved
     * about two thirds of the half it took over (2/1 ratio 0.64–0.71); a range must therefore
     * carry at least 0.1 ms / (2/3) of work for the split to pay.
     */
    public static final long MIN_LIGHT_PS_PER_CHUNK = 150_000_000L;

    /** A range body: processes indices {@code [from, to)}; {@code chunk} numbers the range. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int chunk, int from, int to);
    }

    /**
     * Number of chunks {@link #forRange} will use for {@code n} items with at least
     * {@code minPerChunk} items each: callers size per-chunk partial results with it.
     */
    public int chunks(int n, int minPerChunk) {
        if (splitAll) return n < 2 ? 1 : Math.min(threads, n);
        if (threads == 1 || n < 2L * minPerChunk) return 1;
        return Math.min(threads, Math.max(1, n / Math.max(1, minPerChunk)));
    }

    /**
     * Number of ranges {@link #forRange(int, int[], RangeBody)} uses for {@code n} items whose
     * weights (tokens) are {@code offsets[i + 1] − offsets[i]}: 1 below {@code 2·}{@link
     * #MIN_TOKENS_PER_CHUNK} tokens, else up to the thread count with at least that many tokens
     * each (every range of two or more items is split with {@link #splittingAll}).
     *
     * @param offsets cumulative weights, at least {@code n + 1} non-decreasing entries
     */
    public int chunks(int n, int[] offsets) {
        if (splitAll) return n < 2 ? 1 : Math.min(threads, n);
        if (threads == 1 || n < 2) return 1;
        long total = (long) offsets[n] - offsets[0];
        if (total < 2L * MIN_TOKENS_PER_CHUNK) return 1;
        return (int) Math.min(Math.min(threads, n), total / MIN_TOKENS_PER_CHUNK);
    }

    /** {@link #chunks(int, int[])} over the trajectories of {@code batch}, weighted by their tokens. */
    public int chunks(Rollouts batch) {
        return chunks(batch.trajectoryCount(), batch.trajectoryTokenOffsets());
    }

    /**
     * Number of ranges {@link #forTrajectories(Rollouts, Cost, RangeBody)} uses: {@link
     * #chunks(Rollouts)} for {@link Cost#NORMAL}; for {@link Cost#LIGHT}, 1 below {@code 2·}{@link
     * #MIN_LIGHT_PS_PER_CHUNK} of estimated work ({@code tokens·}{@link #LIGHT_PS_PER_TOKEN}{@code
     * + spans·}{@link #LIGHT_PS_PER_SPAN}), else up to the thread count with at least that much
     * each (every range of two or more trajectories is split with {@link #splittingAll}).
     */
    public int chunks(Rollouts batch, Cost cost) {
        if (cost == Cost.NORMAL || splitAll) return chunks(batch);
        return chunksForWork(batch, cost, batch.trajectoryCount());
    }

    /** Ranges of {@code n} items (trajectories or groups) for the estimated work of a LIGHT or SPAN pass over {@code batch}. */
    private int chunksForWork(Rollouts batch, Cost cost, int n) {
        if (threads == 1 || n < 2) return 1;
        long perSpan = cost == Cost.SPAN ? SPAN_PS_PER_SPAN : LIGHT_PS_PER_SPAN;
        long work = (long) batch.tokenCount() * LIGHT_PS_PER_TOKEN + (long) batch.spanCount() * perSpan;
        if (work < 2 * MIN_LIGHT_PS_PER_CHUNK) return 1;
        return (int) Math.min(Math.min(threads, n), work / MIN_LIGHT_PS_PER_CHUNK);
    }

    /**
     * {@link #forTrajectories(Rollouts, RangeBody)} for a pass of the given cost: the ranges are
     * token-weighted as there, their number is {@link #chunks(Rollouts, Cost)}.
     */
    public void forTrajectories(Rollouts batch, Cost cost, RangeBody body) {
        int n = batch.trajectoryCount();
        split(n, batch.trajectoryTokenOffsets(), chunks(batch, cost), body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into {@link #chunks(int, int[])} contiguous,
     * non-empty ranges of about equal weight: range {@code k} starts at the first item whose
     * cumulative weight reaches {@code k/c} of the total.
     *
     * @param offsets cumulative weights (e.g. {@link Rollouts#trajectoryTokenOffsets()})
     */
    public void forRange(int n, int[] offsets, RangeBody body) {
        split(n, offsets, chunks(n, offsets), body);
    }

    /** {@code c} token-weighted ranges of {@code [0, n)} (see {@link #forRange(int, int[], RangeBody)}). */
    private void split(int n, int[] offsets, int c, RangeBody body) {
        if (c == 1) {
            body.run(0, 0, n);
            return;
        }
        int[] bounds = new int[c + 1];
        bounds[c] = n;
        long base = offsets[0];
        long total = (long) offsets[n] - base;
        for (int k = 1; k < c; k++) {
            long target = base + total * k / c;
            int lo = 0;
            int hi = n; // first index i in [0, n] with offsets[i] >= target
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (offsets[mid] >= target) hi = mid;
                else lo = mid + 1;
            }
            bounds[k] = Math.max(bounds[k - 1] + 1, Math.min(lo, n - (c - k)));
        }
        run(c, bounds, body);
    }

    /** {@link #forRange(int, int[], RangeBody)} over the trajectories of {@code batch}, weighted by their tokens. */
    public void forTrajectories(Rollouts batch, RangeBody body) {
        forRange(batch.trajectoryCount(), batch.trajectoryTokenOffsets(), body);
    }

    /**
     * Cumulative tokens of the groups of {@code batch}: entry {@code g + 1} − entry {@code g} is
     * the token count of group {@code g}'s members (the weights of {@link #forGroups}).
     */
    public static int[] groupTokenOffsets(Rollouts batch) {
        int groups = batch.groupCount();
        int[] off = new int[groups + 1];
        int[] tok = batch.trajectoryTokenOffsets();
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        for (int g = 0; g < groups; g++) {
            long sum = off[g];
            for (int k = start[g]; k < start[g + 1]; k++) sum += tok[members[k] + 1] - tok[members[k]];
            off[g + 1] = (int) sum;
        }
        return off;
    }

    /** {@link #chunks(int, int[])} over the groups of {@code batch}, weighted by their tokens. */
    public int chunksForGroups(Rollouts batch) {
        return chunks(batch.groupCount(), groupTokenOffsets(batch));
    }

    /** {@link #forRange(int, int[], RangeBody)} over the groups of {@code batch}, weighted by their tokens. */
    public void forGroups(Rollouts batch, RangeBody body) {
        forRange(batch.groupCount(), groupTokenOffsets(batch), body);
    }

    /**
     * Number of ranges {@link #forGroups(Rollouts, Cost, RangeBody)} uses: {@link
     * #chunksForGroups(Rollouts)} for {@link Cost#NORMAL}; for {@link Cost#LIGHT} and {@link
     * Cost#SPAN} the count {@link #chunks(Rollouts, Cost)} gives for the batch's estimated work,
     * at most one per group (every range of two or more groups is split with {@link #splittingAll}).
     */
    public int chunksForGroups(Rollouts batch, Cost cost) {
        if (cost == Cost.NORMAL || splitAll) return chunksForGroups(batch);
        return chunksForWork(batch, cost, batch.groupCount());
    }

    /**
     * {@link #forGroups(Rollouts, RangeBody)} for a pass of the given cost: the ranges are
     * token-weighted as there, their number is {@link #chunksForGroups(Rollouts, Cost)}.
     */
    public void forGroups(Rollouts batch, Cost cost, RangeBody body) {
        split(batch.groupCount(), groupTokenOffsets(batch), chunksForGroups(batch, cost), body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into {@link #chunks(int, int)} contiguous ranges.
     * For items of about equal cost only: {@code minPerChunk} items should cost at least as much
     * as {@link #MIN_TOKENS_PER_CHUNK} tokens of a pass (token loops pass that constant; loops over
     * trajectories, groups or turns use {@link #forTrajectories}, {@link #forGroups} or {@link
     * #forRange(int, int[], RangeBody)} with token offsets, so that work too small to split stays on
     * the caller's thread).
     */
    public void forRange(int n, int minPerChunk, RangeBody body) {
        int c = chunks(n, minPerChunk);
        if (c == 1) {
            body.run(0, 0, n);
            return;
        }
        int[] bounds = new int[c + 1];
        for (int k = 0; k <= c; k++) bounds[k] = (int) ((long) n * k / c);
        run(c, bounds, body);
    }

    /**
     * Runs the ranges {@code [bounds[k], bounds[k+1])}, {@code k < c}. The caller hands {@code c − 1}
     * helper tasks to the pool and then works too; the caller and the helpers claim ranges from a
     * shared counter, so a range is run by whichever thread gets to it first. A helper that starts
     * late (its thread was asleep, or another process holds the other core) finds every range taken
     * and returns at once, instead of holding the caller up: the caller waits only for ranges a
     * helper really started. Which thread runs a range does not change the result (ranges write
     * disjoint outputs; per-range partial results are indexed by range number). The first failure,
     * in range order, is rethrown as {@link #awaitAll} would.
     */
    private void run(int c, int[] bounds, RangeBody body) {
        ExecutorService p = pool();
        Claims claims = new Claims(c, bounds, body);
        for (int k = 0; k < c - 1; k++) {
            handedOff.incrementAndGet();
            p.execute(claims);
        }
        claims.run();
        claims.await();
    }

    /** The ranges of one {@link #run} call, claimed one at a time by the caller and the helpers. */
    private static final class Claims implements Runnable {
        private final int c;
        private final int[] bounds;
        private final RangeBody body;
        private final AtomicInteger next = new AtomicInteger();
        private final CountDownLatch done;
        private final Throwable[] failures;

        Claims(int c, int[] bounds, RangeBody body) {
            this.c = c;
            this.bounds = bounds;
            this.body = body;
            this.done = new CountDownLatch(c);
            this.failures = new Throwable[c];
        }

        @Override
        public void run() {
            for (int k; (k = next.getAndIncrement()) < c; ) {
                try {
                    body.run(k, bounds[k], bounds[k + 1]);
                } catch (Throwable t) {
                    failures[k] = t;
                } finally {
                    done.countDown();
                }
            }
        }

        void await() {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            for (Throwable t : failures) {
                if (t == null) continue;
                if (t instanceof RuntimeException r) throw r;
                if (t instanceof Error e) throw e;
                throw new IllegalStateException(t);
            }
        }
    }

    /**
     * Waits for every future in order and rethrows the first failure as it was thrown in the
     * worker (runtime exceptions and errors unwrapped; checked ones wrapped in
     * {@link IllegalStateException}). Used by every place that fans work out to a pool.
     */
    public static void awaitAll(List<? extends Future<?>> futures) {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                Throwable t = e.getCause();
                if (t instanceof RuntimeException) throw (RuntimeException) t;
                if (t instanceof Error) throw (Error) t;
                throw new IllegalStateException(t);
            }
        }
    }

    /**
     * Helper tasks handed to the worker pool so far (one per range beyond the first; a helper may
     * find its range already taken by the caller): 0 as long as every call was too small to split.
     * For tests and for the perf tool.
     */
    public long handedOff() {
        return handedOff.get();
    }

    /**
     * Creates the worker pool and starts its threads now instead of on the first split, so that a
     * caller timing estimators (e.g. {@code apportion perf}) keeps thread start-up out of the timed
     * calls. Does nothing on one thread. Returns {@code this}.
     */
    public Execution start() {
        if (threads > 1) {
            ExecutorService p = pool();
            if (p instanceof ThreadPoolExecutor tpe) tpe.prestartAllCoreThreads();
        }
        return this;
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "apportion-worker");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    @Override
    public synchronized void close() {
        if (pool != null) {
            pool.shutdown();
            pool = null;
        }
    }
}
