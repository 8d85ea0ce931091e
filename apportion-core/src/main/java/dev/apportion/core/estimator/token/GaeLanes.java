package dev.apportion.core.estimator.token;

import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * The GAE recursion of {@link Gae} in float32, in the references' operation order, with
 * {@link #LANES} trajectories advanced together. One instance is the scratch state of one thread.
 *
 * <h2>Arithmetic (per token, backwards, as verl and OpenRLHF compute it on float32 tensors)</h2>
 * With {@code ρ_t} the dense token reward (float), {@code γ = (float) gamma},
 * {@code γλ = (float) (gamma·lambda)} (Python multiplies the two scalars in double before the
 * tensor product rounds to float), every operation rounded to float, no fused multiply-add:
 * <pre>
 *   δ   = (ρ_t + γ·V_next) − V_t
 *   A_t = δ + γλ·A_next              R_t = A_t + V_t
 * </pre>
 * On a policy token {@code V_next ← V_t} and {@code A_next ← A_t}. On a context token with
 * {@code context_tokens=skip} (verl) both are carried unchanged — verl's mask arithmetic
 * {@code x·m + (1−m)·y} is exactly this for a 0/1 mask, up to the sign of a zero —; with
 * {@code through} (OpenRLHF, rewards and values multiplied by the mask) the step is
 * {@code A ← γ·V_next + γλ·A} and {@code V_next ← 0}. Outputs are 0 on context tokens.
 *
 * <h2>Lanes</h2>
 * Each trajectory's recursion is one dependent chain (a multiply and an add per token): alone it
 * is latency-bound. Here {@link #LANES} trajectories run in one loop, one chain per trajectory,
 * each chain's own operations unchanged, so the CPU overlaps the chains and every trajectory gets
 * the bits it would get alone (and its result does not depend on the batch, the thread or which
 * lane it ran in). A lane that finishes takes the next trajectory of the range; when fewer
 * trajectories than lanes are left, the rest run one at a time.
 *
 * <h2>Whitening partial sums</h2>
 * Per trajectory, over its policy tokens in backward order: {@code Σ(A−c)} and {@code Σ(A−c)²}
 * in double ({@code (A−c)²} added with one fused multiply-add), with the shift
 * {@code c = ρ_last − V_last} of the last policy token (its TD error, near the trajectory's
 * advantages), handed to {@link BatchWhitening#record}. The order is fixed per trajectory.
 */
final class GaeLanes {
    /** Trajectories advanced together. */
    static final int LANES = 4;

    private final Rollouts batch;
    private final byte[] mask;
    private final float[] values;
    private final float[] adv;
    private final float[] ret;
    private final float gf;
    private final float glf;
    private final boolean through;
    private final boolean unit;

    // lane state: trajectory, next token (descending), first token, carried A and V, sums
    private final int[] traj = new int[LANES];
    private final int[] pos = new int[LANES];
    private final int[] lo = new int[LANES];
    private final float[] a = new float[LANES];
    private final float[] nv = new float[LANES];
    private final double[] shift = new double[LANES];
    private final double[] s1 = new double[LANES];
    private final double[] s2 = new double[LANES];
    private final int[] count = new int[LANES];

    /**
     * Lanes over {@code batch}, writing {@code adv} and {@code ret}; {@code ret} also carries the
     * dense token rewards of a trajectory from {@link Prep#prepare} until the recursion overwrites
     * them with the returns.
     */
    GaeLanes(Rollouts batch, float[] values, float[] adv, float[] ret, double gamma, double gl, boolean through) {
        this.batch = batch;
        this.mask = batch.mask();
        this.values = values;
        this.adv = adv;
        this.ret = ret;
        this.gf = (float) gamma;
        this.glf = (float) gl;
        this.through = through;
        this.unit = gf == 1f && glf == 1f;
    }

    /** Hands trajectory {@code i} to a lane, or takes it elsewhere. */
    interface Prep {
        /**
         * Either writes the dense token rewards of trajectory {@code i} into the returns array on
         * its tokens and returns true (a lane runs it), or computes the trajectory itself, records
         * its whitening sums, and returns false.
         */
        boolean prepare(int i);
    }

    /**
     * Runs trajectories {@code [from, to)}: advantages (before whitening) and returns on each
     * trajectory's tokens (0 on context tokens), whitening sums recorded in {@code stats}.
     */
    void run(int from, int to, Prep prep, BatchWhitening stats) {
        int next = from;
        int active = 0;
        boolean[] busy = new boolean[LANES];
        while (true) {
            // fill free lanes
            for (int j = 0; j < LANES && next < to; j++) {
                if (busy[j]) continue;
                while (next < to && !start(j, next, prep, stats)) next++;
                if (next < to) {
                    busy[j] = true;
                    active++;
                    next++;
                }
            }
            if (active == 0) return;
            if (active == LANES) {
                int steps = Integer.MAX_VALUE;
                for (int j = 0; j < LANES; j++) steps = Math.min(steps, pos[j] - lo[j] + 1);
                if (unit) fourUnit(steps);
                else four(steps);
            } else {
                // fewer trajectories than lanes left: finish them one at a time
                for (int j = 0; j < LANES; j++) if (busy[j]) one(j, pos[j] - lo[j] + 1);
            }
            for (int j = 0; j < LANES; j++) {
                if (busy[j] && pos[j] < lo[j]) {
                    stats.record(traj[j], count[j], shift[j], s1[j], s2[j]);
                    busy[j] = false;
                    active--;
                }
            }
        }
    }

    /**
     * Puts trajectory {@code i} in lane {@code j}; false (and its tokens zeroed, its record
     * written) when it has no policy token.
     */
    private boolean start(int j, int i, Prep prep, BatchWhitening stats) {
        int ts = batch.tokenStart(i);
        int te = batch.tokenEnd(i);
        int last = batch.lastPolicyToken(i);
        if (last < 0) {
            Arrays.fill(adv, ts, te, 0f);
            Arrays.fill(ret, ts, te, 0f);
            stats.record(i, 0, 0, 0, 0);
            return false;
        }
        if (!prep.prepare(i)) return false;
        traj[j] = i;
        lo[j] = ts;
        pos[j] = te - 1;
        a[j] = 0f;
        nv[j] = 0f;
        shift[j] = ret[last] - values[last];
        s1[j] = 0;
        s2[j] = 0;
        count[j] = 0;
        return true;
    }

    /** {@code steps} tokens of lane {@code j} alone. */
    private void one(int j, int steps) {
        byte[] m = mask;
        float[] v = values;
        float[] ad = adv;
        float[] rt = ret;
        float g = gf;
        float gl = glf;
        float a0 = a[j];
        float n0 = nv[j];
        double c0 = shift[j];
        double p0 = s1[j];
        double q0 = s2[j];
        int k0 = count[j];
        int t = pos[j];
        int end = t - steps;
        for (; t > end; t--) {
            float vt = v[t];
            if (m[t] != 0) {
                float x = ((rt[t] + g * n0) - vt) + gl * a0;
                a0 = x;
                n0 = vt;
                ad[t] = x;
                rt[t] = x + vt;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (through) {
                    a0 = g * n0 + gl * a0;
                    n0 = 0f;
                }
                ad[t] = 0f;
                rt[t] = 0f;
            }
        }
        pos[j] = t;
        a[j] = a0;
        nv[j] = n0;
        s1[j] = p0;
        s2[j] = q0;
        count[j] = k0;
    }

    /** {@code steps} tokens of each of the four lanes. */
    private void four(int steps) {
        byte[] m = mask;
        float[] v = values;
        float[] ad = adv;
        float[] rt = ret;
        float g = gf;
        float gl = glf;
        boolean thr = through;
        float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        float n0 = nv[0], n1 = nv[1], n2 = nv[2], n3 = nv[3];
        double c0 = shift[0], c1 = shift[1], c2 = shift[2], c3 = shift[3];
        double p0 = s1[0], p1 = s1[1], p2 = s1[2], p3 = s1[3];
        double q0 = s2[0], q1 = s2[1], q2 = s2[2], q3 = s2[3];
        int k0 = count[0], k1 = count[1], k2 = count[2], k3 = count[3];
        int e0 = pos[0], e1 = pos[1], e2 = pos[2], e3 = pos[3];
        for (int k = 0; k < steps; k++) {
            int t0 = e0 - k;
            int t1 = e1 - k;
            int t2 = e2 - k;
            int t3 = e3 - k;
            float v0 = v[t0];
            float v1 = v[t1];
            float v2 = v[t2];
            float v3 = v[t3];
            if (m[t0] != 0) {
                float x = ((rt[t0] + g * n0) - v0) + gl * a0;
                a0 = x;
                n0 = v0;
                ad[t0] = x;
                rt[t0] = x + v0;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (thr) {
                    a0 = g * n0 + gl * a0;
                    n0 = 0f;
                }
                ad[t0] = 0f;
                rt[t0] = 0f;
            }
            if (m[t1] != 0) {
                float x = ((rt[t1] + g * n1) - v1) + gl * a1;
                a1 = x;
                n1 = v1;
                ad[t1] = x;
                rt[t1] = x + v1;
                double y = x - c1;
                p1 += y;
                q1 = Math.fma(y, y, q1);
                k1++;
            } else {
                if (thr) {
                    a1 = g * n1 + gl * a1;
                    n1 = 0f;
                }
                ad[t1] = 0f;
                rt[t1] = 0f;
            }
            if (m[t2] != 0) {
                float x = ((rt[t2] + g * n2) - v2) + gl * a2;
                a2 = x;
                n2 = v2;
                ad[t2] = x;
                rt[t2] = x + v2;
                double y = x - c2;
                p2 += y;
                q2 = Math.fma(y, y, q2);
                k2++;
            } else {
                if (thr) {
                    a2 = g * n2 + gl * a2;
                    n2 = 0f;
                }
                ad[t2] = 0f;
                rt[t2] = 0f;
            }
            if (m[t3] != 0) {
                float x = ((rt[t3] + g * n3) - v3) + gl * a3;
                a3 = x;
                n3 = v3;
                ad[t3] = x;
                rt[t3] = x + v3;
                double y = x - c3;
                p3 += y;
                q3 = Math.fma(y, y, q3);
                k3++;
            } else {
                if (thr) {
                    a3 = g * n3 + gl * a3;
                    n3 = 0f;
                }
                ad[t3] = 0f;
                rt[t3] = 0f;
            }
        }
        a[0] = a0;
        a[1] = a1;
        a[2] = a2;
        a[3] = a3;
        nv[0] = n0;
        nv[1] = n1;
        nv[2] = n2;
        nv[3] = n3;
        s1[0] = p0;
        s1[1] = p1;
        s1[2] = p2;
        s1[3] = p3;
        s2[0] = q0;
        s2[1] = q1;
        s2[2] = q2;
        s2[3] = q3;
        count[0] = k0;
        count[1] = k1;
        count[2] = k2;
        count[3] = k3;
        pos[0] = e0 - steps;
        pos[1] = e1 - steps;
        pos[2] = e2 - steps;
        pos[3] = e3 - steps;
    }

    /**
     * As {@link #four} for {@code γ = γλ = 1} (the verl and OpenRLHF defaults): the products by
     * 1 are left out, which changes no bit ({@code 1·x == x} in float).
     */
    private void fourUnit(int steps) {
        byte[] m = mask;
        float[] v = values;
        float[] ad = adv;
        float[] rt = ret;
        boolean thr = through;
        float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        float n0 = nv[0], n1 = nv[1], n2 = nv[2], n3 = nv[3];
        double c0 = shift[0], c1 = shift[1], c2 = shift[2], c3 = shift[3];
        double p0 = s1[0], p1 = s1[1], p2 = s1[2], p3 = s1[3];
        double q0 = s2[0], q1 = s2[1], q2 = s2[2], q3 = s2[3];
        int k0 = count[0], k1 = count[1], k2 = count[2], k3 = count[3];
        int e0 = pos[0], e1 = pos[1], e2 = pos[2], e3 = pos[3];
        for (int k = 0; k < steps; k++) {
            int t0 = e0 - k;
            int t1 = e1 - k;
            int t2 = e2 - k;
            int t3 = e3 - k;
            float v0 = v[t0];
            float v1 = v[t1];
            float v2 = v[t2];
            float v3 = v[t3];
            if (m[t0] != 0) {
                float x = ((rt[t0] + n0) - v0) + a0;
                a0 = x;
                n0 = v0;
                ad[t0] = x;
                rt[t0] = x + v0;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (thr) {
                    a0 = n0 + a0;
                    n0 = 0f;
                }
                ad[t0] = 0f;
                rt[t0] = 0f;
            }
            if (m[t1] != 0) {
                float x = ((rt[t1] + n1) - v1) + a1;
                a1 = x;
                n1 = v1;
                ad[t1] = x;
                rt[t1] = x + v1;
                double y = x - c1;
                p1 += y;
                q1 = Math.fma(y, y, q1);
                k1++;
            } else {
                if (thr) {
                    a1 = n1 + a1;
                    n1 = 0f;
                }
                ad[t1] = 0f;
                rt[t1] = 0f;
            }
            if (m[t2] != 0) {
                float x = ((rt[t2] + n2) - v2) + a2;
                a2 = x;
                n2 = v2;
                ad[t2] = x;
                rt[t2] = x + v2;
                double y = x - c2;
                p2 += y;
                q2 = Math.fma(y, y, q2);
                k2++;
            } else {
                if (thr) {
                    a2 = n2 + a2;
                    n2 = 0f;
                }
                ad[t2] = 0f;
                rt[t2] = 0f;
            }
            if (m[t3] != 0) {
                float x = ((rt[t3] + n3) - v3) + a3;
                a3 = x;
                n3 = v3;
                ad[t3] = x;
                rt[t3] = x + v3;
                double y = x - c3;
                p3 += y;
                q3 = Math.fma(y, y, q3);
                k3++;
            } else {
                if (thr) {
                    a3 = n3 + a3;
                    n3 = 0f;
                }
                ad[t3] = 0f;
                rt[t3] = 0f;
            }
        }
        a[0] = a0;
        a[1] = a1;
        a[2] = a2;
        a[3] = a3;
        nv[0] = n0;
        nv[1] = n1;
        nv[2] = n2;
        nv[3] = n3;
        s1[0] = p0;
        s1[1] = p1;
        s1[2] = p2;
        s1[3] = p3;
        s2[0] = q0;
        s2[1] = q1;
        s2[2] = q2;
        s2[3] = q3;
        count[0] = k0;
        count[1] = k1;
        count[2] = k2;
        count[3] = k3;
        pos[0] = e0 - steps;
        pos[1] = e1 - steps;
        pos[2] = e2 - steps;
        pos[3] = e3 - steps;
    }
}
