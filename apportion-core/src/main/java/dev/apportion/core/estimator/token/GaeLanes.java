package dev.apportion.core.estimator.token;

import dev.apportion.core.rollout.Rollouts;

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
 * <p>Four trajectories at a time ({@link TokenLanes}); the whitening sums are over {@code A} with
 * the shift {@code c = ρ_last − V_last}, the last policy token's TD error.
 */
final class GaeLanes extends TokenLanes {
    private final float[] values;
    private final float gf;
    private final float glf;
    private final boolean through;
    private final boolean unit;

    /** Lanes writing GAE's advantages (before whitening) into {@code adv} and returns into {@code ret}. */
    GaeLanes(Rollouts batch, float[] values, float[] adv, float[] ret, double gamma, double gl, boolean through) {
        super(batch, adv, ret);
        this.values = values;
        this.gf = (float) gamma;
        this.glf = (float) gl;
        this.through = through;
        this.unit = gf == 1f && glf == 1f;
    }

    /** The mask and the values, one element per cache line. */
    @Override
    void touch(int ts, int te) {
        super.touch(ts, te);
        float[] v = values;
        float f = 0f;
        for (int t = ts; t < te; t += 16) f += v[t];
        touched += Float.floatToRawIntBits(f);
    }

    /** The last policy token's TD error {@code ρ − V}: near the trajectory's advantages. */
    @Override
    double shiftAt(int last) {
        return ret[last] - values[last];
    }

    @Override
    void four(int steps) {
        if (unit) fourUnit(steps);
        else fourGeneral(steps);
    }

    @Override
    void one(int j, int steps) {
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
    private void fourGeneral(int steps) {
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
     * As {@link #fourGeneral} for {@code γ = γλ = 1} (the verl and OpenRLHF defaults): the products by
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
