package dev.apportion.bench.metrics;

import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Credit-quality metrics of one estimator's credit on one sampled batch, against the exact
 * truth (no training involved). Unit: the turn (policy span); "token_" metrics repeat them per
 * policy token for tasks with several tokens per turn; "agent_spearman" ranks per-agent credit.
 *
 * <ul>
 *   <li>{@code spearman}: Spearman rank correlation between turn credit and true turn advantage
 *       over every turn of the batch (0 when the credit is constant).</li>
 *   <li>{@code sign_agreement}: on decisive turns with a non-zero true advantage, the share whose
 *       credit has the same sign (a zero credit counts ½).</li>
 *   <li>{@code auroc}: AUROC of |credit| for telling decisive turns (positives) from irrelevant
 *       turns (negatives).</li>
 *   <li>{@code leakage}: mean |credit| on irrelevant turns divided by mean |credit| on decisive
 *       turns (0 is perfect; outcome-only credit gives about 1); undefined (NaN) when the mean
 *       |credit| on decisive turns is below 1e-6 of the batch's largest |credit|.</li>
 * </ul>
 * <ul>
 *   <li>{@code spearman_within_trajectory}: the rank correlation inside each trajectory,
 *       averaged over trajectories (trajectory-constant credit scores 0 here, whatever the
 *       horizon); {@code spearman_within_decision}: inside each latent decision state visited
 *       several times with different outcomes of the choice, averaged over such states.</li>
 * </ul>
 * True advantages below 1e-9 in magnitude are exactly 0 (rounding residue of V = Σπ·Q is
 * removed when the batch is sampled). Turn credit is the estimator's {@code spanAdvantages()} when given (and not NaN), else the
 * mean advantage over the turn's policy tokens.
 */
public final class CreditMetrics {
    /** Spearman within each trajectory, averaged over trajectories (not diluted by pooling across trajectories). */
    public static final String WITHIN_TRAJECTORY = "spearman_within_trajectory";
    /** Spearman among the turns taken in the same latent state, averaged over such decisions. */
    public static final String WITHIN_DECISION = "spearman_within_decision";
    /** Metric names, in report order. */
    public static final List<String> SPAN =
            List.of("spearman", WITHIN_TRAJECTORY, WITHIN_DECISION, "sign_agreement", "auroc", "leakage");
    /** Metrics repeated per token for token-level tasks. */
    public static final List<String> TOKEN =
            List.of("token_spearman", "token_sign_agreement", "token_auroc", "token_leakage");
    /** Across-batch metric. */
    public static final String NOISE = "credit_noise";
    /** Per-agent metric. */
    public static final String AGENT = "agent_spearman";

    private CreditMetrics() {}

    /** Turn credit per span (NaN on context spans). */
    public static double[] spanCredit(Rollouts b, Credit c) {
        double[] out = new double[b.spanCount()];
        float[] sa = c.spanAdvantages();
        float[] adv = c.advantages();
        for (int s = 0; s < out.length; s++) {
            if (!b.isPolicySpan(s)) {
                out[s] = Double.NaN;
                continue;
            }
            if (sa != null && !Float.isNaN(sa[s])) {
                out[s] = sa[s];
                continue;
            }
            int t0 = b.spanTokenStart(s);
            int t1 = b.spanTokenEnd(s);
            double sum = 0;
            for (int t = t0; t < t1; t++) sum += adv[t];
            out[s] = t1 > t0 ? sum / (t1 - t0) : 0;
        }
        return out;
    }

    /**
     * Every metric for one batch.
     *
     * @param tokenLevel also compute the token_ metrics
     * @return metric name → value (NaN where undefined)
     */
    public static Map<String, Double> evaluate(SampledBatch batch, Credit credit, boolean tokenLevel, boolean agents) {
        Map<String, Double> out = new LinkedHashMap<>();
        Rollouts b = batch.rollouts();
        double[] sc = spanCredit(b, credit);
        int[] ps = batch.policySpans();
        double[] x = new double[ps.length];
        double[] y = new double[ps.length];
        byte[] lab = new byte[ps.length];
        for (int i = 0; i < ps.length; i++) {
            x[i] = sc[ps[i]];
            y[i] = batch.spanTruth()[ps[i]];
            lab[i] = batch.spanLabel()[ps[i]];
        }
        put(out, "", x, y, lab);
        out.put(WITHIN_TRAJECTORY, withinTrajectory(b, sc, batch.spanTruth()));
        out.put(WITHIN_DECISION, withinDecision(ps, sc, batch.spanTruth(), batch.spanDecision()));
        if (tokenLevel) {
            int[] pt = batch.policyTokens();
            double[] tx = new double[pt.length];
            double[] ty = new double[pt.length];
            byte[] tl = new byte[pt.length];
            for (int i = 0; i < pt.length; i++) {
                tx[i] = credit.advantages()[pt[i]];
                ty[i] = batch.tokenTruth()[pt[i]];
                tl[i] = batch.tokenLabel()[pt[i]];
            }
            put(out, "token_", tx, ty, tl);
        }
        if (agents && b.spanAgent() != null) out.put(AGENT, agentSpearman(b, sc, batch.spanTruth()));
        return out;
    }

    private static void put(Map<String, Double> out, String prefix, double[] x, double[] y, byte[] lab) {
        int n = x.length;
        out.put(prefix + "spearman", Ranks.spearman(x, y, n));
        double agree = 0;
        int nd = 0;
        int ni = 0;
        double[] pos = new double[n];
        double[] neg = new double[n];
        double sumPos = 0;
        double sumNeg = 0;
        for (int i = 0; i < n; i++) {
            if (lab[i] == SampledBatch.DECISIVE) {
                pos[nd++] = Math.abs(x[i]);
                sumPos += Math.abs(x[i]);
            } else if (lab[i] == SampledBatch.IRRELEVANT) {
                neg[ni++] = Math.abs(x[i]);
                sumNeg += Math.abs(x[i]);
            }
        }
        int signed = 0;
        for (int i = 0; i < n; i++) {
            if (lab[i] != SampledBatch.DECISIVE || Math.abs(y[i]) <= 1e-9) continue;
            signed++;
            if (x[i] == 0) agree += 0.5;
            else if ((x[i] > 0) == (y[i] > 0)) agree += 1;
        }
        out.put(prefix + "sign_agreement", signed == 0 ? Double.NaN : agree / signed);
        out.put(prefix + "auroc", Ranks.auroc(pos, nd, neg, ni));
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.max(scale, Math.abs(x[i]));
        // decisive credit indistinguishable from 0 (float noise) makes the ratio meaningless
        boolean defined = nd > 0 && ni > 0 && sumPos / nd > 1e-6 * scale && scale > 0;
        out.put(prefix + "leakage", defined ? (sumNeg / ni) / (sumPos / nd) : Double.NaN);
    }

    /**
     * Mean over trajectories whose turns' true advantages are not all equal of the Spearman
     * correlation of credit and truth among the trajectory's turns. Trajectory-constant credit
     * scores 0; NaN when no trajectory qualifies.
     */
    static double withinTrajectory(Rollouts b, double[] sc, float[] truth) {
        double sum = 0;
        int n = 0;
        double[] x = new double[16];
        double[] y = new double[16];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            int k = 0;
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (!b.isPolicySpan(s)) continue;
                if (k == x.length) {
                    x = java.util.Arrays.copyOf(x, 2 * k);
                    y = java.util.Arrays.copyOf(y, 2 * k);
                }
                x[k] = sc[s];
                y[k++] = truth[s];
            }
            if (k < 2 || constant(y, k)) continue;
            sum += Ranks.spearman(x, y, k);
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Mean over latent decision states visited at least twice with differing true advantages
     * (different actions taken) of the Spearman correlation of credit and truth among those
     * visits: does the credit order the alternatives at one decision correctly (what a policy
     * gradient uses). NaN when no decision qualifies.
     */
    static double withinDecision(int[] policySpans, double[] sc, float[] truth, int[] decision) {
        int n = policySpans.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = policySpans[i];
        java.util.Arrays.sort(
                order,
                (p, q) ->
                        decision[p] != decision[q] ? Integer.compare(decision[p], decision[q]) : Integer.compare(p, q));
        double sum = 0;
        int count = 0;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && decision[order[j]] == decision[order[i]]) j++;
            int k = j - i;
            if (k >= 2 && decision[order[i]] >= 0) {
                for (int q = 0; q < k; q++) {
                    x[q] = sc[order[i + q]];
                    y[q] = truth[order[i + q]];
                }
                if (!constant(y, k)) {
                    sum += Ranks.spearman(x, y, k);
                    count++;
                }
            }
            i = j;
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    private static boolean constant(double[] y, int k) {
        for (int i = 1; i < k; i++) if (y[i] != y[0]) return false;
        return true;
    }

    private static double agentSpearman(Rollouts b, double[] sc, float[] truth) {
        String[] ag = b.spanAgent();
        java.util.List<double[]> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < b.trajectoryCount(); i++) {
            Map<String, double[]> per = new java.util.TreeMap<>();
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (!b.isPolicySpan(s) || ag[s] == null) continue;
                double[] acc = per.computeIfAbsent(ag[s], k -> new double[2]);
                acc[0] += sc[s];
                acc[1] += truth[s];
            }
            pairs.addAll(per.values());
        }
        double[] x = new double[pairs.size()];
        double[] y = new double[pairs.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = pairs.get(i)[0];
            y[i] = pairs.get(i)[1];
        }
        return Ranks.spearman(x, y, x.length);
    }
}
