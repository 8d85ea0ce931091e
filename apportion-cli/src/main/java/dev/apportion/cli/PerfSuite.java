package dev.apportion.cli;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The timing suite behind {@code apportion perf --all} and {@code --scaling}: synthetic batches of
 * three {@link Shape shapes}, each estimator timed beside its {@link Floor memory-traffic floor} and
 * {@code System.arraycopy} of as many floats, in the same run and interleaved (estimator, floor,
 * estimator, floor, ...) so that a change of machine load hits both alike.
 */
final class PerfSuite {
    /** Estimators that are bench references, not credit methods: not timed. */
    static final Set<String> BENCH_REFERENCES = Set.of("oracle", "random", "trajectory_oracle");

    /** Values a token vector or matrix stream may hold in a timed batch (128 MB of floats). */
    static final long WIDE_FLOATS = 32L << 20;

    /** Batch shapes. */
    enum Shape {
        /** Single-turn long responses: one policy span of 4096 tokens per trajectory. */
        SINGLE("single", 4096, 1, false),
        /** Agent episodes: 16 short turns (~52 tokens) separated by 12-token observations, 1024 tokens per trajectory. */
        MULTITURN("multiturn", 1024, 16, false),
        /** Two agents taking turns: 8 policy spans alternating agent0/agent1, 1024 tokens per trajectory. */
        MULTIAGENT("multiagent", 1024, 8, true);

        final String wire;
        final int tokensPerTrajectory;
        final int steps;
        final boolean agents;

        Shape(String wire, int tokensPerTrajectory, int steps, boolean agents) {
            this.wire = wire;
            this.tokensPerTrajectory = tokensPerTrajectory;
            this.steps = steps;
            this.agents = agents;
        }

        static List<Shape> parse(String s) {
            if (s.equals("all")) return List.of(values());
            for (Shape x : values()) if (x.wire.equals(s)) return List.of(x);
            throw new IllegalArgumentException("--shape must be single, multiturn, multiagent or all, got '" + s + "'");
        }

        /**
         * The batch spec for {@code d} with about {@code tokens} tokens (whole groups of 8
         * trajectories); fewer for an estimator reading a token vector or matrix, so that the wide
         * stream holds at most {@link #WIDE_FLOATS} values (but at least one group).
         */
        SyntheticBatch.Spec spec(Descriptor d, long tokens, long seed) {
            int g = SyntheticBatch.DEFAULT_GROUP_SIZE;
            SyntheticBatch.Extras x = SyntheticBatch.extrasFor(d);
            int width = x.vectorFloatsPerToken();
            if (width > 0) tokens = Math.min(tokens, Math.max((long) g * tokensPerTrajectory, WIDE_FLOATS / width));
            if (!x.tokenMatrices().isEmpty()) {
                double perTrajectory =
                        x.tokenMatrices().size() * (double) tokensPerTrajectory * (tokensPerTrajectory - 1) / 2;
                long trajectories = Math.max(g, (long) (WIDE_FLOATS / perTrajectory));
                tokens = Math.min(tokens, trajectories * tokensPerTrajectory);
            }
            long groups = Math.max(1, Math.round((double) tokens / tokensPerTrajectory / g));
            int trajectories = (int) Math.min(Integer.MAX_VALUE / tokensPerTrajectory / g * g, groups * g);
            SyntheticBatch.Spec s = SyntheticBatch.forEstimator(d, trajectories, tokensPerTrajectory, steps, seed);
            if (agents && !s.agents()) {
                s = new SyntheticBatch.Spec(
                        s.trajectories(),
                        s.tokensPerTrajectory(),
                        s.stepsPerTrajectory(),
                        s.groupSize(),
                        s.seed(),
                        s.tokenSignals(),
                        s.trajectorySignals(),
                        s.spanSignals(),
                        s.spanRewards(),
                        s.states(),
                        true,
                        s.stepEndTokenRewards());
            }
            return s;
        }
    }

    /** Settings of one suite run. */
    /**
     * @param warmup at least this many untimed runs
     * @param warmupSeconds and untimed runs until this much time has passed (capped at half the
     *     budget), so that fast estimators are timed after the JIT has compiled them, not before
     */
    record Settings(int warmup, double warmupSeconds, int runs, double budgetSeconds, long seed) {}

    /** One measurement; {@code error} set (and the numbers NaN) when the estimator cannot run on the shape. */
    record Result(
            String estimator,
            String shape,
            int tokens,
            int threads,
            double medianMs,
            double floorMs,
            double copyMs,
            double cpuMs,
            double floorCpuMs,
            double bytesPerToken,
            double peakBytesPerToken,
            int runs,
            String error,
            double minMs,
            double floorMinMs,
            Paired vsOne) {
        /** A row for an estimator that cannot run on the shape: {@code why} set, the numbers NaN. */
        static Result failed(String estimator, String shape, int tokens, int threads, String why) {
            double nan = Double.NaN;
            return new Result(
                    estimator, shape, tokens, threads, nan, nan, nan, nan, nan, nan, nan, 0, why, nan, nan, null);
        }

        double tokensPerSecond() {
            return tokens / (medianMs / 1e3);
        }

        double ratioToCopy() {
            return copyMs / medianMs;
        }

        double ratioToFloor() {
            return floorMs / medianMs;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimator", estimator);
            m.put("shape", shape);
            m.put("tokens", tokens);
            if (error != null) {
                m.put("threads", threads);
                m.put("error", error);
                return m;
            }
            m.put("median_ms", round(medianMs));
            m.put("tokens_per_second", round(tokensPerSecond()));
            m.put("ratio_to_copy", round(ratioToCopy()));
            m.put("floor_ms", round(floorMs));
            m.put("ratio_to_floor", round(ratioToFloor()));
            m.put("threads", threads);
            m.put("bytes_per_token", round(bytesPerToken));
            m.put("copy_ms", round(copyMs));
            if (!Double.isNaN(minMs)) {
                // best of the runs: on a loaded machine the closest to what an idle one gives
                m.put("min_ms", round(minMs));
                m.put("floor_min_ms", round(floorMinMs));
                m.put("ratio_to_floor_min", round(floorMinMs / minMs));
            }
            if (!Double.isNaN(cpuMs)) {
                m.put("cpu_ms", round(cpuMs));
                m.put("floor_cpu_ms", round(floorCpuMs));
                m.put("ratio_to_floor_cpu", round(floorCpuMs / cpuMs));
            }
            if (!Double.isNaN(peakBytesPerToken)) m.put("peak_heap_bytes_per_token", round(peakBytesPerToken));
            m.put("runs", runs);
            if (vsOne != null) {
                // this thread count against one thread, from the paired (interleaved) repetitions
                m.put("time_ratio_to_1_thread", round(vsOne.ratio()));
                m.put("time_ratio_ci95_low", round(vsOne.low()));
                m.put("time_ratio_ci95_high", round(vsOne.high()));
                m.put("vs_1_thread", vsOne.verdict());
                m.put("paired_runs", vsOne.pairs());
            }
            return m;
        }

        static double round(double v) {
            if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) return v;
            double scale = Math.pow(10, 4 - Math.ceil(Math.log10(Math.abs(v))));
            return Math.round(v * scale) / scale;
        }
    }

    private static volatile int sink;

    private final Settings settings;
    private final PrintWriter err;
    private final Map<Integer, Double> copyMs = new LinkedHashMap<>();
    private final ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();

    PerfSuite(Settings settings, PrintWriter err) {
        this.settings = settings;
        this.err = err;
        warmFloorKernel();
    }

    private static boolean floorWarm;

    /**
     * Runs the generic floor kernel a few thousand times on a small batch with every kind of stream,
     * forwards and backwards, so that it is compiled by C2 before the first floor is timed (the
     * estimators get their own warm-up runs; a floor timed in the interpreter would flatter them).
     */
    static synchronized void warmFloorKernel() {
        if (floorWarm) return;
        floorWarm = true;
        SyntheticBatch.Spec spec =
                new SyntheticBatch.Spec(32, 512, 4, 8, 1, List.of(), List.of(), List.of(), false, false, false, false);
        Rollouts batch = SyntheticBatch.build(spec);
        Floor.Stream spanF = new Floor.Stream("s", Floor.Level.SPAN, Floor.Type.F32);
        Floor.Plan plan = new Floor.Plan(
                List.of(
                        Floor.backward(
                                "scan",
                                List.of(Floor.token("a"), Floor.token("b"), Floor.MASK, Floor.ROLE),
                                List.of(Floor.token("c"), Floor.token("d"))),
                        Floor.pass("sums", List.of(Floor.token("a"), Floor.MASK, Floor.OUTCOME), List.of(spanF)),
                        Floor.pass("scores", List.of(Floor.OUTCOME), List.of(Floor.SCORE)),
                        Floor.pass("broadcast", List.of(spanF, Floor.ROLE), List.of(Floor.ADVANTAGES))),
                true);
        Floor.Prepared f = Floor.prepare(plan, batch);
        for (int i = 0; i < 3000; i++) sink |= f.run(Execution.sequential());
    }

    /** Builds the batch of {@code spec}, or returns the failure as a result. */
    Rollouts build(SyntheticBatch.Spec spec) {
        return SyntheticBatch.build(spec);
    }

    /**
     * Times {@code est} on {@code batch} with each thread count, interleaved with its floor and
     * with the other thread counts: every repetition runs the estimator and then its floor once on
     * each thread count, the order of the thread counts rotating from one repetition to the next
     * (1, 2 then 2, 1 …), so that drift and other processes hit every thread count alike and the
     * repetitions pair up. Each thread count's pool is created and its threads started
     * ({@link Execution#start()}) before the warm-up, which runs every thread count too: no pool
     * creation, thread start-up or first-use compilation falls inside a timed call. Each thread
     * count gets about {@code --budget} seconds of timed runs (at least 3, at most {@code --runs}).
     * With a 1-thread count among others, each other row carries its {@link Paired} comparison.
     *
     * @param peak whether to measure the peak heap (the caller reset the pools' peaks before building the batch)
     */
    List<Result> time(
            Estimator est,
            Params params,
            Rollouts batch,
            String shape,
            List<Integer> threadCounts,
            long heapBaseline,
            boolean peak) {
        Descriptor d = est.descriptor();
        Floor.Plan plan = Floor.plan(d);
        Floor.Prepared floor = Floor.prepare(plan, batch);
        int tokens = batch.tokenCount();
        double bpt = floor.bytesPerToken();
        double copy = copyMs(tokens);
        int k = threadCounts.size();
        Execution[] execs = new Execution[k];
        // one set of output buffers for every thread count (the calls run one after another), so that the
        // Execution is the only difference between them: with an array set per thread count, rows that hand
        // nothing off to the second thread (opo, f_grpo, dr_mas multiagent) came out 3-6 % "slower" on two
        // threads (a suspected cause: page placement and which arrays are warm differ per set)
        Credit.Buffers buffers = new Credit.Buffers();
        try {
            for (int j = 0; j < k; j++)
                execs[j] = Execution.threads(threadCounts.get(j)).start();
            boolean cpuOk = threadBean.isCurrentThreadCpuTimeSupported();
            long warmStart = System.nanoTime();
            double warmCap = settings.budgetSeconds() / 2 * k;
            double warmFor = Math.min(settings.warmupSeconds() * k, warmCap);
            // also warm until no JIT compilation finished during the last warm-up round: after a heavy
            // estimator the C2 queue can hold this one's loops for seconds (gae was timed in C1 code)
            long jitMs = jitMillis();
            for (int i = 0; ; i++) {
                double elapsed = (System.nanoTime() - warmStart) / 1e9;
                long jitNow = jitMillis();
                boolean compiling = jitNow != jitMs;
                jitMs = jitNow;
                if (elapsed > warmCap || (i >= settings.warmup() && elapsed >= warmFor && !compiling)) break;
                for (int j = 0; j < k; j++) {
                    consume(est.assign(batch, params, execs[j], buffers).advantages());
                    sink |= floor.run(execs[j]);
                }
            }
            int runs = settings.runs();
            double[][] e = new double[k][runs];
            double[][] f = new double[k][runs];
            double[][] ec = new double[k][runs];
            double[][] fc = new double[k][runs];
            int n = 0;
            long start = System.nanoTime();
            while (n < runs) {
                for (int step = 0; step < k; step++) {
                    int j = (step + n) % k;
                    boolean cpu = cpuOk && threadCounts.get(j) == 1;
                    long c0 = cpu ? threadBean.getCurrentThreadCpuTime() : 0;
                    long t0 = System.nanoTime();
                    Credit c = est.assign(batch, params, execs[j], buffers);
                    long t1 = System.nanoTime();
                    long c1 = cpu ? threadBean.getCurrentThreadCpuTime() : 0;
                    consume(c.advantages());
                    long t2 = System.nanoTime();
                    sink |= floor.run(execs[j]);
                    long t3 = System.nanoTime();
                    long c2 = cpu ? threadBean.getCurrentThreadCpuTime() : 0;
                    e[j][n] = (t1 - t0) / 1e6;
                    f[j][n] = (t3 - t2) / 1e6;
                    ec[j][n] = (c1 - c0) / 1e6;
                    fc[j][n] = (c2 - c1) / 1e6; // includes consume(): a single load
                }
                n++;
                if (n >= 3 && (System.nanoTime() - start) / 1e9 > settings.budgetSeconds() * k) break;
            }
            double peakBpt = Double.NaN;
            if (peak) peakBpt = (peakHeap() - heapBaseline) / (double) tokens;
            int one = threadCounts.indexOf(1);
            List<Result> out = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                boolean cpu = cpuOk && threadCounts.get(j) == 1;
                double[] ej = Arrays.copyOf(e[j], n);
                double[] fj = Arrays.copyOf(f[j], n);
                Paired vsOne = one >= 0 && j != one ? Paired.of(Arrays.copyOf(e[one], n), ej, BOOTSTRAP_SEED) : null;
                out.add(new Result(
                        d.id(),
                        shape,
                        tokens,
                        threadCounts.get(j),
                        PerfCommand.median(ej),
                        PerfCommand.median(fj),
                        copy,
                        cpu ? PerfCommand.median(Arrays.copyOf(ec[j], n)) : Double.NaN,
                        cpu ? PerfCommand.median(Arrays.copyOf(fc[j], n)) : Double.NaN,
                        bpt,
                        peakBpt,
                        n,
                        null,
                        Arrays.stream(ej).min().orElse(Double.NaN),
                        Arrays.stream(fj).min().orElse(Double.NaN),
                        vsOne));
            }
            return out;
        } finally {
            for (Execution x : execs) if (x != null) x.close();
        }
    }

    /** Seed of the bootstrap resampling of {@link Paired#of}: fixed, so a JSON file is reproducible from its runs. */
    static final long BOOTSTRAP_SEED = 20261207L;

    /** Bootstrap resamples behind each interval. */
    static final int BOOTSTRAP_RESAMPLES = 2000;

    /**
     * A thread count's time against one thread's, from paired repetitions (repetition {@code r}
     * of both ran back to back): {@code ratio} = median time / median one-thread time; {@code low}
     * and {@code high} its 95 % percentile-bootstrap interval (repetitions resampled as pairs,
     * with replacement, {@link #BOOTSTRAP_RESAMPLES} times, fixed seed); {@code verdict}
     * {@code slower} only when the whole interval lies above 1, {@code faster} when it lies below
     * 1, else {@code same}.
     */
    record Paired(double ratio, double low, double high, String verdict, int pairs) {
        static Paired of(double[] oneThread, double[] other, long seed) {
            int n = oneThread.length;
            double ratio = PerfCommand.median(other) / PerfCommand.median(oneThread);
            double[] stats = new double[BOOTSTRAP_RESAMPLES];
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
            double[] a = new double[n];
            double[] b = new double[n];
            for (int s = 0; s < stats.length; s++) {
                for (int i = 0; i < n; i++) {
                    int r = rnd.nextInt(n);
                    a[i] = oneThread[r];
                    b[i] = other[r];
                }
                stats[s] = PerfCommand.median(b) / PerfCommand.median(a);
            }
            Arrays.sort(stats);
            double low = quantile(stats, 0.025);
            double high = quantile(stats, 0.975);
            String verdict = low > 1 ? "slower" : high < 1 ? "faster" : "same";
            return new Paired(ratio, low, high, verdict, n);
        }

        /** Linear interpolation between order statistics of sorted {@code v} (the NumPy default). */
        static double quantile(double[] v, double q) {
            double pos = q * (v.length - 1);
            int i = (int) Math.floor(pos);
            int j = Math.min(v.length - 1, i + 1);
            return v[i] + (pos - i) * (v[j] - v[i]);
        }
    }

    /** Total JIT compilation time so far (ms), or 0 when the JVM does not report it. */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** Median ms of {@code System.arraycopy} of {@code tokens} floats into an existing array (cached per size). */
    double copyMs(int tokens) {
        return copyMs.computeIfAbsent(tokens, n -> {
            float[] src = new float[n];
            for (int i = 0; i < n; i++) src[i] = i;
            float[] dst = new float[n];
            int reps = (int) Math.max(1, Math.min(1_000_000, 250_000L / Math.max(1, n)));
            int samples = Math.max(5, settings.runs());
            double[] s = new double[samples];
            for (int i = 0; i < settings.warmup() + samples; i++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < reps; k++) {
                    System.arraycopy(src, 0, dst, 0, n);
                    src[k % n] = dst[(k + 1) % n];
                }
                double ms = (System.nanoTime() - t0) / 1e6 / reps;
                if (i >= settings.warmup()) s[i - settings.warmup()] = ms;
            }
            consume(dst);
            return PerfCommand.median(s);
        });
    }

    private static void consume(float[] a) {
        if (a.length > 0) sink += Float.floatToRawIntBits(a[a.length / 2]);
    }

    /** Resets the peak usage of every heap pool. */
    static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isValid()) p.resetPeakUsage();
        }
    }

    /** Heap in use now, after a GC (the baseline before a batch is built). */
    static long usedHeapAfterGc() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isValid())
                used += p.getUsage().getUsed();
        }
        return used;
    }

    /** Sum over the heap pools of their peak usage since {@link #resetPeaks()} (an upper bound of the peak heap). */
    static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.isValid())
                peak += p.getPeakUsage().getUsed();
        }
        return peak;
    }

    /** Least-squares slope of log(y) against log(x). */
    static double logLogSlope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(x[i]);
            my += Math.log(y[i]);
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxx == 0 ? Double.NaN : sxy / sxx;
    }
}
