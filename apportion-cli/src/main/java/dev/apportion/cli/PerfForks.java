package dev.apportion.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code apportion perf --all --forks N}: the timing of {@code --all} repeated in N child JVMs, one
 * after another, and the lines combined per (estimator, shape, threads) — what JMH calls forks.
 *
 * <p>One JVM's numbers carry that JVM's JIT decisions, heap layout and page faults; two runs of the
 * same jar differed by 19 % on the median row and called different rows {@code slower} on two
 * threads. The paired bootstrap interval of {@link PerfSuite.Paired} is taken inside one JVM and
 * cannot see that spread; the interval here is taken across the forks.
 *
 * <p>Each child is the same java executable with the same JVM input arguments and class path,
 * running {@code perf --all --json} with the parent's options. Fork 1 times the estimators in the
 * given order, fork k &gt; 1 in a shuffle seeded by {@code --seed} and k, so an estimator's position
 * in the run (what ran before it, how warm the heap is) varies between forks.
 *
 * <p>A combined row holds the medians across forks of {@code median_ms}, {@code floor_ms},
 * {@code cpu_ms}, {@code floor_cpu_ms} and {@code copy_ms}; {@code ratio_to_floor} and
 * {@code ratio_to_floor_cpu} are the medians of the per-fork ratios, with their lowest and highest
 * fork as {@code *_fork_min} / {@code *_fork_max} ({@code _min} alone already names the best-run
 * ratio, {@code ratio_to_floor_min}); {@code min_ms} / {@code floor_min_ms} are the best runs of
 * any fork; {@code runs} and {@code paired_runs} are summed; {@code forks} = N. The two-thread
 * verdict is {@link #verdict(double[])}; {@code time_ratio_per_fork} and {@code vs_1_thread_per_fork}
 * keep each JVM's paired ratio and its own within-JVM verdict.
 */
final class PerfForks {
    private PerfForks() {}

    /** Main class of a child. */
    static final String MAIN = "dev.apportion.cli.Main";

    /** Lines of a child's stderr kept for the error message. */
    private static final int TAIL = 40;

    /** Progress line of {@code perf --all}: {@code perf: [k/total] ...}. */
    private static final Pattern PROGRESS = Pattern.compile("^perf: \\[(\\d+)/(\\d+)\\] (.*)$");

    /** A child that failed: the one line to print. */
    static final class ForkFailed extends Exception {
        private static final long serialVersionUID = 1L;

        ForkFailed(String message) {
            super(message);
        }
    }

    /** The command that starts a child JVM like this one, up to (and including) the main class. */
    static List<String> javaCommand() {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(MAIN);
        return c;
    }

    /**
     * The estimator order of fork {@code fork} (0-based): fork 0 keeps {@code ids}, every later
     * fork a Fisher–Yates shuffle from a generator seeded by {@code seed} and the fork index.
     */
    static List<String> order(List<String> ids, int fork, long seed) {
        List<String> l = new ArrayList<>(ids);
        if (fork == 0) return l;
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + fork);
        for (int i = l.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            String t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
        return l;
    }

    /** Two-sided 97.5 % quantiles of Student's t with 1 … 30 degrees of freedom. */
    private static final double[] T975 = {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
        2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042
    };

    /** The 97.5 % quantile of Student's t with {@code df} degrees of freedom (table to 30, then a series in 1/df). */
    static double t975(int df) {
        if (df < 1) throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        if (df <= T975.length) return T975[df - 1];
        double z = 1.959964;
        double z3 = z * z * z;
        double z5 = z3 * z * z;
        // Cornish-Fisher expansion of t in terms of the normal quantile (Abramowitz & Stegun 26.7.5)
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    /**
     * The two-thread verdict across forks, from each fork's paired ratio r_i (n-thread median time
     * over one-thread median time, both from the same JVM): the 95 % Student-t interval of the mean
     * of ln r_i, exponentiated; {@code ratio} is the geometric mean, the interval's centre. The
     * verdict is {@code slower} only when the whole interval lies above 1, {@code faster} when it
     * lies below 1, else {@code same}. It needs at least 2 forks (with 2 the t quantile is 12.7 and
     * only large, consistent differences register; 3 forks give 4.30, 5 give 2.78).
     */
    static PerfSuite.Paired verdict(double[] forkRatios) {
        int n = forkRatios.length;
        if (n < 2) throw new IllegalArgumentException("a verdict across forks needs at least 2 forks, got " + n);
        double mean = 0;
        for (double r : forkRatios) {
            if (!(r > 0) || Double.isInfinite(r))
                throw new IllegalArgumentException("fork ratio must be positive and finite, got " + r);
            mean += Math.log(r);
        }
        mean /= n;
        double ss = 0;
        for (double r : forkRatios) {
            double d = Math.log(r) - mean;
            ss += d * d;
        }
        double half = t975(n - 1) * Math.sqrt(ss / (n - 1) / n);
        double low = Math.exp(mean - half);
        double high = Math.exp(mean + half);
        String v = low > 1 ? "slower" : high < 1 ? "faster" : "same";
        return new PerfSuite.Paired(Math.exp(mean), low, high, v, n);
    }

    /**
     * Combines the JSON lines of the forks (one list per fork, each with the same keys
     * estimator/shape/threads) into one line per key, in the order of the first fork.
     *
     * @throws IllegalArgumentException when a fork lacks a key of the first fork or has extra lines
     */
    static List<Map<String, Object>> combine(List<List<Map<String, Object>>> forks) {
        if (forks.isEmpty()) throw new IllegalArgumentException("no forks to combine");
        List<Map<String, Map<String, Object>>> byKey = new ArrayList<>();
        for (List<Map<String, Object>> f : forks) {
            Map<String, Map<String, Object>> m = new LinkedHashMap<>();
            for (Map<String, Object> r : f) {
                if (m.put(key(r), r) != null) throw new IllegalArgumentException("two lines for " + key(r));
            }
            byKey.add(m);
        }
        for (int i = 1; i < byKey.size(); i++) {
            if (!byKey.get(i).keySet().equals(byKey.get(0).keySet()))
                throw new IllegalArgumentException("fork " + (i + 1) + " timed other rows than fork 1: "
                        + byKey.get(i).keySet() + " vs " + byKey.get(0).keySet());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String k : byKey.get(0).keySet()) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Map<String, Map<String, Object>> m : byKey) rows.add(m.get(k));
            out.add(combineRow(rows));
        }
        return out;
    }

    private static String key(Map<String, Object> r) {
        return r.get("estimator") + "/" + r.get("shape") + "/" + r.get("threads");
    }

    /** One key's lines from every fork (same estimator, shape and threads) as one line. */
    static Map<String, Object> combineRow(List<Map<String, Object>> rows) {
        int n = rows.size();
        Map<String, Object> first = rows.get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("estimator", first.get("estimator"));
        m.put("shape", first.get("shape"));
        m.put("tokens", first.get("tokens"));
        for (Map<String, Object> r : rows) {
            if (r.get("error") != null) {
                // cannot run on this shape (a property of the estimator, not of the JVM): the first fork's reason
                m.put("threads", r.get("threads"));
                m.put("error", r.get("error"));
                m.put("forks", n);
                return m;
            }
        }
        double medianMs = median(rows, "median_ms");
        double copyMs = median(rows, "copy_ms");
        double tokens = dbl(first.get("tokens"));
        m.put("median_ms", round(medianMs));
        m.put("tokens_per_second", round(tokens / (medianMs / 1e3)));
        m.put("ratio_to_copy", round(copyMs / medianMs));
        m.put("floor_ms", round(median(rows, "floor_ms")));
        putRatio(m, rows, "ratio_to_floor");
        m.put("threads", first.get("threads"));
        m.put("bytes_per_token", first.get("bytes_per_token"));
        m.put("copy_ms", round(copyMs));
        if (all(rows, "min_ms")) {
            double min = min(rows, "min_ms");
            double floorMin = min(rows, "floor_min_ms");
            m.put("min_ms", round(min));
            m.put("floor_min_ms", round(floorMin));
            m.put("ratio_to_floor_min", round(floorMin / min));
        }
        if (all(rows, "cpu_ms")) {
            m.put("cpu_ms", round(median(rows, "cpu_ms")));
            m.put("floor_cpu_ms", round(median(rows, "floor_cpu_ms")));
            putRatio(m, rows, "ratio_to_floor_cpu");
        }
        if (all(rows, "peak_heap_bytes_per_token"))
            m.put("peak_heap_bytes_per_token", round(median(rows, "peak_heap_bytes_per_token")));
        m.put("runs", sum(rows, "runs"));
        m.put("forks", n);
        if (all(rows, "time_ratio_to_1_thread")) {
            double[] r = values(rows, "time_ratio_to_1_thread");
            m.put("time_ratio_per_fork", r);
            // each JVM's own verdict from its within-JVM bootstrap interval (what one run without forks would have
            // said)
            List<Object> own = new ArrayList<>();
            for (Map<String, Object> x : rows) own.add(x.get("vs_1_thread"));
            m.put("vs_1_thread_per_fork", own);
            m.put("paired_runs", sum(rows, "paired_runs"));
            if (n >= 2) {
                PerfSuite.Paired p = verdict(r);
                m.put("time_ratio_to_1_thread", round(p.ratio()));
                m.put("time_ratio_ci95_low", round(p.low()));
                m.put("time_ratio_ci95_high", round(p.high()));
                m.put("vs_1_thread", p.verdict());
            } else {
                for (String k :
                        List.of("time_ratio_to_1_thread", "time_ratio_ci95_low", "time_ratio_ci95_high", "vs_1_thread"))
                    m.put(k, first.get(k));
            }
        }
        return m;
    }

    /** {@code key} = the median of the forks' values, {@code key_fork_min} / {@code key_fork_max} their range. */
    private static void putRatio(Map<String, Object> m, List<Map<String, Object>> rows, String key) {
        double[] v = values(rows, key);
        m.put(key, round(PerfCommand.median(v)));
        m.put(key + "_fork_min", Arrays.stream(v).min().orElse(Double.NaN));
        m.put(key + "_fork_max", Arrays.stream(v).max().orElse(Double.NaN));
    }

    private static boolean all(List<Map<String, Object>> rows, String key) {
        for (Map<String, Object> r : rows) if (!(r.get(key) instanceof Number)) return false;
        return true;
    }

    private static double[] values(List<Map<String, Object>> rows, String key) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            Object o = rows.get(i).get(key);
            if (!(o instanceof Number)) throw new IllegalArgumentException("fork " + (i + 1) + " has no " + key);
            v[i] = ((Number) o).doubleValue();
        }
        return v;
    }

    private static double median(List<Map<String, Object>> rows, String key) {
        return PerfCommand.median(values(rows, key));
    }

    private static double min(List<Map<String, Object>> rows, String key) {
        return Arrays.stream(values(rows, key)).min().orElse(Double.NaN);
    }

    private static long sum(List<Map<String, Object>> rows, String key) {
        long s = 0;
        for (Map<String, Object> r : rows) if (r.get(key) instanceof Number x) s += x.longValue();
        return s;
    }

    private static double dbl(Object o) {
        return o instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    static double round(double v) {
        return PerfSuite.Result.round(v);
    }

    /** A combined row as one text line (the text output of {@code --all} without {@code --json}). */
    static String text(Map<String, Object> r) {
        if (r.get("error") != null)
            return String.format(
                    Locale.ROOT, "%-22s %-10s cannot run: %s", r.get("estimator"), r.get("shape"), r.get("error"));
        String s = String.format(
                Locale.ROOT,
                "%-22s %-10s %,d tokens  %s thr  %d forks  %9.3f ms  floor %.3f ms  floor x%.3f [%.3f, %.3f]",
                r.get("estimator"),
                r.get("shape"),
                (long) dbl(r.get("tokens")),
                r.get("threads"),
                (long) dbl(r.get("forks")),
                dbl(r.get("median_ms")),
                dbl(r.get("floor_ms")),
                dbl(r.get("ratio_to_floor")),
                dbl(r.get("ratio_to_floor_fork_min")),
                dbl(r.get("ratio_to_floor_fork_max")));
        if (r.get("ratio_to_floor_cpu") != null)
            s += String.format(
                    Locale.ROOT,
                    "  (cpu: floor x%.3f [%.3f, %.3f])",
                    dbl(r.get("ratio_to_floor_cpu")),
                    dbl(r.get("ratio_to_floor_cpu_fork_min")),
                    dbl(r.get("ratio_to_floor_cpu_fork_max")));
        if (r.get("vs_1_thread") != null)
            s += String.format(
                    Locale.ROOT,
                    "  vs 1 thread x%.3f [%.3f, %.3f] %s",
                    dbl(r.get("time_ratio_to_1_thread")),
                    dbl(r.get("time_ratio_ci95_low")),
                    dbl(r.get("time_ratio_ci95_high")),
                    r.get("vs_1_thread"));
        return s;
    }

    /**
     * Runs {@code forks} children one after another and returns their combined lines.
     *
     * @param command the child command up to the main class ({@link #javaCommand()})
     * @param ids the estimators in the order of fork 1
     * @param shapes the shapes' wire names, in the order the children time them
     * @param threads the thread counts
     * @param passThrough the options every child gets (shape, tokens, budget, threads, seed, ...)
     * @throws ForkFailed when a child exits non-zero or prints lines that are not the expected JSON
     */
    static List<Map<String, Object>> run(
            List<String> command,
            int forks,
            List<String> ids,
            List<String> shapes,
            List<Integer> threads,
            long seed,
            List<String> passThrough,
            PrintWriter err)
            throws ForkFailed, IOException, InterruptedException {
        ObjectMapper mapper = new ObjectMapper();
        List<List<Map<String, Object>>> results = new ArrayList<>();
        int rowsPerFork = ids.size() * shapes.size() * threads.size();
        for (int f = 0; f < forks; f++) {
            List<String> order = order(ids, f, seed);
            List<String> cmd = new ArrayList<>(command);
            cmd.addAll(List.of("perf", "--all", "--json", "--estimators", String.join(",", order)));
            cmd.addAll(passThrough);
            String label = "fork " + (f + 1) + "/" + forks;
            synchronized (err) {
                err.println("perf: " + label + ": a new JVM, estimators in the order " + String.join(",", order));
                err.flush();
            }
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).start();
            p.getOutputStream().close();
            Deque<String> tail = new ArrayDeque<>();
            int[] done = {0};
            Thread reader = new Thread(
                    () -> forwardProgress(p, label, ids.size() * shapes.size(), tail, done, err), "perf-" + label);
            reader.setDaemon(true);
            reader.start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) lines.add(l);
            }
            int code = p.waitFor();
            reader.join();
            String where = where(order, shapes, done[0]);
            if (code != 0) throw new ForkFailed(label + " failed (exit " + code + ") on " + where + ": " + tail(tail));
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String l : lines) {
                try {
                    JsonNode j = mapper.readTree(l);
                    if (!j.has("estimator") || !j.has("shape") || !j.has("threads"))
                        throw new ForkFailed(label + " printed a line that is not a 'perf --all --json' line: " + l);
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = mapper.convertValue(j, LinkedHashMap.class);
                    rows.add(m);
                } catch (JsonProcessingException e) {
                    throw new ForkFailed(label + " printed a line that is not JSON: " + l);
                }
            }
            if (rows.size() != rowsPerFork)
                throw new ForkFailed(label + " printed " + rows.size() + " lines, expected " + rowsPerFork + " ("
                        + where + "): " + tail(tail));
            results.add(rows);
            synchronized (err) {
                err.printf(Locale.ROOT, "perf: %s done in %s%n", label, Fmt.seconds((System.nanoTime() - t0) / 1e9));
                err.flush();
            }
        }
        // fork 1 timed the estimators in the caller's order: its line order is the combined order
        try {
            return combine(results);
        } catch (IllegalArgumentException e) {
            throw new ForkFailed("cannot combine the forks: " + e.getMessage());
        }
    }

    /** Reads a child's stderr: progress lines go on as "fork f/N: estimator k/total ...", the rest is kept for errors. */
    private static void forwardProgress(
            Process p, String label, int total, Deque<String> tail, int[] done, PrintWriter err) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                Matcher m = PROGRESS.matcher(l);
                synchronized (err) {
                    if (m.matches()) {
                        done[0] = Integer.parseInt(m.group(1));
                        err.println(
                                "perf: " + label + ": estimator " + m.group(1) + "/" + m.group(2) + " " + m.group(3));
                    } else {
                        synchronized (tail) {
                            tail.addLast(l);
                            if (tail.size() > TAIL) tail.removeFirst();
                        }
                        err.println("perf: " + label + ": " + l);
                    }
                    err.flush();
                }
            }
        } catch (IOException e) {
            synchronized (tail) {
                tail.addLast("(stderr unreadable: " + e.getMessage() + ")");
            }
        }
    }

    /** The estimator and shape a child was on after {@code done} finished (estimator, shape) steps. */
    static String where(List<String> order, List<String> shapes, int done) {
        int n = order.size();
        if (done >= n * shapes.size()) return "no estimator (after the last one)";
        return "estimator " + order.get(done % n) + ", shape " + shapes.get(done / n) + " (" + (done + 1) + "/"
                + n * shapes.size() + ")";
    }

    /**
     * The last few informative lines of a child's stderr, joined on one line: stack frames
     * ({@code at ...}, {@code ... n more}) are left out, the exception lines kept.
     */
    static String tail(Deque<String> lines) {
        List<String> keep = new ArrayList<>();
        synchronized (lines) {
            for (String l : lines) {
                String s = l.strip();
                if (s.isEmpty() || s.startsWith("at ") || s.matches("\\.\\.\\. \\d+ more")) continue;
                keep.add(s);
            }
        }
        if (keep.isEmpty()) return "(no stderr)";
        String s = String.join(" | ", keep.subList(Math.max(0, keep.size() - 3), keep.size()));
        return s.length() > 600 ? "…" + s.substring(s.length() - 600) : s;
    }
}
