package dev.apportion.core.estimator.token;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throwaway measurement harness (not a test; run by hand) behind docs/perf/notes/gae-vector.md:
 * what the GAE float32 recursion costs per token on this JVM, in the layouts that were tried for
 * issue 14. CPU time of the calling thread, best of many repetitions after warm-up, picoseconds
 * per token. Compare each mode with and without {@code -XX:-UseSuperWord} to see which loops C2
 * vectorizes. Usage:
 * <pre>
 * java -cp target/classes:target/test-classes dev.apportion.core.estimator.token.GaeLayoutProbe \
 *     [layout|gather|chains]
 * </pre>
 * <ul>
 *   <li>{@code layout}: the recursion over K trajectories transposed into rows of K lanes, read
 *       at distance K ({@code A[i] = ((ρ[i] + γ·V[i−K]) − V[i]) + γλ·A[i−K]}), for K = 16 and 64;
 *       the same with the carried state in a separate array of K (a loop over the lanes of one
 *       row); the float→double copy and the double whitening sums in the distance-K layout.</li>
 *   <li>{@code gather}: moving two streams (dense rewards, values) of 64 trajectories of 1024
 *       tokens into that layout, backwards, 32 rows at a time, from a source that fits the L2
 *       cache and from one that does not, with and without touching each lane's next 256 tokens
 *       first.</li>
 *   <li>{@code chains}: the scalar chain of four (and eight) interleaved trajectories with the
 *       whitening sums, as {@link GaeLanes} runs it on a compact array (no mask test): with sums,
 *       chain alone, sums alone.</li>
 * </ul>
 */
public final class GaeLayoutProbe {
    private static final int ROWS = 32;
    private static final int K16 = 16;
    private static final int K64 = 64;
    private static final int N = 4096;
    private static double sink;

    private GaeLayoutProbe() {}

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "layout";
        switch (mode) {
            case "layout" -> layout();
            case "gather" -> gather();
            case "chains" -> chains();
            default -> throw new IllegalArgumentException("layout, gather or chains: " + mode);
        }
        if (sink == 42) System.out.println();
    }

    // ---- layout --------------------------------------------------------------------------------

    private static void layout() {
        int n = (ROWS + 1) * K64;
        float[] rho = random(n, 1);
        float[] val = random(n, 2);
        float[] adv = new float[n];
        float[] ret = new float[n];
        float[] state = new float[K64];
        float[] nextV = new float[K64];
        double[] x = new double[n];
        double[] c = new double[n];
        double[] p = new double[n];
        double[] q = new double[n];
        report("distance-K recursion, K=64", ROWS * K64, () -> rows64(rho, val, adv, ret, 0.99f, 0.95f));
        report("distance-K recursion, K=16", ROWS * K16, () -> rows16(rho, val, adv, ret, 0.99f, 0.95f));
        report("lanes loop, state in an array of K=64", ROWS * K64, () -> {
            for (int r = 1; r <= ROWS; r++) lanes(rho, val, adv, ret, state, nextV, r * K64, 0.99f, 0.95f);
        });
        report("float->double copy", ROWS * K64, () -> {
            for (int i = K64; i < n; i++) x[i] = adv[i];
        });
        report("double sums at distance K=64", ROWS * K64, () -> sums64(x, c, p, q));
    }

    private static void rows64(float[] rho, float[] v, float[] a, float[] rt, float g, float gl) {
        int end = (ROWS + 1) * K64;
        for (int i = K64; i < end; i++) {
            float vt = v[i];
            float y = ((rho[i] + g * v[i - K64]) - vt) + gl * a[i - K64];
            a[i] = y;
            rt[i] = y + vt;
        }
    }

    private static void rows16(float[] rho, float[] v, float[] a, float[] rt, float g, float gl) {
        int end = (ROWS + 1) * K16;
        for (int i = K16; i < end; i++) {
            float vt = v[i];
            float y = ((rho[i] + g * v[i - K16]) - vt) + gl * a[i - K16];
            a[i] = y;
            rt[i] = y + vt;
        }
    }

    private static void lanes(
            float[] rho, float[] v, float[] a, float[] rt, float[] state, float[] nv, int o, float g, float gl) {
        for (int l = 0; l < K64; l++) {
            float vt = v[o + l];
            float y = ((rho[o + l] + g * nv[l]) - vt) + gl * state[l];
            state[l] = y;
            nv[l] = vt;
            a[o + l] = y;
            rt[o + l] = y + vt;
        }
    }

    private static void sums64(double[] x, double[] c, double[] p, double[] q) {
        int end = (ROWS + 1) * K64;
        for (int i = K64; i < end; i++) {
            double y = x[i] - c[i];
            p[i] = p[i - K64] + y;
            q[i] = Math.fma(y, y, q[i - K64]);
        }
    }

    // ---- gather --------------------------------------------------------------------------------

    private static void gather() {
        for (int total : new int[] {1 << 16, 1 << 21}) {
            float[] src = random(total, 3);
            float[] src2 = random(total, 4);
            float[] rho = new float[(ROWS + 1) * K64];
            float[] val = new float[(ROWS + 1) * K64];
            int[] pos = new int[K64];
            for (boolean touch : new boolean[] {false, true}) {
                int len = 1024;
                int groups = total / (K64 * len);
                report(
                        "gather 2 streams, " + (total * 8L >> 10) + " KB source" + (touch ? ", touch ahead" : ""),
                        groups * K64 * len,
                        () -> {
                            for (int g = 0; g < groups; g++) {
                                int base = g * K64 * len;
                                for (int j = 0; j < K64; j++) pos[j] = base + j * len + len - 1;
                                for (int done = 0; done < len; done += ROWS) {
                                    if (touch && done % 256 == 0) touchAhead(src, src2, pos, base, len);
                                    laneMajor(src, src2, rho, val, pos);
                                }
                            }
                        });
            }
        }
    }

    private static void laneMajor(float[] src, float[] src2, float[] rho, float[] val, int[] pos) {
        for (int j = 0; j < K64; j++) {
            int o = K64 + j;
            int t = pos[j];
            for (int k = 0; k < ROWS; k++) {
                rho[o] = src[t];
                val[o] = src2[t];
                o += K64;
                t--;
            }
            pos[j] = t;
        }
    }

    private static void touchAhead(float[] src, float[] src2, int[] pos, int base, int len) {
        double s = 0;
        for (int j = 0; j < K64; j++) {
            int lo = Math.max(base + j * len, pos[j] - 255);
            for (int t = pos[j]; t >= lo; t -= 16) s += src[t] + src2[t];
        }
        sink += s;
    }

    // ---- chains --------------------------------------------------------------------------------

    private static void chains() {
        float[][] x = new float[8][];
        for (int j = 0; j < 8; j++) x[j] = random(N, 10 + j);
        report("4 lanes, chain + sums", 4 * N, () -> four(x, 0.1, true, true));
        report("4 lanes, chain only", 4 * N, () -> four(x, 0.1, true, false));
        report("4 lanes, sums only", 4 * N, () -> four(x, 0.1, false, true));
        report("8 lanes interleaved, chain + sums", 8 * N, () -> eight(x, 0.1));
    }

    private static void four(float[][] x, double c, boolean chain, boolean sums) {
        if (chain && sums) fourBoth(x[0], x[1], x[2], x[3], c);
        else if (chain) fourChain(x[0], x[1], x[2], x[3]);
        else fourSums(x[0], x[1], x[2], x[3], c);
    }

    private static void fourBoth(float[] x0, float[] x1, float[] x2, float[] x3, double c) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (int k = N - 1; k >= 0; k--) {
            float y0 = x0[k] * 0.5f + a0;
            float y1 = x1[k] * 0.5f + a1;
            float y2 = x2[k] * 0.5f + a2;
            float y3 = x3[k] * 0.5f + a3;
            a0 = y0;
            a1 = y1;
            a2 = y2;
            a3 = y3;
            double z0 = y0 - c;
            double z1 = y1 - c;
            double z2 = y2 - c;
            double z3 = y3 - c;
            p0 += z0;
            p1 += z1;
            p2 += z2;
            p3 += z3;
            q0 = Math.fma(z0, z0, q0);
            q1 = Math.fma(z1, z1, q1);
            q2 = Math.fma(z2, z2, q2);
            q3 = Math.fma(z3, z3, q3);
        }
        sink += a0 + a1 + a2 + a3 + p0 + p1 + p2 + p3 + q0 + q1 + q2 + q3;
    }

    private static void fourChain(float[] x0, float[] x1, float[] x2, float[] x3) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int k = N - 1; k >= 0; k--) {
            a0 = x0[k] * 0.5f + a0;
            a1 = x1[k] * 0.5f + a1;
            a2 = x2[k] * 0.5f + a2;
            a3 = x3[k] * 0.5f + a3;
        }
        sink += a0 + a1 + a2 + a3;
    }

    private static void fourSums(float[] x0, float[] x1, float[] x2, float[] x3, double c) {
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (int k = N - 1; k >= 0; k--) {
            double z0 = x0[k] - c;
            double z1 = x1[k] - c;
            double z2 = x2[k] - c;
            double z3 = x3[k] - c;
            p0 += z0;
            p1 += z1;
            p2 += z2;
            p3 += z3;
            q0 = Math.fma(z0, z0, q0);
            q1 = Math.fma(z1, z1, q1);
            q2 = Math.fma(z2, z2, q2);
            q3 = Math.fma(z3, z3, q3);
        }
        sink += p0 + p1 + p2 + p3 + q0 + q1 + q2 + q3;
    }

    private static void eight(float[][] x, double c) {
        float[] x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        double p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0;
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0, q6 = 0, q7 = 0;
        for (int k = N - 1; k >= 0; k--) {
            a0 = x0[k] * 0.5f + a0;
            a1 = x1[k] * 0.5f + a1;
            a2 = x2[k] * 0.5f + a2;
            a3 = x3[k] * 0.5f + a3;
            a4 = x4[k] * 0.5f + a4;
            a5 = x5[k] * 0.5f + a5;
            a6 = x6[k] * 0.5f + a6;
            a7 = x7[k] * 0.5f + a7;
            double z0 = a0 - c, z1 = a1 - c, z2 = a2 - c, z3 = a3 - c;
            double z4 = a4 - c, z5 = a5 - c, z6 = a6 - c, z7 = a7 - c;
            p0 += z0;
            p1 += z1;
            p2 += z2;
            p3 += z3;
            p4 += z4;
            p5 += z5;
            p6 += z6;
            p7 += z7;
            q0 = Math.fma(z0, z0, q0);
            q1 = Math.fma(z1, z1, q1);
            q2 = Math.fma(z2, z2, q2);
            q3 = Math.fma(z3, z3, q3);
            q4 = Math.fma(z4, z4, q4);
            q5 = Math.fma(z5, z5, q5);
            q6 = Math.fma(z6, z6, q6);
            q7 = Math.fma(z7, z7, q7);
        }
        sink += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
        sink += p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7 + q0 + q1 + q2 + q3 + q4 + q5 + q6 + q7;
    }

    // ---- common --------------------------------------------------------------------------------

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }

    /** Best CPU time per token over 300 repetitions of {@code body} (the first 100 are warm-up). */
    private static void report(String what, int tokens, Runnable body) {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int inner = Math.max(1, 200_000 / tokens);
        long best = Long.MAX_VALUE;
        for (int rep = 0; rep < 300; rep++) {
            long t0 = tm.getCurrentThreadCpuTime();
            for (int k = 0; k < inner; k++) body.run();
            long dt = tm.getCurrentThreadCpuTime() - t0;
            if (rep >= 100) best = Math.min(best, dt);
        }
        System.out.printf(Locale.ROOT, "%-55s %6d ps/token%n", what, best * 1000 / ((long) inner * tokens));
    }
}
