package dev.apportion.core.estimator.token;

import dev.apportion.core.rollout.Rollouts;

/**
 * The token-level backup of {@link Poad} with {@link #LANES} trajectories advanced together (one
 * instance per range of trajectories). A trajectory's backup is one dependent chain of double
 * multiply-adds; run alone it waits on the latency of each step. Here four trajectories' chains
 * run side by side: each lane performs exactly the double operations, in the same order, that the
 * one-trajectory loop performs, so every trajectory gets the bits it would get alone (whatever the
 * batch, the lane or the thread).
 *
 * <p>Per lane, the work of one action is: the boundary step on its last token (reward sum,
 * bootstrap value, carried g; scalar, once per action), then the inner tokens from {@code last − 1}
 * down to {@code first}. The inner tokens of the four lanes' current actions are run together
 * ({@link #four}) for as many tokens as the shortest of them has left; a lane whose action is done
 * then takes its previous action (or its next trajectory). When fewer trajectories than lanes are
 * left, the rest run one at a time.
 */
final class PoadLanes {
    /** Trajectories advanced together. */
    static final int LANES = 4;

    /** What a lane needs from the estimator for one action's boundary step. */
    interface Rewards {
        /**
         * The reward of the action of trajectory {@code i} at spans {@code [from, to)}: over each
         * non-empty span in order, the token rewards but the last added in double, then {@link #last}.
         */
        double sum(int i, int from, int to);

        /** The token reward signal, or null. */
        float[] tokenRewards();

        /** The dense reward of the last token of non-empty span {@code s} of trajectory {@code i}. */
        float last(int i, int s, int lastPolicy);
    }

    private final Rollouts batch;
    private final float[] value;
    private final float[] next;
    private final float[] adv;
    private final float[] ret;
    private final Rewards reward;
    private final boolean poad;
    private final boolean archer;
    private final double gamma;
    private final double lambda;

    // lane state: trajectory, span cursor, next action, next inner token (descending), action start, carry
    private final int[] traj = new int[LANES];
    private final int[] span = new int[LANES];
    private final int[] nextAction = new int[LANES];
    private final int[] pos = new int[LANES];
    private final int[] first = new int[LANES];
    private final double[] g = new double[LANES];

    /** Per span of the range, the reward of the action starting there ({@link #sumAll}), or null. */
    private double[] sums;

    private int spanBase;

    PoadLanes(
            Rollouts batch,
            float[] value,
            float[] next,
            float[] adv,
            float[] ret,
            Rewards reward,
            boolean poad,
            boolean archer,
            double gamma,
            double lambda) {
        this.batch = batch;
        this.value = value;
        this.next = next;
        this.adv = adv;
        this.ret = ret;
        this.reward = reward;
        this.poad = poad;
        this.archer = archer;
        this.gamma = gamma;
        this.lambda = lambda;
    }

    /** Backs up trajectories {@code [from, to)} (context tokens are not written here). */
    void run(int from, int to) {
        if (reward.tokenRewards() != null && from < to) sumAll(from, to);
        int nextTraj = from;
        int active = 0;
        boolean[] busy = new boolean[LANES];
        while (true) {
            for (int j = 0; j < LANES && nextTraj < to; j++) {
                if (busy[j]) continue;
                while (nextTraj < to && !start(j, nextTraj)) nextTraj++;
                if (nextTraj < to) {
                    busy[j] = true;
                    active++;
                    nextTraj++;
                }
            }
            if (active == 0) return;
            if (active == LANES) {
                int steps = Integer.MAX_VALUE;
                for (int j = 0; j < LANES; j++) steps = Math.min(steps, pos[j] - first[j] + 1);
                four(steps);
                for (int j = 0; j < LANES; j++) {
                    if (pos[j] < first[j] && !advance(j)) {
                        busy[j] = false;
                        active--;
                    }
                }
            } else {
                // fewer trajectories than lanes left: finish them one at a time
                for (int j = 0; j < LANES; j++) {
                    if (!busy[j]) continue;
                    do one(j);
                    while (advance(j));
                    busy[j] = false;
                    active--;
                }
            }
        }
    }

    /** Puts trajectory {@code i} in lane {@code j}; false when it has no inner token left to run. */
    private boolean start(int j, int i) {
        traj[j] = i;
        span[j] = batch.spanEnd(i);
        nextAction[j] = -1;
        g[j] = 0;
        return advance(j);
    }

    /**
     * Moves lane {@code j} to its previous action and runs that action's boundary step; single-token
     * actions are finished on the way. False when the trajectory has no action left.
     */
    private boolean advance(int j) {
        int i = traj[j];
        int s0 = batch.spanStart(i);
        int s1 = batch.spanEnd(i);
        int ns = nextAction[j];
        double gj = g[j];
        for (int s = span[j] - 1; s >= s0; s--) {
            if (!batch.isPolicySpan(s)) continue;
            int a = batch.spanTokenStart(s);
            int last = batch.spanTokenEnd(s) - 1;
            double r = sums != null ? sums[s - spanBase] : reward.sum(i, s, ns >= 0 ? ns : s1);
            double m;
            double vn;
            if (ns >= 0) {
                m = 1;
                vn = value[archer ? batch.spanTokenEnd(ns) - 1 : batch.spanTokenStart(ns)];
            } else {
                boolean goesOn = next != null && !Float.isNaN(next[i]);
                m = goesOn ? 1 : 0;
                vn = goesOn ? next[i] : 0;
            }
            ns = s;
            gj = r + gamma * vn * m - value[last] + gamma * lambda * m * gj;
            adv[last] = (float) gj;
            ret[last] = (float) (gj + value[last]);
            if (last > a) {
                span[j] = s;
                nextAction[j] = ns;
                pos[j] = last - 1;
                first[j] = a;
                g[j] = gj;
                return true;
            }
        }
        return false;
    }

    /**
     * The reward of every action of trajectories {@code [from, to)} into {@link #sums}, four
     * trajectories' sums side by side: per action the same double additions in the same order as
     * {@link Rewards#sum} (each is one dependent chain of adds over the tokens from the action's
     * first token up to the next action's first token).
     */
    private void sumAll(int from, int to) {
        spanBase = batch.spanStart(from);
        sums = new double[batch.spanEnd(to - 1) - spanBase];
        float[] tok = reward.tokenRewards();
        // lane state: trajectory, span, next body token, body end (the span's last token), action, sum
        int[] ti = new int[LANES];
        int[] sp = new int[LANES];
        int[] tt = new int[LANES];
        int[] be = new int[LANES];
        int[] act = new int[LANES];
        double[] rs = new double[LANES];
        boolean[] busy = new boolean[LANES];
        int nextTraj = from;
        int active = 0;
        while (true) {
            for (int j = 0; j < LANES && nextTraj < to; j++) {
                if (busy[j]) continue;
                ti[j] = nextTraj++;
                sp[j] = batch.spanStart(ti[j]) - 1;
                act[j] = -1;
                if (enterNext(j, ti, sp, tt, be, act, rs)) {
                    busy[j] = true;
                    active++;
                } else {
                    j--; // the same lane takes the next trajectory
                }
            }
            if (active == 0) {
                return;
            }
            if (active == LANES) {
                int steps = Integer.MAX_VALUE;
                for (int j = 0; j < LANES; j++) steps = Math.min(steps, be[j] - tt[j]);
                int u0 = tt[0], u1 = tt[1], u2 = tt[2], u3 = tt[3];
                double r0 = rs[0], r1 = rs[1], r2 = rs[2], r3 = rs[3];
                for (int k = 0; k < steps; k++) {
                    r0 += tok[u0 + k];
                    r1 += tok[u1 + k];
                    r2 += tok[u2 + k];
                    r3 += tok[u3 + k];
                }
                rs[0] = r0;
                rs[1] = r1;
                rs[2] = r2;
                rs[3] = r3;
                tt[0] = u0 + steps;
                tt[1] = u1 + steps;
                tt[2] = u2 + steps;
                tt[3] = u3 + steps;
            } else {
                for (int j = 0; j < LANES; j++) {
                    if (!busy[j]) continue;
                    double r = rs[j];
                    for (int t = tt[j]; t < be[j]; t++) r += tok[t];
                    rs[j] = r;
                    tt[j] = be[j];
                }
            }
            for (int j = 0; j < LANES; j++) {
                if (busy[j] && tt[j] == be[j] && !spanEnd(j, ti, sp, tt, be, act, rs)) {
                    busy[j] = false;
                    active--;
                }
            }
        }
    }

    /** Lane {@code j} at the end of a span's body: adds its last token; false when the trajectory is done. */
    private boolean spanEnd(int j, int[] ti, int[] sp, int[] tt, int[] be, int[] act, double[] rs) {
        int i = ti[j];
        rs[j] += reward.last(i, sp[j], batch.lastPolicyToken(i));
        sums[act[j] - spanBase] = rs[j];
        return enterNext(j, ti, sp, tt, be, act, rs);
    }

    /**
     * Moves lane {@code j} to the next non-empty span of its trajectory at or after the first
     * action (a policy span starts a new sum); false when there is none.
     */
    private boolean enterNext(int j, int[] ti, int[] sp, int[] tt, int[] be, int[] act, double[] rs) {
        int i = ti[j];
        int s1 = batch.spanEnd(i);
        for (int s = sp[j] + 1; s < s1; s++) {
            if (batch.isPolicySpan(s)) {
                act[j] = s;
                rs[j] = 0;
            }
            if (act[j] < 0) continue;
            int ts = batch.spanTokenStart(s);
            int te = batch.spanTokenEnd(s);
            if (te == ts) continue;
            sp[j] = s;
            tt[j] = ts;
            be[j] = te - 1;
            return true;
        }
        return false;
    }

    /** The inner tokens of lane {@code j}'s current action. */
    private void one(int j) {
        float[] v = value;
        float[] ad = adv;
        float[] rt = ret;
        double gj = g[j];
        int lo = first[j];
        if (poad) {
            double lam = lambda;
            for (int t = pos[j]; t >= lo; t--) {
                gj = v[t + 1] - v[t] + lam * gj;
                ad[t] = (float) gj;
                rt[t] = (float) (gj + v[t]);
            }
        } else {
            double gam = gamma;
            double lam = lambda;
            for (int t = pos[j]; t >= lo; t--) {
                gj = gam * v[t + 1] - v[t] + gam * lam * gj;
                ad[t] = (float) gj;
                rt[t] = (float) (gj + v[t]);
            }
        }
        g[j] = gj;
        pos[j] = lo - 1;
    }

    /** {@code steps} inner tokens of each of the four lanes. */
    private void four(int steps) {
        float[] v = value;
        float[] ad = adv;
        float[] rt = ret;
        double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3];
        int e0 = pos[0], e1 = pos[1], e2 = pos[2], e3 = pos[3];
        if (poad) {
            double lam = lambda;
            for (int k = 0; k < steps; k++) {
                int t0 = e0 - k;
                int t1 = e1 - k;
                int t2 = e2 - k;
                int t3 = e3 - k;
                g0 = v[t0 + 1] - v[t0] + lam * g0;
                g1 = v[t1 + 1] - v[t1] + lam * g1;
                g2 = v[t2 + 1] - v[t2] + lam * g2;
                g3 = v[t3 + 1] - v[t3] + lam * g3;
                ad[t0] = (float) g0;
                ad[t1] = (float) g1;
                ad[t2] = (float) g2;
                ad[t3] = (float) g3;
                rt[t0] = (float) (g0 + v[t0]);
                rt[t1] = (float) (g1 + v[t1]);
                rt[t2] = (float) (g2 + v[t2]);
                rt[t3] = (float) (g3 + v[t3]);
            }
        } else {
            double gam = gamma;
            double lam = lambda;
            for (int k = 0; k < steps; k++) {
                int t0 = e0 - k;
                int t1 = e1 - k;
                int t2 = e2 - k;
                int t3 = e3 - k;
                g0 = gam * v[t0 + 1] - v[t0] + gam * lam * g0;
                g1 = gam * v[t1 + 1] - v[t1] + gam * lam * g1;
                g2 = gam * v[t2 + 1] - v[t2] + gam * lam * g2;
                g3 = gam * v[t3 + 1] - v[t3] + gam * lam * g3;
                ad[t0] = (float) g0;
                ad[t1] = (float) g1;
                ad[t2] = (float) g2;
                ad[t3] = (float) g3;
                rt[t0] = (float) (g0 + v[t0]);
                rt[t1] = (float) (g1 + v[t1]);
                rt[t2] = (float) (g2 + v[t2]);
                rt[t3] = (float) (g3 + v[t3]);
            }
        }
        g[0] = g0;
        g[1] = g1;
        g[2] = g2;
        g[3] = g3;
        pos[0] = e0 - steps;
        pos[1] = e1 - steps;
        pos[2] = e2 - steps;
        pos[3] = e3 - steps;
    }
}
