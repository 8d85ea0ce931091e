package dev.apportion.core.estimator.turn;

import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnBoundaries;
import dev.apportion.core.rollout.Rollouts;

/**
 * The computations IGPO and A²TGPO share: turn boundaries found from the reward layout, the
 * outcome at the last boundary, information gain (IG) at the others, population z-scores, and
 * backward accumulation over boundaries. Values are per boundary of a {@link TurnBoundaries}.
 */
final class IgpoKernel {
    private IgpoKernel() {}

    /** Raw outcome per boundary (NaN at IG boundaries). */
    static double[] outcomes(TurnBoundaries b, double[] raw) {
        double[] out = new double[raw.length];
        for (int j = 0; j < raw.length; j++) out[j] = b.isLast(j) ? raw[j] : Double.NaN;
        return out;
    }

    /** Raw IG per boundary (NaN at outcome boundaries). */
    static double[] infoGains(TurnBoundaries b, double[] raw) {
        double[] out = new double[raw.length];
        for (int j = 0; j < raw.length; j++) out[j] = b.isLast(j) ? Double.NaN : raw[j];
        return out;
    }

    /** Prompt group of each boundary. */
    static int[] groupOfBoundary(Rollouts batch, TurnBoundaries b) {
        int[] groupOf = batch.trajectoryGroups();
        int[] out = new int[b.size()];
        for (int j = 0; j < out.length; j++) out[j] = groupOf[b.trajectory[j]];
        return out;
    }

    /**
     * IGPO's {@code separate} / {@code joint} normalization followed by the backward
     * accumulation {@code A_j = v_j + γ·A_{j+1}}.
     *
     * @param raw read, the (weighted) reward at each boundary
     * @return a fresh array of one value per boundary
     */
    static double[] separateOrJoint(
            Rollouts batch, TurnBoundaries b, double[] raw, boolean joint, double gamma, double eps, boolean byStd) {
        int groups = batch.groupCount();
        int[] g = groupOfBoundary(batch, b);
        double[] v;
        if (joint) {
            v = GroupZScores.populationZ(raw, g, groups, eps, byStd);
        } else {
            double[] o = GroupZScores.populationZ(outcomes(b, raw), g, groups, eps, byStd);
            double[] z = GroupZScores.populationZ(infoGains(b, raw), g, groups, eps, byStd);
            v = new double[raw.length];
            for (int j = 0; j < v.length; j++) v[j] = b.isLast(j) ? o[j] : z[j];
        }
        accumulate(b, v, gamma);
        return v;
    }

    /** In place, per trajectory from its last boundary backwards: {@code v_j += γ·v_{j+1}}. */
    static void accumulate(TurnBoundaries b, double[] v, double gamma) {
        for (int i = 0; i < b.trajectoryCount(); i++) {
            double acc = 0;
            for (int j = b.offsets[i + 1] - 1; j >= b.offsets[i]; j--) {
                acc = v[j] + gamma * acc;
                v[j] = acc;
            }
        }
    }
}
