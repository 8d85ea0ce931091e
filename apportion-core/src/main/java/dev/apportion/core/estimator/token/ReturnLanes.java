package dev.apportion.core.estimator.token;

import dev.apportion.core.rollout.Rollouts;

/**
 * The discounted return of {@link ReinforcePlusPlus} in float32, in the references' operation
 * order, four trajectories at a time ({@link TokenLanes}).
 *
 * <p>Per token, backwards, every operation rounded to float, {@code γ = (float) gamma}:
 * {@code G ← ρ_t + γ·G} on a policy token (verl {@code compute_reinforce_plus_plus_outcome_advantage},
 * OpenRLHF {@code get_cumulative_returns}, both on float32 tensors). On a context token:
 * {@code reset} (verl, {@code G·mask}) sets {@code G = 0}; {@code through} (OpenRLHF, rewards
 * multiplied by the mask) {@code G ← γ·G}; {@code skip} leaves G alone — exact for a 0/1 mask up to
 * the sign of a zero. Returns {@code G} on policy tokens; returns and advantages 0 on context
 * tokens (the policy tokens' advantages are written by the whitening). Whitening sums over
 * {@code G} with the shift {@code c = ρ_last}, the last policy token's return.
 */
final class ReturnLanes extends TokenLanes {
    private final float gf;
    private final ReinforcePlusPlus.ContextTokens mode;
    private final boolean unit;

    /** Lanes writing the returns into {@code ret} and zeros into {@code adv} on context tokens. */
    ReturnLanes(Rollouts batch, float[] adv, float[] ret, double gamma, ReinforcePlusPlus.ContextTokens mode) {
        super(batch, adv, ret);
        this.gf = (float) gamma;
        this.mode = mode;
        this.unit = gf == 1f;
    }

    @Override
    double shiftAt(int last) {
        return ret[last];
    }

    @Override
    void four(int steps) {
        if (unit) fourUnit(steps);
        else fourGeneral(steps);
    }

    @Override
    void one(int j, int steps) {
        byte[] m = mask;
        float[] ad = adv;
        float[] rt = ret;
        float g = gf;
        boolean reset = mode == ReinforcePlusPlus.ContextTokens.RESET;
        boolean thr = mode == ReinforcePlusPlus.ContextTokens.THROUGH;
        float a0 = a[j];
        double c0 = shift[j];
        double p0 = s1[j];
        double q0 = s2[j];
        int k0 = count[j];
        int t = pos[j];
        int end = t - steps;
        for (; t > end; t--) {
            if (m[t] != 0) {
                float x = rt[t] + g * a0;
                a0 = x;
                rt[t] = x;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (reset) a0 = 0f;
                else if (thr) a0 = g * a0;
                ad[t] = 0f;
                rt[t] = 0f;
            }
        }
        pos[j] = t;
        a[j] = a0;
        s1[j] = p0;
        s2[j] = q0;
        count[j] = k0;
    }

    /** {@code steps} tokens of each of the four lanes. */
    private void fourGeneral(int steps) {
        byte[] m = mask;
        float[] ad = adv;
        float[] rt = ret;
        float g = gf;
        boolean reset = mode == ReinforcePlusPlus.ContextTokens.RESET;
        boolean thr = mode == ReinforcePlusPlus.ContextTokens.THROUGH;
        float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
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
            if (m[t0] != 0) {
                float x = rt[t0] + g * a0;
                a0 = x;
                rt[t0] = x;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (reset) a0 = 0f;
                else if (thr) a0 = g * a0;
                ad[t0] = 0f;
                rt[t0] = 0f;
            }
            if (m[t1] != 0) {
                float x = rt[t1] + g * a1;
                a1 = x;
                rt[t1] = x;
                double y = x - c1;
                p1 += y;
                q1 = Math.fma(y, y, q1);
                k1++;
            } else {
                if (reset) a1 = 0f;
                else if (thr) a1 = g * a1;
                ad[t1] = 0f;
                rt[t1] = 0f;
            }
            if (m[t2] != 0) {
                float x = rt[t2] + g * a2;
                a2 = x;
                rt[t2] = x;
                double y = x - c2;
                p2 += y;
                q2 = Math.fma(y, y, q2);
                k2++;
            } else {
                if (reset) a2 = 0f;
                else if (thr) a2 = g * a2;
                ad[t2] = 0f;
                rt[t2] = 0f;
            }
            if (m[t3] != 0) {
                float x = rt[t3] + g * a3;
                a3 = x;
                rt[t3] = x;
                double y = x - c3;
                p3 += y;
                q3 = Math.fma(y, y, q3);
                k3++;
            } else {
                if (reset) a3 = 0f;
                else if (thr) a3 = g * a3;
                ad[t3] = 0f;
                rt[t3] = 0f;
            }
        }
        a[0] = a0;
        a[1] = a1;
        a[2] = a2;
        a[3] = a3;
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

    /** As {@link #fourGeneral} for {@code γ = 1}: the products by 1 are left out (no bit changes). */
    private void fourUnit(int steps) {
        byte[] m = mask;
        float[] ad = adv;
        float[] rt = ret;
        boolean reset = mode == ReinforcePlusPlus.ContextTokens.RESET;
        float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
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
            if (m[t0] != 0) {
                float x = rt[t0] + a0;
                a0 = x;
                rt[t0] = x;
                double y = x - c0;
                p0 += y;
                q0 = Math.fma(y, y, q0);
                k0++;
            } else {
                if (reset) a0 = 0f;
                ad[t0] = 0f;
                rt[t0] = 0f;
            }
            if (m[t1] != 0) {
                float x = rt[t1] + a1;
                a1 = x;
                rt[t1] = x;
                double y = x - c1;
                p1 += y;
                q1 = Math.fma(y, y, q1);
                k1++;
            } else {
                if (reset) a1 = 0f;
                ad[t1] = 0f;
                rt[t1] = 0f;
            }
            if (m[t2] != 0) {
                float x = rt[t2] + a2;
                a2 = x;
                rt[t2] = x;
                double y = x - c2;
                p2 += y;
                q2 = Math.fma(y, y, q2);
                k2++;
            } else {
                if (reset) a2 = 0f;
                ad[t2] = 0f;
                rt[t2] = 0f;
            }
            if (m[t3] != 0) {
                float x = rt[t3] + a3;
                a3 = x;
                rt[t3] = x;
                double y = x - c3;
                p3 += y;
                q3 = Math.fma(y, y, q3);
                k3++;
            } else {
                if (reset) a3 = 0f;
                ad[t3] = 0f;
                rt[t3] = 0f;
            }
        }
        a[0] = a0;
        a[1] = a1;
        a[2] = a2;
        a[3] = a3;
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
