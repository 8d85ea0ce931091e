package dev.apportion.lm;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The branching Monte-Carlo oracle: the value of a prefix, V(prefix), is the mean verifier
 * reward of K continuations sampled from it with the current policy (and the task's tool
 * environment); its standard error is the sample standard deviation over √K. The estimated
 * advantage of a step is V(after) − V(before), with the two errors added in quadrature (the
 * samples are independent). This is the estimator VinePPO uses for its values (Kazemnejad et
 * al., arXiv 2410.01679, §4: "we estimate V̂(s_t) by sampling K trajectories from s_t").
 */
public final class BranchingOracle {
    /** Continuations generated per engine call at most (bounds memory). */
    private static final int CHUNK = 512;

    /** Values and standard errors of the prefixes, and the number of sampled continuations. */
    public record Values(double[] mean, double[] se, long samples) {}

    private BranchingOracle() {}

    /**
     * V of each prefix {@code (episodes[which[j]], first length[j] positions)} from {@code k}
     * continuations each.
     */
    public static Values values(
            Weights w, Task task, List<Episode> episodes, int[] which, int[] length, int k, SplittableRandom rnd) {
        if (k < 2) throw new IllegalArgumentException("branching needs k >= 2 continuations, got " + k);
        int n = which.length;
        double[] sum = new double[n], sq = new double[n];
        List<Episode> chunk = new ArrayList<>(CHUNK);
        List<Integer> owner = new ArrayList<>(CHUNK);
        for (int j = 0; j < n; j++) {
            Episode base = episodes.get(which[j]);
            for (int r = 0; r < k; r++) {
                chunk.add(base.prefix(length[j]));
                owner.add(j);
                if (chunk.size() == CHUNK) flush(w, task, chunk, owner, sum, sq, rnd);
            }
        }
        if (!chunk.isEmpty()) flush(w, task, chunk, owner, sum, sq, rnd);
        double[] mean = new double[n], se = new double[n];
        for (int j = 0; j < n; j++) {
            mean[j] = sum[j] / k;
            double var = Math.max(0, (sq[j] - k * mean[j] * mean[j]) / (k - 1));
            se[j] = Math.sqrt(var / k);
        }
        return new Values(mean, se, (long) n * k);
    }

    private static void flush(
            Weights w,
            Task task,
            List<Episode> chunk,
            List<Integer> owner,
            double[] sum,
            double[] sq,
            SplittableRandom rnd) {
        Policy.generate(w, task, chunk, rnd);
        for (int c = 0; c < chunk.size(); c++) {
            double r = chunk.get(c).reward;
            sum[owner.get(c)] += r;
            sq[owner.get(c)] += r * r;
        }
        chunk.clear();
        owner.clear();
    }

    /** Start positions of the policy turns of an episode. */
    static int[] turnStarts(Episode e) {
        int count = 0;
        for (int p = 1; p < e.len; p++) if (e.role[p] == 1 && e.role[p - 1] == 0) count++;
        int[] s = new int[count];
        int c = 0;
        for (int p = 1; p < e.len; p++) if (e.role[p] == 1 && e.role[p - 1] == 0) s[c++] = p;
        return s;
    }

    /**
     * V before every policy turn of every episode ({@code [episode][turn]}), as VinePPO's
     * {@code mc_value} span signal; also returns the samples spent via {@code spent[0]}.
     */
    public static double[][] turnValues(
            Weights w, Task task, List<Episode> eps, int k, SplittableRandom rnd, long[] spent) {
        List<Integer> wh = new ArrayList<>();
        List<Integer> ln = new ArrayList<>();
        int[][] starts = new int[eps.size()][];
        for (int i = 0; i < eps.size(); i++) {
            starts[i] = turnStarts(eps.get(i));
            for (int s : starts[i]) {
                wh.add(i);
                ln.add(s);
            }
        }
        Values v = values(
                w,
                task,
                eps,
                wh.stream().mapToInt(Integer::intValue).toArray(),
                ln.stream().mapToInt(Integer::intValue).toArray(),
                k,
                rnd);
        double[][] out = new double[eps.size()][];
        int j = 0;
        for (int i = 0; i < eps.size(); i++) {
            out[i] = new double[starts[i].length];
            for (int t = 0; t < starts[i].length; t++) out[i][t] = v.mean()[j++];
        }
        if (spent != null) spent[0] += v.samples();
        return out;
    }
}
