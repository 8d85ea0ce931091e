package dev.apportion.core.estimator.token;

import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * Backward per-trajectory recursions of the token estimators with {@link #LANES} trajectories
 * advanced together (one scratch instance per thread). A recursion over one trajectory is one
 * dependent chain of floating-point operations, latency-bound when run alone; the subclasses' loops
 * advance {@link #LANES} chains at once, each chain's operations unchanged, so the CPU overlaps
 * them and every trajectory gets the bits it would get alone (its result does not depend on the
 * batch, the thread or the lane). A lane that finishes takes the next trajectory of the range;
 * when fewer trajectories than lanes are left, the rest run one at a time.
 *
 * <p>Whitening partial sums, per trajectory over its policy tokens in backward order:
 * {@code Σ(x−c)} and {@code Σ(x−c)²} in double ({@code (x−c)²} added with one fused
 * multiply-add), with the shift {@code c} a subclass takes from the trajectory's last policy token
 * (near the trajectory's values), handed to {@link BatchWhitening#record}. The order is fixed per
 * trajectory.
 */
abstract class TokenLanes {
    /** Trajectories advanced together. */
    static final int LANES = 4;

    final Rollouts batch;
    final byte[] mask;
    final float[] adv;
    final float[] ret;

    // lane state: trajectory, next token (descending), first token, carried values, sums
    final int[] traj = new int[LANES];
    final int[] pos = new int[LANES];
    final int[] lo = new int[LANES];
    /** The carried recursion value (A, G). */
    final float[] a = new float[LANES];
    /** A second carried value (GAE's next value). */
    final float[] nv = new float[LANES];

    final double[] shift = new double[LANES];
    final double[] s1 = new double[LANES];
    final double[] s2 = new double[LANES];
    final int[] count = new int[LANES];

    /**
     * Lanes over {@code batch}, writing {@code adv} and {@code ret}; {@code ret} also carries the
     * dense token rewards of a trajectory from {@link Prep#prepare} until the recursion overwrites
     * them.
     */
    TokenLanes(Rollouts batch, float[] adv, float[] ret) {
        this.batch = batch;
        this.mask = batch.mask();
        this.adv = adv;
        this.ret = ret;
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

    /** The whitening shift of a trajectory whose last policy token is {@code last} (dense reward in {@link #ret}). */
    abstract double shiftAt(int last);

    /** Sink of {@link #touch}, so that its loads are not removed. */
    int touched;

    /**
     * Reads one element per cache line of the streams the lane loop will read over {@code [ts, te)}
     * that {@link Prep#prepare} has not just written (the mask here; subclasses add theirs), from
     * the first token up: independent loads in ascending order, which the hardware prefetchers
     * follow, instead of the lane loop's first touch of each line while it walks the trajectory
     * backwards beside three others. Changes no value.
     */
    void touch(int ts, int te) {
        byte[] m = mask;
        int s = 0;
        for (int t = ts; t < te; t += 64) s += m[t];
        touched += s;
    }

    /** {@code steps} tokens of each of the {@link #LANES} lanes. */
    abstract void four(int steps);

    /** {@code steps} tokens of lane {@code j} alone. */
    abstract void one(int j, int steps);

    /**
     * Runs trajectories {@code [from, to)}: the outputs on each trajectory's tokens (0 on context
     * tokens), whitening sums recorded in {@code stats}.
     */
    final void run(int from, int to, Prep prep, BatchWhitening stats) {
        if (from < to) touch(batch.tokenStart(from), batch.tokenEnd(from));
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
                four(steps);
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
     * Puts trajectory {@code i} in lane {@code j}; false when it has no policy token (its tokens
     * zeroed, its record written) or {@link Prep#prepare} took it.
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
        // the next trajectory's lines, ahead of its start (a lane frees up about a quarter of a trajectory later)
        if (i + 1 < batch.trajectoryCount()) touch(te, batch.tokenEnd(i + 1));
        traj[j] = i;
        lo[j] = ts;
        pos[j] = te - 1;
        a[j] = 0f;
        nv[j] = 0f;
        shift[j] = shiftAt(last);
        s1[j] = 0;
        s2[j] = 0;
        count[j] = 0;
        return true;
    }
}
