package dev.apportion.core.credit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How many threads an estimator may use. Parallel estimators split work into contiguous
 * index ranges; results must be identical to the sequential run (each range writes disjoint
 * outputs, and reductions are combined in a fixed order).
 */
public final class Execution implements AutoCloseable {
    private static final Execution SEQUENTIAL = new Execution(1);
    private final int threads;
    private final boolean splitAll;
    private ExecutorService pool;

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

    /** Runs {@code body} over {@code [0, n)} split into {@link #chunks(int, int)} contiguous ranges. */
    public void forRange(int n, int minPerChunk, RangeBody body) {
        int c = chunks(n, minPerChunk);
        if (c == 1) {
            body.run(0, 0, n);
            return;
        }
        ExecutorService p = pool();
        List<Future<?>> fs = new ArrayList<>(c);
        for (int k = 0; k < c; k++) {
            int from = (int) ((long) n * k / c);
            int to = (int) ((long) n * (k + 1) / c);
            int chunk = k;
            if (k == c - 1) {
                body.run(chunk, from, to);
            } else {
                fs.add(p.submit(() -> body.run(chunk, from, to)));
            }
        }
        awaitAll(fs);
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
