package dev.apportion.io.evaluate;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.RankStatistics;
import dev.apportion.io.importer.TrajectoryLabels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Scores turn credit against turn labels ({@code apportion evaluate}).
 *
 * <h2>Metrics</h2>
 * Turn credit is {@link TurnCredit} (rounded to float, so equal credits are exact ties). Over
 * the labelled trajectories:
 * <ul>
 *   <li>{@code auroc_all}: the probability that a turn labelled +1 gets more credit than a turn
 *       labelled −1, over all labelled turns of the batch, ties counting one half (Mann–Whitney U
 *       over P·N). Turns labelled 0 or null do not enter.</li>
 *   <li>{@code auroc_within_failed}: the same over the turns of failed trajectories only (outcome
 *       ≤ 0; without an outcome the score {@link Rollouts#scores()} ≤ 0). This is where turn
 *       credit matters: an outcome-level method gives all turns of a failed trajectory the same
 *       credit, so within a trajectory it cannot tell a good turn from a bad one.</li>
 *   <li>{@code spearman}: Spearman's correlation (midranks) of turn credit with the label
 *       (−1, 0, +1) over all labelled turns.</li>
 *   <li>{@code first_error_accuracy}: over trajectories with a {@code first_error_span}, how often
 *       the turn with the most negative credit is the labelled first error; when m turns tie for
 *       the minimum and the first error is one of them, the trajectory counts 1/m (the chance
 *       that a random tie-break picks it; one half for a two-way tie).</li>
 *   <li>{@code auroc_within_trajectory} (an addition): the same pairwise AUROC, but only over
 *       (+1, −1) pairs of turns <em>of the same trajectory</em>, pooled over trajectories. It
 *       isolates turn-level discrimination: any credit that is constant within a trajectory
 *       (every outcome-level method) scores exactly 0.5, whereas {@code auroc_all} and
 *       {@code auroc_within_failed} also reward (or punish) differences between
 *       trajectories.</li>
 * </ul>
 * Turns with no token (no credit) are left out. Each metric is NaN when undefined (no positive
 * or no negative turn, a constant side, no first error).
 *
 * <h2>Intervals</h2>
 * Percentile bootstrap over trajectories: {@code bootstrap} resamples of the labelled
 * trajectories with replacement (a trajectory's turns move together), from a
 * {@link SplittableRandom} with a fixed seed, each metric's 2.5% and 97.5% quantiles over the
 * resamples where it is defined (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993,
 * ch. 13). The same resamples are used for every estimator, so estimators are compared on equal
 * terms.
 */
public final class Evaluation {
    /** Default number of bootstrap resamples. */
    public static final int DEFAULT_BOOTSTRAP = 1000;
    /** Default seed of the bootstrap. */
    public static final long DEFAULT_SEED = 20261207L;

    /** The four metrics (NaN when undefined). */
    public record Metrics(
            double aurocAll,
            double aurocWithinFailed,
            double spearman,
            double firstErrorAccuracy,
            double aurocWithinTrajectory) {
        /** Number of metrics. */
        public static final int COUNT = 5;

        /** The k-th metric in declaration order. */
        public double get(int k) {
            return switch (k) {
                case 0 -> aurocAll;
                case 1 -> aurocWithinFailed;
                case 2 -> spearman;
                case 3 -> firstErrorAccuracy;
                default -> aurocWithinTrajectory;
            };
        }
    }

    /**
     * One estimator's result.
     *
     * @param ci95 per metric (in {@link Metrics} order) the 2.5% and 97.5% bootstrap quantiles (NaN when undefined)
     */
    public record Result(String id, String granularity, Metrics metrics, double[][] ci95) {}

    /** An estimator that could not run on the batch, with the reason (the signal it lacks). */
    public record Skipped(String id, String reason) {}

    /**
     * The evaluation.
     *
     * @param data counts: trajectories, labelled trajectories, failed, labelled turns, positive / negative / neutral turns, first errors
     */
    public record Report(List<Result> estimators, List<Skipped> skipped, Map<String, Object> data) {}

    /** The labels of the batch aligned with its trajectories, flat. */
    public static final class Aligned {
        final int n;
        /** per trajectory: global span indices of its policy spans */
        final int[][] spans;
        /** per trajectory: label per policy span, 2 = none */
        final byte[][] labels;

        final int[] firstError;
        final boolean[] failed;
        final boolean[] labelled;

        private Aligned(int n) {
            this.n = n;
            spans = new int[n][];
            labels = new byte[n][];
            firstError = new int[n];
            failed = new boolean[n];
            labelled = new boolean[n];
        }
    }

    private Evaluation() {}

    /**
     * Matches labels to trajectories by (group, id).
     *
     * @throws IllegalArgumentException naming the labels file, when a label line names a trajectory the
     *     batch lacks or has a different number of labels than the trajectory has policy spans
     */
    public static Aligned align(Rollouts batch, List<TrajectoryLabels> labels, String labelsName) {
        int n = batch.trajectoryCount();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < n; i++)
            index.put(batch.groupKey(batch.trajectoryGroup(i)) + "\u0000" + batch.trajectoryId(i), i);
        Aligned a = new Aligned(n);
        Arrays.fill(a.firstError, -1);
        float[] outcome = batch.outcome();
        double[] scores = batch.scores();
        for (int i = 0; i < n; i++) {
            double o = outcome != null && !Float.isNaN(outcome[i]) ? outcome[i] : scores[i];
            a.failed[i] = o <= 0;
            a.spans[i] = TurnCredit.policySpans(batch, i);
        }
        for (int k = 0; k < labels.size(); k++) {
            TrajectoryLabels l = labels.get(k);
            Integer i = index.get(l.group() + "\u0000" + l.id());
            if (i == null) {
                throw new IllegalArgumentException(labelsName + ": labels line " + (k + 1) + " names trajectory '"
                        + l.id() + "' of group '" + l.group() + "', which the rollouts do not have");
            }
            if (l.policySpanLabels().size() != a.spans[i].length) {
                throw new IllegalArgumentException(labelsName + ": labels line " + (k + 1) + ": trajectory '" + l.id()
                        + "' (group '" + l.group() + "') has "
                        + l.policySpanLabels().size() + " labels but "
                        + a.spans[i].length + " policy spans in the rollouts");
            }
            byte[] b = new byte[a.spans[i].length];
            for (int s = 0; s < b.length; s++) {
                Integer x = l.policySpanLabels().get(s);
                b[s] = x == null ? 2 : x.byteValue();
            }
            a.labels[i] = b;
            a.labelled[i] = true;
            a.firstError[i] = l.firstErrorSpan() == null ? -1 : l.firstErrorSpan();
        }
        return a;
    }

    /**
     * Runs every estimator with its default parameters and scores its turn credit.
     *
     * @param bootstrap resamples for the intervals (0: no intervals)
     */
    public static Report run(Rollouts batch, Aligned a, List<Estimator> estimators, int bootstrap, long seed) {
        int[] sample = labelledTrajectories(a);
        int[][] resamples = resamples(sample, bootstrap, seed);
        List<Result> results = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Estimator e : estimators) {
            Credit c;
            try {
                c = e.assign(batch);
            } catch (IllegalArgumentException ex) {
                skipped.add(new Skipped(e.id(), ex.getMessage()));
                continue;
            } catch (UnsupportedOperationException | IllegalStateException ex) {
                skipped.add(new Skipped(e.id(), "cannot run: " + ex.getMessage()));
                continue;
            }
            float[] credit = toFloat(TurnCredit.of(batch, c));
            results.add(evaluate(
                    e.id(),
                    e.descriptor().granularity().name().toLowerCase(java.util.Locale.ROOT),
                    credit,
                    a,
                    sample,
                    resamples));
        }
        return new Report(results, skipped, dataSummary(a));
    }

    /** Scores one turn-credit vector (one value per span of the batch, NaN for non-turns). */
    public static Result evaluate(
            String id, String granularity, float[] credit, Aligned a, int[] sample, int[][] resamples) {
        Metrics m = metrics(credit, a, sample);
        int count = Metrics.COUNT;
        double[][] ci = new double[count][];
        if (resamples.length == 0) {
            for (int k = 0; k < count; k++) ci[k] = new double[] {Double.NaN, Double.NaN};
        } else {
            double[][] reps = new double[count][resamples.length];
            for (int r = 0; r < resamples.length; r++) {
                Metrics mr = metrics(credit, a, resamples[r]);
                for (int k = 0; k < count; k++) reps[k][r] = mr.get(k);
            }
            for (int k = 0; k < count; k++) ci[k] = percentileInterval(reps[k]);
        }
        return new Result(id, granularity, m, ci);
    }

    /** The labelled trajectories, in batch order. */
    public static int[] labelledTrajectories(Aligned a) {
        int c = 0;
        for (int i = 0; i < a.n; i++) if (a.labelled[i]) c++;
        int[] out = new int[c];
        c = 0;
        for (int i = 0; i < a.n; i++) if (a.labelled[i]) out[c++] = i;
        return out;
    }

    /** {@code count} resamples (with replacement) of {@code sample}, from a fixed seed. */
    public static int[][] resamples(int[] sample, int count, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] out = new int[count][sample.length];
        for (int r = 0; r < count; r++) {
            for (int k = 0; k < sample.length; k++) out[r][k] = sample[rng.nextInt(sample.length)];
        }
        return out;
    }

    /** The metrics over a multiset of trajectories ({@code sample} may repeat indices). */
    public static Metrics metrics(float[] credit, Aligned a, int[] sample) {
        int turns = 0;
        for (int i : sample) turns += a.spans[i].length;
        double[] pos = new double[turns];
        double[] neg = new double[turns];
        double[] fpos = new double[turns];
        double[] fneg = new double[turns];
        double[] x = new double[turns];
        double[] y = new double[turns];
        int np = 0;
        int nn = 0;
        int fp = 0;
        int fn = 0;
        int nl = 0;
        double hits = 0;
        int firsts = 0;
        double inWins = 0;
        long inPairs = 0;
        for (int i : sample) {
            int[] sp = a.spans[i];
            byte[] lb = a.labels[i];
            for (int k = 0; k < sp.length; k++) {
                if (lb[k] != 1 || Float.isNaN(credit[sp[k]])) continue;
                for (int q = 0; q < sp.length; q++) {
                    if (lb[q] != -1 || Float.isNaN(credit[sp[q]])) continue;
                    inPairs++;
                    if (credit[sp[k]] > credit[sp[q]]) inWins += 1;
                    else if (credit[sp[k]] == credit[sp[q]]) inWins += 0.5;
                }
            }
            for (int k = 0; k < sp.length; k++) {
                float c = credit[sp[k]];
                if (Float.isNaN(c) || lb[k] == 2) continue;
                x[nl] = c;
                y[nl++] = lb[k];
                if (lb[k] == 1) {
                    pos[np++] = c;
                    if (a.failed[i]) fpos[fp++] = c;
                } else if (lb[k] == -1) {
                    neg[nn++] = c;
                    if (a.failed[i]) fneg[fn++] = c;
                }
            }
            int fe = a.firstError[i];
            if (fe >= 0 && !Float.isNaN(credit[sp[fe]])) {
                float min = Float.POSITIVE_INFINITY;
                for (int s : sp) if (!Float.isNaN(credit[s]) && credit[s] < min) min = credit[s];
                int ties = 0;
                for (int s : sp) if (credit[s] == min) ties++;
                firsts++;
                if (credit[sp[fe]] == min) hits += 1.0 / ties;
            }
        }
        return new Metrics(
                RankStatistics.auroc(pos, np, neg, nn),
                RankStatistics.auroc(fpos, fp, fneg, fn),
                RankStatistics.spearman(x, y, nl),
                firsts == 0 ? Double.NaN : hits / firsts,
                inPairs == 0 ? Double.NaN : inWins / inPairs);
    }

    /** The 2.5% and 97.5% quantiles (linear interpolation) of the defined values; NaN when none. */
    static double[] percentileInterval(double[] v) {
        double[] d = Arrays.stream(v).filter(z -> !Double.isNaN(z)).sorted().toArray();
        if (d.length == 0) return new double[] {Double.NaN, Double.NaN};
        return new double[] {quantile(d, 0.025), quantile(d, 0.975)};
    }

    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int k = 0; k < v.length; k++) out[k] = (float) v[k];
        return out;
    }

    private static Map<String, Object> dataSummary(Aligned a) {
        int labelled = 0;
        int failed = 0;
        int pos = 0;
        int neg = 0;
        int zero = 0;
        int none = 0;
        int firsts = 0;
        for (int i = 0; i < a.n; i++) {
            if (!a.labelled[i]) continue;
            labelled++;
            if (a.failed[i]) failed++;
            if (a.firstError[i] >= 0) firsts++;
            for (byte b : a.labels[i]) {
                if (b == 1) pos++;
                else if (b == -1) neg++;
                else if (b == 0) zero++;
                else none++;
            }
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("trajectories", a.n);
        m.put("labelled_trajectories", labelled);
        m.put("failed_labelled_trajectories", failed);
        m.put("turns_plus", pos);
        m.put("turns_minus", neg);
        m.put("turns_zero", zero);
        m.put("turns_unlabelled", none);
        m.put("first_errors", firsts);
        return m;
    }
}
