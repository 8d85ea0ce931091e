package dev.apportion.core.kernel;

import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * The backward linear recurrence {@code A_t = d_t + c·A_{t+1}} over one span of tokens, with the
 * per-token outputs and whitening partial sums the token estimators need, arranged so that the
 * JIT vectorizes all but one pass. One instance is the scratch space of one thread; the
 * {@link Powers} it reads are shared.
 *
 * <h2>Method</h2>
 * Token by token the recurrence is latency-bound (one dependent multiply and add per token). A
 * span of at least {@link #BLOCKED_MIN} tokens is cut into {@link #CHAINS} blocks of
 * {@code m = n / CHAINS} tokens (the last takes the remainder):
 * <ol>
 *   <li>the local recurrences of the blocks, each started from 0, run interleaved in one loop
 *       (independent chains, so the CPU overlaps them), in double, stored as float:
 *       {@code l_t = d_t + c·l_{t+1}};</li>
 *   <li>a backward pass over the blocks carries the exact value into each block, in double:
 *       {@code A(start_b) = l(start_b) + c^len_b · A(end_b)}, where {@code A(end_b)} is the
 *       value after the block (the carried value for the last block);</li>
 *   <li>one vectorizable pass per block fixes every token up,
 *       {@code A_t = l_t + c^(end_b − t)·A(end_b)} in float, with the powers copied from a
 *       table, and in the same pass writes the returns and accumulates the whitening sums.</li>
 * </ol>
 * The result differs from the token-by-token double recursion rounded to float by the float
 * rounding of {@code l_t}, of the power and of the fix-up: a few units in the last place of
 * {@code max(|l_t|, |c^k·A(end_b)|)}, whatever the span length and {@code c} (below 1e-6 of the
 * span's largest value, pinned by {@code BackwardScanTest}). Shorter spans ({@link #runInPlace})
 * run one chain in double started from the carried value, four tokens per step, directly in the
 * caller's arrays.
 *
 * <p>Whitening sums: {@code Σ(A−s)} and {@code Σ(A−s)²} over the float advantages, with a
 * per-trajectory shift {@code s} (the mean of eight values of the trajectory's last span, so that
 * the shifted sums do not cancel). The blocked path accumulates them in float over 64 lanes
 * ({@code acc[u+64] = acc[u] + x}, a loop-carried distance the JIT vectorizes; about
 * {@code n/64} terms per lane) and adds the lanes to double totals at the end of the span; the
 * short path sums in double. Everything depends only on the span's data and length, so the
 * result of a trajectory does not depend on the thread, the batch or the scratch contents.
 *
 * <p>The JIT of Java 17 vectorizes a loop only when all its arrays are indexed alike and none
 * at an offset that is not a multiple of the vector length; a long span is therefore copied into
 * scratch arrays indexed from 0 (the values once more, shifted by one token, for
 * {@code V_{t+1}}), and the results are copied out. Java has no prefetch instruction, so the
 * recurrence loops also load one cache line per step of a trajectory processed later
 * ({@link #prefetch}): its memory traffic then overlaps this span's arithmetic.
 *
 * <p>Usage per long span of {@code n} tokens: fill {@link #d} (and, for GAE, {@link #v}) with
 * {@link #loadTd} or directly, call {@link #run}, read the advantages from {@link #d} and the
 * returns from {@link #v}. {@link #beginTrajectory()} resets the whitening sums.
 */
public final class BackwardScan {
    /** Number of interleaved chains (blocks) of a long span. */
    public static final int CHAINS = 8;
    /** Shortest block: spans below {@link #BLOCKED_MIN} tokens run one chain. */
    public static final int MIN_CHAIN = 32;
    /** Shortest span that takes the blocked path. */
    public static final int BLOCKED_MIN = CHAINS * MIN_CHAIN;

    private static final int LANES = 64;

    /** Powers of the recurrence factor {@code c}, shared by the threads of one call. */
    public static final class Powers {
        final double c;
        /** {@code pow[k] = c^k} in double, {@code k ∈ [0, len]}, by repeated multiplication. */
        final double[] pow;
        /** {@code pat[k] = (float) c^(len − k)}. */
        final float[] pat;

        final int len;

        /** Powers for blocks of up to {@code maxBlock} tokens. */
        public Powers(double c, int maxBlock) {
            this.c = c;
            this.len = Math.max(1, maxBlock);
            pow = new double[len + 1];
            pow[0] = 1;
            for (int k = 1; k <= len; k++) pow[k] = pow[k - 1] * c;
            pat = new float[len];
            for (int k = 0; k < len; k++) pat[k] = (float) pow[len - k];
        }

        /** Powers for the spans of a batch whose longest span has {@code maxSpan} tokens. */
        public static Powers forSpans(double c, int maxSpan) {
            return new Powers(c, maxSpan / CHAINS + CHAINS);
        }
    }

    private final Powers pw;
    private final double c;
    /** Per span: in, the terms {@code d_t}; out, the values {@code A_t}. Index 0 = the span's first token. */
    public final float[] d;
    /** Per span: in, the critic values (GAE); out, {@code A_t + v_t} (see {@link #run}). */
    public final float[] v;
    /** Scratch: the values shifted by one token. */
    private final float[] vn;

    private final float[] p;
    private final float[] s1;
    private final float[] s2;
    private final double[] head = new double[CHAINS];
    private final float[] carry = new float[CHAINS];

    private float[] pf0;
    private float[] pf1;
    private float[] pf2;
    private float[] pf3;
    private int pfNext;
    private int pfLast;
    /** Keeps the prefetching loads alive (integer loads of the raw bits: no floating-point work). */
    public int pfSink;

    private int count;
    private float shift;
    private double sum1;
    private double sum2;

    /** Scratch for spans of up to {@code maxSpan} tokens. */
    public BackwardScan(Powers powers, int maxSpan) {
        this.pw = powers;
        this.c = powers.c;
        int cap = Math.max(1, maxSpan) + LANES;
        d = new float[cap];
        v = new float[cap];
        vn = new float[cap];
        p = new float[cap];
        s1 = new float[cap];
        s2 = new float[cap];
        prefetch(null, null, null, null, 0, 0);
    }

    /**
     * Names the token range {@code [from, to)} of four arrays that a later span will read or
     * write: the recurrence loops touch it, one cache line per array and step, so that the memory
     * traffic of that span overlaps this span's arithmetic (Java has no prefetch instruction;
     * integer loads of the raw bits bring the lines into the cache without floating-point work).
     * Results do not depend on it. {@code to <= from} turns it off.
     */
    public void prefetch(float[] a, float[] b, float[] c, float[] e, int from, int to) {
        if (to <= from) {
            // touch one line of the scratch: loads that hit
            a = d;
            b = d;
            c = d;
            e = d;
            from = 0;
            to = 1;
        }
        pf0 = a;
        pf1 = b;
        pf2 = c;
        pf3 = e;
        pfNext = from;
        pfLast = to - 1;
    }

    /**
     * {@link #prefetch} of the tokens of trajectory {@code i} of {@code batch}, or nothing when
     * {@code i} is not below {@code end}.
     */
    public void prefetchTrajectory(Rollouts batch, int i, int end, float[] a, float[] b, float[] c, float[] e) {
        if (i < end) prefetch(a, b, c, e, batch.tokenStart(i), batch.tokenEnd(i));
        else prefetch(null, null, null, null, 0, 0);
    }

    /** Starts a trajectory: clears the whitening sums. */
    public void beginTrajectory() {
        count = 0;
        shift = 0f;
        sum1 = 0;
        sum2 = 0;
    }

    /** Policy tokens seen since {@link #beginTrajectory()}. */
    public int count() {
        return count;
    }

    /** The shift of the whitening sums (0 before the first token). */
    public double shift() {
        return shift;
    }

    /** {@code Σ(A − shift)} over the trajectory so far. */
    public double sum1() {
        return sum1;
    }

    /** {@code Σ(A − shift)²} over the trajectory so far. */
    public double sum2() {
        return sum2;
    }

    /**
     * Loads the TD errors of a span of {@code n} tokens starting at {@code from}:
     * {@code d_k = r_{t} + γ·V_{t+1} − V_{t}} in float for all but the last token, which uses the
     * carried {@code nextV} in double ({@code t = from + k}); also copies the values into {@link #v}.
     *
     * @param r token rewards (read), or null for none
     * @param values critic values (read)
     */
    public void loadTd(float[] r, float[] values, int from, int n, double gamma, double nextV) {
        float[] d = this.d;
        float[] v = this.v;
        float[] vn = this.vn;
        float gf = (float) gamma;
        System.arraycopy(values, from, v, 0, n);
        System.arraycopy(v, 1, vn, 0, n - 1);
        int m = n - 1;
        if (r != null) {
            System.arraycopy(r, from, d, 0, n);
            for (int k = 0; k < m; k++) d[k] = d[k] + gf * vn[k] - v[k];
            d[m] = (float) (d[m] + gamma * nextV - v[m]);
        } else {
            for (int k = 0; k < m; k++) d[k] = gf * vn[k] - v[k];
            d[m] = (float) (gamma * nextV - v[m]);
        }
    }

    /**
     * Runs the recurrence over the span of {@code n} tokens held in {@link #d}: {@code d[k]}
     * becomes {@code A_k}, and, when {@code plusValues}, {@code v[k]} becomes {@code A_k + v[k]}
     * (in float; {@code v} is left alone otherwise); adds the span to the whitening sums.
     *
     * @param next {@code A} after the span (the carried value)
     * @return {@code A} at the span's first token, in double
     */
    public double run(int n, double next, boolean plusValues) {
        if (n == 0) return next;
        if (n < BLOCKED_MIN) return runInPlace(d, 0, n, next, plusValues ? v : null, plusValues ? v : null);
        Arrays.fill(s1, 0, LANES, 0f);
        Arrays.fill(s2, 0, LANES, 0f);
        int m = n / CHAINS;
        localChains(n, m);
        // carries, backwards over the blocks, in double
        double[] pow = pw.pow;
        double a = next;
        double mean = 0;
        for (int b = CHAINS - 1; b >= 0; b--) {
            int len = b == CHAINS - 1 ? n - b * m : m;
            carry[b] = (float) a;
            a = head[b] + pow[len] * a;
            mean += a;
        }
        if (count == 0) shift = (float) (mean / CHAINS);
        float[] pat = pw.pat;
        for (int b = 0; b < CHAINS; b++) {
            int s = b * m;
            int len = b == CHAINS - 1 ? n - s : m;
            System.arraycopy(pat, pw.len - len, p, s, len);
            fixUp(s, s + len, carry[b], plusValues);
        }
        count += n;
        flushLanes(n);
        return a;
    }

    /** The interleaved local recurrences of the {@link #CHAINS} blocks of length {@code m} (the last takes the rest). */
    private void localChains(int n, int m) {
        float[] d = this.d;
        double c = this.c;
        int o1 = m;
        int o2 = 2 * m;
        int o3 = 3 * m;
        int o4 = 4 * m;
        int o5 = 5 * m;
        int o6 = 6 * m;
        int o7 = 7 * m;
        double a7 = 0;
        for (int t = n - 1; t >= o7 + m; t--) {
            a7 = d[t] + c * a7;
            d[t] = (float) a7;
        }
        double a0 = 0;
        double a1 = 0;
        double a2 = 0;
        double a3 = 0;
        double a4 = 0;
        double a5 = 0;
        double a6 = 0;
        int pf = pfNext;
        int pfEnd = pfLast;
        float[] q0 = pf0;
        float[] q1 = pf1;
        float[] q2 = pf2;
        float[] q3 = pf3;
        int sink = 0;
        for (int j = m - 1; j >= 0; j--) {
            int x = Math.min(pf, pfEnd);
            sink ^= Float.floatToRawIntBits(q0[x])
                    ^ Float.floatToRawIntBits(q1[x])
                    ^ Float.floatToRawIntBits(q2[x])
                    ^ Float.floatToRawIntBits(q3[x]);
            pf += 16;
            a0 = d[j] + c * a0;
            a1 = d[o1 + j] + c * a1;
            a2 = d[o2 + j] + c * a2;
            a3 = d[o3 + j] + c * a3;
            a4 = d[o4 + j] + c * a4;
            a5 = d[o5 + j] + c * a5;
            a6 = d[o6 + j] + c * a6;
            a7 = d[o7 + j] + c * a7;
            d[j] = (float) a0;
            d[o1 + j] = (float) a1;
            d[o2 + j] = (float) a2;
            d[o3 + j] = (float) a3;
            d[o4 + j] = (float) a4;
            d[o5 + j] = (float) a5;
            d[o6 + j] = (float) a6;
            d[o7 + j] = (float) a7;
        }
        pfSink ^= sink;
        pfNext = pf;
        head[0] = a0;
        head[1] = a1;
        head[2] = a2;
        head[3] = a3;
        head[4] = a4;
        head[5] = a5;
        head[6] = a6;
        head[7] = a7;
    }

    /** Adds the lane totals held at {@code [at, at + LANES)} to the double sums. */
    private void flushLanes(int at) {
        float[] s1 = this.s1;
        float[] s2 = this.s2;
        double x0 = 0;
        double x1 = 0;
        double y0 = 0;
        double y1 = 0;
        for (int k = at; k < at + LANES; k += 2) {
            x0 += s1[k];
            x1 += s1[k + 1];
            y0 += s2[k];
            y1 += s2[k + 1];
        }
        sum1 += x0 + x1;
        sum2 += y0 + y1;
    }

    /** Tokens {@code [from, to)} of a block: {@code A = l + p·cb}, the returns and the lane sums. */
    private void fixUp(int from, int to, float cb, boolean plusValues) {
        float[] d = this.d;
        float[] v = this.v;
        float[] p = this.p;
        float[] s1 = this.s1;
        float[] s2 = this.s2;
        float sh = shift;
        if (plusValues) {
            for (int u = from; u < to; u++) {
                float a = d[u] + p[u] * cb;
                d[u] = a;
                v[u] = a + v[u];
                float x = a - sh;
                s1[u + LANES] = s1[u] + x;
                s2[u + LANES] = s2[u] + x * x;
            }
        } else {
            for (int u = from; u < to; u++) {
                float a = d[u] + p[u] * cb;
                d[u] = a;
                float x = a - sh;
                s1[u + LANES] = s1[u] + x;
                s2[u + LANES] = s2[u] + x * x;
            }
        }
    }

    /**
     * The recurrence over {@code a[from, from + n)} in place, for spans too short for the
     * blocked path (or any span, directly in the caller's arrays): one chain in double, four
     * tokens per step with the recurrence unrolled, {@code A_{t−k} = e_k + c^(k+1)·A_next}
     * where {@code e_k} depends on the terms only, so the chain of dependent operations is one
     * multiply and add per four tokens. Then {@code ret[t] = A_t + values[t]} in float, or
     * {@code ret[t] = A_t} when {@code values} is null, unless {@code ret} is null. Adds the
     * span to the whitening sums (in double, over the float values).
     *
     * @param a read (the terms) and written (the values)
     * @param values read, or null
     * @param ret written, or null
     * @return {@code A} at the span's first token, in double
     */
    public double runInPlace(float[] a, int from, int n, double next, float[] values, float[] ret) {
        if (n == 0) return next;
        int to = from + n;
        double c = this.c;
        double c2 = c * c;
        double c3 = c2 * c;
        double c4 = c2 * c2;
        double x = next;
        int pf = pfNext;
        int pfEnd = pfLast;
        float[] q0 = pf0;
        float[] q1 = pf1;
        float[] q2 = pf2;
        float[] q3 = pf3;
        int sink = 0;
        int t = to - 1;
        for (; t - 3 >= from; t -= 4) {
            int z = Math.min(pf, pfEnd);
            sink ^= Float.floatToRawIntBits(q0[z])
                    ^ Float.floatToRawIntBits(q1[z])
                    ^ Float.floatToRawIntBits(q2[z])
                    ^ Float.floatToRawIntBits(q3[z]);
            pf += 16;
            double d3 = a[t];
            double e2 = a[t - 1] + c * d3;
            double e1 = a[t - 2] + c * e2;
            double e0 = a[t - 3] + c * e1;
            a[t] = (float) (d3 + c * x);
            a[t - 1] = (float) (e2 + c2 * x);
            a[t - 2] = (float) (e1 + c3 * x);
            x = e0 + c4 * x;
            a[t - 3] = (float) x;
        }
        for (; t >= from; t--) {
            x = a[t] + c * x;
            a[t] = (float) x;
        }
        pfSink ^= sink;
        pfNext = pf;
        if (count == 0) {
            double m = 0;
            for (int k = 0; k < CHAINS; k++) m += a[from + (int) ((long) k * n / CHAINS)];
            shift = (float) (m / CHAINS);
        }
        count += n;
        double sh = shift;
        double p0 = 0;
        double p1 = 0;
        double w0 = 0;
        double w1 = 0;
        int u = from;
        for (; u + 1 < to; u += 2) {
            double y0 = a[u] - sh;
            double y1 = a[u + 1] - sh;
            p0 += y0;
            p1 += y1;
            w0 += y0 * y0;
            w1 += y1 * y1;
        }
        if (u < to) {
            double y = a[u] - sh;
            p0 += y;
            w0 += y * y;
        }
        sum1 += p0 + p1;
        sum2 += w0 + w1;
        if (ret != null) {
            if (values != null) {
                for (int k = from; k < to; k++) ret[k] = a[k] + values[k];
            } else if (ret != a) {
                System.arraycopy(a, from, ret, from, n);
            }
        }
        return x;
    }
}
