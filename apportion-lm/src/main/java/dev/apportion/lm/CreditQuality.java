package dev.apportion.lm;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Credit quality against the branching oracle on one batch of episodes.
 *
 * <p>Steps: in tool tasks a step is a policy turn; otherwise every policy token is a step.
 * For step k of an episode, V_k is the branching estimate of V before it (identical prefixes are
 * estimated once) and V after the last step is the episode's own reward (exact); the oracle
 * advantage is {@code A*_k = V_{k+1} − V_k} with standard error {@code sqrt(se_k² + se_{k+1}²)}.
 * An estimator's step credit is its span advantage when given (turn steps), else the mean of its
 * token advantages over the step. Metrics (as in apportion-bench's credit metrics):
 * {@code spearman} between step credit and A* over all steps; {@code sign_agreement} on steps
 * whose |A*| exceeds twice its standard error (zero credit counts ½); plus the mean oracle
 * standard error and the number of decisive steps.
 */
public final class CreditQuality {
    /** The oracle's view of a batch. */
    public record Oracle(int[] stepEpisode, int[][] stepTokens, double[] advantage, double[] se, long samples) {}

    private CreditQuality() {}

    /** Runs the branching oracle with {@code k} continuations per distinct prefix. */
    public static Oracle oracle(Weights w, Task task, List<Episode> eps, int k, SplittableRandom rnd) {
        List<Integer> stepEp = new ArrayList<>();
        List<int[]> stepTok = new ArrayList<>();
        List<Integer> prefixIndex = new ArrayList<>();
        Map<String, Integer> distinct = new HashMap<>();
        List<Integer> which = new ArrayList<>(), len = new ArrayList<>();
        int[] off = Policy.offsets(eps);
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            List<int[]> steps = new ArrayList<>();
            if (task.tools()) {
                int p = 1;
                while (p < e.len) {
                    int q = p;
                    while (q < e.len && e.role[q] == e.role[p]) q++;
                    if (e.role[p] == 1) steps.add(new int[] {p, q});
                    p = q;
                }
            } else {
                for (int p = 1; p < e.len; p++) if (e.role[p] == 1) steps.add(new int[] {p, p + 1});
            }
            for (int[] s : steps) {
                String key = e.problem + ":" + Arrays.toString(Arrays.copyOf(e.tok, s[0]));
                Integer idx = distinct.get(key);
                if (idx == null) {
                    idx = which.size();
                    distinct.put(key, idx);
                    which.add(i);
                    len.add(s[0]);
                }
                stepEp.add(i);
                int[] toks = new int[s[1] - s[0]];
                for (int p = s[0]; p < s[1]; p++) toks[p - s[0]] = off[i] + p - 1;
                stepTok.add(toks);
                prefixIndex.add(idx);
            }
        }
        BranchingOracle.Values v = BranchingOracle.values(
                w,
                task,
                eps,
                which.stream().mapToInt(Integer::intValue).toArray(),
                len.stream().mapToInt(Integer::intValue).toArray(),
                k,
                rnd);
        int n = stepEp.size();
        double[] adv = new double[n], se = new double[n];
        for (int j = 0; j < n; j++) {
            int i = stepEp.get(j);
            boolean last = j + 1 == n || stepEp.get(j + 1) != i;
            double vb = v.mean()[prefixIndex.get(j)], sb = v.se()[prefixIndex.get(j)];
            double va = last ? eps.get(i).reward : v.mean()[prefixIndex.get(j + 1)];
            double sa = last ? 0 : v.se()[prefixIndex.get(j + 1)];
            adv[j] = va - vb;
            se[j] = Math.sqrt(sa * sa + sb * sb);
        }
        return new Oracle(
                stepEp.stream().mapToInt(Integer::intValue).toArray(),
                stepTok.toArray(new int[0][]),
                adv,
                se,
                v.samples());
    }

    /** Metrics of one estimator's credit against the oracle. */
    public static Map<String, Double> evaluate(Oracle o, Rollouts batch, Credit credit) {
        int n = o.advantage().length;
        double[] c = new double[n];
        float[] spanAdv = credit.spanAdvantages();
        float[] adv = credit.advantages();
        for (int j = 0; j < n; j++) {
            int[] toks = o.stepTokens()[j];
            double s = 0;
            for (int t : toks) s += adv[t];
            c[j] = toks.length == 0 ? 0 : s / toks.length;
            if (spanAdv != null && toks.length > 0) {
                int span = spanOf(batch, toks[0]);
                if (span >= 0
                        && Float.isFinite(spanAdv[span])
                        && batch.spanTokenEnd(span) - batch.spanTokenStart(span) == toks.length) {
                    c[j] = spanAdv[span];
                }
            }
        }
        double agree = 0, decisive = 0, seSum = 0;
        for (int j = 0; j < n; j++) {
            seSum += o.se()[j];
            if (Math.abs(o.advantage()[j]) > 2 * o.se()[j] && o.advantage()[j] != 0) {
                decisive++;
                if (c[j] == 0) agree += 0.5;
                else if (Math.signum(c[j]) == Math.signum(o.advantage()[j])) agree += 1;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("spearman", spearman(c, o.advantage()));
        m.put("sign_agreement", decisive == 0 ? Double.NaN : agree / decisive);
        m.put("decisive_steps", decisive);
        m.put("steps", (double) n);
        m.put("oracle_se_mean", n == 0 ? Double.NaN : seSum / n);
        return m;
    }

    private static int spanOf(Rollouts b, int token) {
        int lo = 0, hi = b.spanCount() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (b.spanTokenEnd(mid) <= token) lo = mid + 1;
            else if (b.spanTokenStart(mid) > token) hi = mid - 1;
            else return mid;
        }
        return -1;
    }

    /** Spearman rank correlation with average ranks for ties; 0 when either side is constant or n < 2. */
    public static double spearman(double[] a, double[] b) {
        double r = dev.apportion.core.stats.RankStatistics.spearman(a, b, a.length);
        return Double.isNaN(r) ? 0 : r;
    }
}
