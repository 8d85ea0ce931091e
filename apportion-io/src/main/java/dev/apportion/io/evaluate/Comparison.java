package dev.apportion.io.evaluate;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.RankStatistics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How far two estimators' credit agree on one batch ({@code apportion compare}).
 *
 * <ul>
 *   <li>{@code spearman}: Spearman's rank correlation (midranks) of the two turn credits
 *       ({@link TurnCredit}) over every turn with tokens.</li>
 *   <li>{@code sign_disagreement}: the share of policy tokens whose advantage has a different
 *       sign (−, 0, +) under the two estimators.</li>
 *   <li>Where they disagree most: each turn's credit is turned into its percentile rank within
 *       the batch under each estimator (midrank / number of turns); a turn's disagreement is the
 *       absolute difference of its two percentiles, a trajectory's the mean over its turns. The
 *       {@code top} largest of each are listed.</li>
 * </ul>
 */
public final class Comparison {
    /** A turn where two estimators disagree. */
    public record Turn(String group, String id, int policySpan, double creditA, double creditB, double rankGap) {}

    /** A trajectory where two estimators disagree. */
    public record Trajectory(String group, String id, double meanRankGap, int turns) {}

    /** The comparison of estimators {@code a} and {@code b}. */
    public record Pair(
            String a,
            String b,
            double spearman,
            double signDisagreement,
            int turns,
            List<Trajectory> topTrajectories,
            List<Turn> topTurns) {}

    private Comparison() {}

    /**
     * Compares two credits of the same batch.
     *
     * @param top how many trajectories and turns to list
     */
    public static Pair compare(Rollouts batch, String a, Credit ca, String b, Credit cb, int top) {
        double[] ta = TurnCredit.of(batch, ca);
        double[] tb = TurnCredit.of(batch, cb);
        int spans = ta.length;
        int[] turn = new int[spans];
        double[] xa = new double[spans];
        double[] xb = new double[spans];
        int n = 0;
        for (int s = 0; s < spans; s++) {
            if (Double.isNaN(ta[s]) || Double.isNaN(tb[s])) continue;
            turn[n] = s;
            xa[n] = (float) ta[s];
            xb[n++] = (float) tb[s];
        }
        double rho = RankStatistics.spearman(xa, xb, n);
        double[] gap = new double[spans];
        Arrays.fill(gap, Double.NaN);
        if (n > 0) {
            double[] ra = RankStatistics.midranks(xa, n);
            double[] rb = RankStatistics.midranks(xb, n);
            for (int k = 0; k < n; k++) gap[turn[k]] = Math.abs(ra[k] - rb[k]) / n;
        }
        float[] adva = ca.advantages();
        float[] advb = cb.advantages();
        byte[] mask = batch.mask();
        long policy = 0;
        long differ = 0;
        for (int t = 0; t < mask.length; t++) {
            if (mask[t] == 0) continue;
            policy++;
            if (Math.signum(adva[t]) != Math.signum(advb[t])) differ++;
        }
        List<Turn> turns = new ArrayList<>();
        List<Trajectory> trajs = new ArrayList<>();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int[] ps = TurnCredit.policySpans(batch, i);
            double sum = 0;
            int c = 0;
            for (int k = 0; k < ps.length; k++) {
                double g = gap[ps[k]];
                if (Double.isNaN(g)) continue;
                sum += g;
                c++;
                turns.add(new Turn(
                        batch.groupKey(batch.trajectoryGroup(i)), batch.trajectoryId(i), k, ta[ps[k]], tb[ps[k]], g));
            }
            if (c > 0)
                trajs.add(new Trajectory(batch.groupKey(batch.trajectoryGroup(i)), batch.trajectoryId(i), sum / c, c));
        }
        turns.sort((p, q) -> Double.compare(q.rankGap(), p.rankGap()));
        trajs.sort((p, q) -> Double.compare(q.meanRankGap(), p.meanRankGap()));
        return new Pair(
                a,
                b,
                rho,
                policy == 0 ? Double.NaN : (double) differ / policy,
                n,
                List.copyOf(trajs.subList(0, Math.min(top, trajs.size()))),
                List.copyOf(turns.subList(0, Math.min(top, turns.size()))));
    }
}
