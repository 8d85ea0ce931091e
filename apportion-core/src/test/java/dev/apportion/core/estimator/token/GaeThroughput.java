package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Throwaway throughput harness (not a test; run by hand): {@code gae} (verl preset, γ = 0.99,
 * λ = 0.95) or {@code reinforce_plus_plus} on 2048 trajectories of about 5000 tokens (one
 * context prompt span + one policy span; or, with {@code turns}, a prompt and 20 short turns
 * between observations; token rewards and critic values) against
 * {@code System.arraycopy} of a float[] of the token count into an existing array. Reports
 * per call, median after warm-up and best of N: wall time, CPU time of the whole process (all
 * threads, GC included) and CPU time of the busiest thread (what the wall time would be on idle
 * cores; the build machine is shared, so wall times of several threads mean little). Usage:
 * <pre>
 * java -cp target/classes:target/test-classes dev.apportion.core.estimator.token.GaeThroughput \
 *     [threads] [gae|rpp] [reps] [buffers|alloc] [single|turns]
 * </pre>
 */
public final class GaeThroughput {
    private GaeThroughput() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        String which = args.length > 1 ? args[1] : "gae";
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        Credit.Buffers buffers = args.length > 3 && args[3].equals("alloc") ? null : new Credit.Buffers();
        boolean turns = args.length > 4 && args[4].equals("turns");
        SplittableRandom r = new SplittableRandom(42);
        int n = 2048;
        // single turn: prompt 500-1500 + response 3500-4500; turns: prompt, then 20 turns of
        // 20-100 policy tokens each followed by a 10-50 token observation
        int[][] spans = new int[n][];
        long total = 0;
        for (int i = 0; i < n; i++) {
            if (turns) {
                spans[i] = new int[41];
                spans[i][0] = 500 + r.nextInt(1000);
                for (int k = 1; k < 41; k++) spans[i][k] = k % 2 == 1 ? 20 + r.nextInt(81) : 10 + r.nextInt(41);
            } else {
                spans[i] = new int[] {500 + r.nextInt(1000), 3500 + r.nextInt(1000)};
            }
            for (int x : spans[i]) total += x;
        }
        float[] reward = new float[(int) total];
        float[] value = new float[(int) total];
        for (int t = 0; t < total; t++) {
            reward[t] = (float) (r.nextDouble() * 0.02 - 0.01);
            value[t] = (float) r.nextDouble();
        }
        RolloutsBuilder b = Rollouts.builder().ensureCapacity(n, 41 * n, (int) total);
        int off = 0;
        for (int i = 0; i < n; i++) {
            int len = 0;
            b.trajectory("g" + (i / 8), "t" + i);
            for (int k = 0; k < spans[i].length; k++) {
                b.span(k % 2 == 0 ? Role.CONTEXT : Role.POLICY, spans[i][k]);
                len += spans[i][k];
            }
            b.tokenSignal(Rollouts.REWARD, Arrays.copyOfRange(reward, off, off + len))
                    .tokenSignal(Rollouts.VALUE, Arrays.copyOfRange(value, off, off + len));
            off += len;
        }
        Rollouts batch = b.build();
        Estimator est = which.equals("rpp") ? new ReinforcePlusPlus() : new Gae();
        Params p = Params.resolve(
                est.descriptor(),
                "verl",
                which.equals("rpp") ? Map.of("gamma", 0.99) : Map.of("gamma", 0.99, "lambda", 0.95));
        java.lang.management.ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        try (Execution ex = Execution.threads(threads)) {
            int tokens = batch.tokenCount();
            float[] src = est.assign(batch, p, ex).advantages();
            float[] dst = new float[tokens];
            double[] wg = new double[reps];
            double[] cg = new double[reps];
            double[] mg = new double[reps];
            double[] wc = new double[reps];
            double[] cc = new double[reps];
            long sink = 0;
            for (int k = 0; k < reps; k++) {
                Map<String, Long> c0 = taskCpuNanos();
                long t0 = System.nanoTime();
                Credit c = est.assign(batch, p, ex, buffers);
                long t1 = System.nanoTime();
                Map<String, Long> c1 = taskCpuNanos();
                long u0 = tm.getCurrentThreadCpuTime();
                long t2 = System.nanoTime();
                System.arraycopy(src, 0, dst, 0, tokens);
                long t3 = System.nanoTime();
                long u1 = tm.getCurrentThreadCpuTime();
                sink += Float.floatToIntBits(c.advantages()[k]) + Float.floatToIntBits(dst[k]);
                long sum = 0;
                long max = 0;
                for (Map.Entry<String, Long> e : c1.entrySet()) {
                    long dt = e.getValue() - c0.getOrDefault(e.getKey(), 0L);
                    sum += dt;
                    max = Math.max(max, dt);
                }
                wg[k] = (t1 - t0) / 1e9;
                cg[k] = sum / 1e9;
                mg[k] = max / 1e9;
                wc[k] = (t3 - t2) / 1e9;
                cc[k] = (u1 - u0) / 1e9;
            }
            int w = reps / 4;
            wg = Arrays.copyOfRange(wg, w, reps);
            cg = Arrays.copyOfRange(cg, w, reps);
            mg = Arrays.copyOfRange(mg, w, reps);
            wc = Arrays.copyOfRange(wc, w, reps);
            cc = Arrays.copyOfRange(cc, w, reps);
            System.out.printf(
                    Locale.ROOT,
                    "%s %s, %d tokens, %d thread(s), %d calls after %d warm-up%n",
                    est.id(),
                    buffers == null ? "allocating" : "with Credit.Buffers",
                    tokens,
                    threads,
                    reps - w,
                    w);
            for (String stat : new String[] {"median", "best"}) {
                boolean best = stat.equals("best");
                double gw = best ? min(wg) : median(wg);
                double gc = best ? min(cg) : median(cg);
                double gm = best ? min(mg) : median(mg);
                double xw = best ? min(wc) : median(wc);
                double xc = best ? min(cc) : median(cc);
                System.out.printf(
                        Locale.ROOT,
                        "  %-6s wall %6.2f ms (%5.0f Mtok/s)  cpu %6.2f ms  busiest thread cpu %6.2f ms"
                                + " | copy wall %5.2f ms (%5.0f Mtok/s) cpu %5.2f ms | ratio wall %.3f, cpu %.3f,"
                                + " busiest thread %.3f%n",
                        stat,
                        gw * 1e3,
                        tokens / gw / 1e6,
                        gc * 1e3,
                        gm * 1e3,
                        xw * 1e3,
                        tokens / xw / 1e6,
                        xc * 1e3,
                        xw / gw,
                        xc / gc,
                        xc / gm);
            }
            if (sink == 42) System.out.println("unlikely");
        }
    }

    /**
     * CPU time of each thread of this process (Java, GC and compiler threads) in ns by task id,
     * from /proc/self/task/N/schedstat (getProcessCpuTime has a 10 ms tick here).
     */
    private static Map<String, Long> taskCpuNanos() {
        Map<String, Long> out = new java.util.HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) return out;
        for (java.io.File t : tasks) {
            try {
                String s = java.nio.file.Files.readString(new java.io.File(t, "schedstat").toPath());
                out.put(t.getName(), Long.parseLong(s.substring(0, s.indexOf(' '))));
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        return out;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
