package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link OtbKernel} against a plain restatement of the formula (one token at a time, arrays per
 * trajectory and position, no buffer reuse), bit for bit, on random batches: groups of 1–8,
 * several policy spans with observations (some empty) between them, trajectories without policy
 * tokens, token/span/outcome rewards, with and without {@code rollout_is_weight}, every value of
 * {@code handle_zero_tail}, {@code positions_from} and {@code rollout_is_weights}, both
 * estimators, allocating and into NaN-filled buffers, one thread and split over two. The sums'
 * orders are the documented ones (G backwards over the policy tokens, W forwards, the group
 * sums over members in group order), so a faster kernel must keep them.
 */
class OtbKernelReferenceTest {

    @Test
    void kernelMatchesThePlainFormulaBitForBit() {
        int cases = 0;
        for (long seed = 1; seed <= 40; seed++) {
            Rollouts batch = randomBatch(seed);
            for (boolean compacted : new boolean[] {false, true}) {
                Estimator e = compacted ? new TirOptimalTokenBaseline() : new OptimalTokenBaseline();
                for (boolean zeroTail : new boolean[] {false, true}) {
                    for (boolean useIsw : new boolean[] {false, true}) {
                        for (boolean fromStart : compacted ? new boolean[] {false} : new boolean[] {false, true}) {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("handle_zero_tail", zeroTail);
                            m.put("rollout_is_weights", useIsw);
                            m.put("epsilon", seed % 3 == 0 ? 0.25 : 1e-8);
                            if (!compacted)
                                m.put("positions_from", fromStart ? "trajectory_start" : "first_policy_token");
                            Params p = Params.resolve(e.descriptor(), null, m);
                            float[][] want =
                                    plain(batch, compacted, zeroTail, useIsw, fromStart, p.getDouble("epsilon"));
                            String what = e.descriptor().id() + " seed " + seed + " " + m;
                            check(want, e.assign(batch, p, Execution.sequential()), what);
                            Credit.Buffers buf = new Credit.Buffers();
                            Arrays.fill(buf.advantages(batch.tokenCount()), Float.NaN);
                            Arrays.fill(buf.returns(batch.tokenCount()), Float.NaN);
                            check(want, e.assign(batch, p, Execution.sequential(), buf), what + " (buffers)");
                            try (Execution two = Execution.splittingAll(2)) {
                                check(want, e.assign(batch, p, two), what + " (2 threads)");
                            }
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(40 * 12, cases, "cases run");
    }

    private static void check(float[][] want, Credit got, String what) {
        assertBits(want[0], got.advantages(), what + " advantages");
        assertBits(want[1], got.returns(), what + " returns");
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int t = 0; t < want.length; t++) {
            if (Float.floatToIntBits(want[t]) != Float.floatToIntBits(got[t])) {
                throw new AssertionError(what + ": token " + t + " want " + want[t] + " got " + got[t]);
            }
        }
    }

    /** The formula of {@link OptimalTokenBaseline} / {@link TirOptimalTokenBaseline}, token by token. */
    private static float[][] plain(
            Rollouts b, boolean compacted, boolean zeroTail, boolean useIsw, boolean fromStart, double eps) {
        int n = b.tokenCount();
        float[] lp = b.tokenSignal(Rollouts.OLD_LOGPROB);
        float[] sp = b.tokenSignal(OtbKernel.SUM_PI_SQUARED);
        float[] isw = useIsw ? b.tokenSignal(OtbKernel.ROLLOUT_IS_WEIGHT) : null;
        float[] rewards = b.denseTokenRewards();
        float[] adv = new float[n];
        float[] ret = new float[n];
        int trajectories = b.trajectoryCount();
        int[][] policy = new int[trajectories][]; // policy token indices in order
        float[][] g = new float[trajectories][];
        float[][] w = new float[trajectories][];
        int[][] pos = new int[trajectories][];
        for (int i = 0; i < trajectories; i++) {
            int[] toks = new int[b.tokenEnd(i) - b.tokenStart(i)];
            int c = 0;
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (!b.isPolicySpan(s)) continue;
                for (int t = b.spanTokenStart(s); t < b.spanTokenEnd(s); t++) toks[c++] = t;
            }
            policy[i] = Arrays.copyOf(toks, c);
            g[i] = new float[c];
            w[i] = new float[c];
            pos[i] = new int[c];
            double sum = 0;
            for (int k = c - 1; k >= 0; k--) {
                sum += rewards[policy[i][k]];
                g[i][k] = (float) sum;
            }
            sum = 0;
            for (int k = 0; k < c; k++) {
                int t = policy[i][k];
                double wt = 1 - 2 * Math.exp(lp[t]) + sp[t];
                if (isw != null) wt *= (double) isw[t] * isw[t];
                sum += wt;
                w[i][k] = (float) sum;
            }
            int origin = fromStart || c == 0 ? b.tokenStart(i) : policy[i][0];
            for (int k = 0; k < c; k++) pos[i][k] = compacted ? k : policy[i][k] - origin;
        }
        int[] members = b.groupMembers();
        int[] start = b.groupMemberStart();
        for (int grp = 0; grp + 1 < start.length; grp++) {
            int[] in = Arrays.stream(members, start[grp], start[grp + 1])
                    .filter(i -> !compacted || policy[i].length > 0)
                    .toArray();
            for (int i : Arrays.stream(members, start[grp], start[grp + 1]).toArray()) {
                for (int k = 0; k < policy[i].length; k++) {
                    ret[policy[i][k]] = g[i][k];
                    adv[policy[i][k]] = g[i][k];
                }
            }
            if (in.length <= 1) continue;
            int size = 0;
            for (int i : in) for (int q : pos[i]) size = Math.max(size, q + 1);
            double[] num = new double[size];
            double[] den = new double[size];
            for (int i : in) {
                for (int k = 0; k < policy[i].length; k++) {
                    num[pos[i][k]] += g[i][k] * (double) w[i][k];
                    den[pos[i][k]] += w[i][k];
                }
            }
            // handle_zero_tail: the unique longest member (by policy tokens) from the second-longest count on
            int longest = -1;
            int[] counts = Arrays.stream(in).map(i -> policy[i].length).sorted().toArray();
            int l1 = counts[counts.length - 1];
            int l2 = counts[counts.length - 2];
            if (zeroTail && l1 > l2) {
                for (int i : in) if (policy[i].length == l1) longest = i;
            }
            for (int i : in) {
                for (int k = 0; k < policy[i].length; k++) {
                    int q = pos[i][k];
                    double base = i == longest && q >= l2 ? 0.0 : num[q] / (den[q] + eps);
                    adv[policy[i][k]] = (float) (g[i][k] - base);
                }
            }
        }
        return new float[][] {adv, ret};
    }

    private static Rollouts randomBatch(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        RolloutsBuilder b = Rollouts.builder();
        int groups = 1 + r.nextInt(6);
        boolean tokenRewards = seed % 2 == 0;
        int id = 0;
        for (int grp = 0; grp < groups; grp++) {
            int size = 1 + r.nextInt(8);
            for (int m = 0; m < size; m++) {
                b.trajectory("g" + grp, "t" + id++).outcome(r.nextInt(3) == 0 ? 0 : r.nextDouble() * 2 - 0.5);
                int spans = r.nextInt(6);
                boolean pol = r.nextBoolean();
                int n = 0;
                for (int s = 0; s < spans; s++) {
                    int len = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 6 : 90);
                    if (pol && seed % 3 == 0) b.span(Role.POLICY, len, r.nextDouble(), null, null);
                    else b.span(pol ? Role.POLICY : Role.CONTEXT, len);
                    n += len;
                    pol = !pol;
                }
                float[] lp = new float[n];
                float[] sp = new float[n];
                float[] isw = new float[n];
                float[] rw = new float[n];
                for (int t = 0; t < n; t++) {
                    lp[t] = r.nextInt(20) == 0 ? (float) (-30 * r.nextDouble()) : (float) (-3 * r.nextDouble());
                    sp[t] = (float) r.nextDouble();
                    isw[t] = (float) (2 * r.nextDouble());
                    rw[t] = r.nextInt(4) == 0 ? (float) (r.nextDouble() - 0.5) : 0f;
                }
                b.tokenSignal(Rollouts.OLD_LOGPROB, lp)
                        .tokenSignal(OtbKernel.SUM_PI_SQUARED, sp)
                        .tokenSignal(OtbKernel.ROLLOUT_IS_WEIGHT, isw);
                if (tokenRewards) b.tokenSignal(Rollouts.REWARD, rw);
            }
        }
        return b.build();
    }
}
