package dev.apportion.core.estimator.agent;

import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * The "rows" of the multi-agent estimators of this package: one row per policy span (one agent
 * action, the row of a verl batch), in batch order (trajectory by trajectory, spans in order).
 * A row's token range runs from its policy span's first token to the next policy span of the
 * trajectory (or the trajectory's end), so the observation or padding that follows an action
 * belongs to it; the first row also owns the trajectory's leading context (the prompt).
 * Package-private helper of {@link AtGrpo}, {@link DrMas} and {@link Ccpo}.
 */
final class AgentRows {
    /** Policy span of each row. */
    final int[] span;
    /** Trajectory of each row. */
    final int[] trajectory;
    /** Token range [tokenStart, tokenEnd) of each row. */
    final int[] tokenStart;

    final int[] tokenEnd;
    /** Rows of trajectory i are [rowStart[i], rowStart[i+1]). */
    final int[] rowStart;

    private AgentRows(int[] span, int[] trajectory, int[] tokenStart, int[] tokenEnd, int[] rowStart) {
        this.span = span;
        this.trajectory = trajectory;
        this.tokenStart = tokenStart;
        this.tokenEnd = tokenEnd;
        this.rowStart = rowStart;
    }

    static AgentRows of(Rollouts b) {
        int n = b.trajectoryCount();
        int rows = 0;
        for (int s = 0; s < b.spanCount(); s++) if (b.isPolicySpan(s)) rows++;
        int[] span = new int[rows];
        int[] traj = new int[rows];
        int[] ts = new int[rows];
        int[] te = new int[rows];
        int[] rowStart = new int[n + 1];
        int r = 0;
        for (int i = 0; i < n; i++) {
            rowStart[i] = r;
            int first = r;
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                if (!b.isPolicySpan(s)) continue;
                span[r] = s;
                traj[r] = i;
                ts[r] = b.spanTokenStart(s);
                if (r > first) te[r - 1] = ts[r];
                r++;
            }
            if (r > first) {
                ts[first] = b.tokenStart(i);
                te[r - 1] = b.tokenEnd(i);
            }
        }
        rowStart[n] = r;
        return new AgentRows(span, traj, ts, te, rowStart);
    }

    int size() {
        return span.length;
    }

    /**
     * Scalar score of each row, as verl sums a row of {@code token_level_rewards}: the row's span
     * reward (absent = 0) plus the token {@code reward} signal over the row's token range.
     */
    double[] scores(Rollouts b) {
        double[] out = new double[size()];
        float[] sr = b.spanReward();
        float[] tr = b.tokenSignal(Rollouts.REWARD);
        for (int r = 0; r < out.length; r++) {
            double v = 0;
            if (sr != null && !Float.isNaN(sr[span[r]])) v += sr[span[r]];
            if (tr != null) for (int t = tokenStart[r]; t < tokenEnd[r]; t++) v += tr[t];
            out[r] = v;
        }
        return out;
    }

    /** Agent name of each row ("" when the span names none). */
    String[] agents(Rollouts b) {
        String[] a = b.spanAgent();
        String[] out = new String[size()];
        for (int r = 0; r < out.length; r++) out[r] = a == null || a[span[r]] == null ? "" : a[span[r]];
        return out;
    }

    /** Per-token advantages: {@code perRow[r]} on the tokens of row r's policy span, 0 elsewhere. */
    float[] broadcast(Rollouts b, double[] perRow) {
        float[] out = new float[b.tokenCount()];
        for (int r = 0; r < size(); r++) {
            Arrays.fill(out, b.spanTokenStart(span[r]), b.spanTokenEnd(span[r]), (float) perRow[r]);
        }
        return out;
    }

    /**
     * As {@link #broadcast(Rollouts, double[])} into the buffer's advantages when given: every token is
     * written ({@code perRow[r]} on row r's policy span, 0 elsewhere).
     */
    float[] broadcast(Rollouts b, double[] perRow, dev.apportion.core.credit.Credit.Buffers buffers) {
        if (buffers == null) return broadcast(b, perRow);
        return writeAll(b, perRow, buffers.advantages(b.tokenCount()));
    }

    /** Writes {@code perRow[r]} on the tokens of row r's policy span and 0 on every other token of {@code out}. */
    float[] writeAll(Rollouts b, double[] perRow, float[] out) {
        int[] tokOff = b.spanTokenOffsets();
        for (int i = 0; i < rowStart.length - 1; i++) {
            int r = rowStart[i];
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                float v = b.isPolicySpan(s) ? (float) perRow[r++] : 0f;
                Arrays.fill(out, tokOff[s], tokOff[s + 1], v);
            }
        }
        return out;
    }

    /** Per-span values: {@code perRow[r]} on row r's policy span, 0 on the other spans. */
    float[] spanValues(Rollouts b, double[] perRow) {
        float[] out = new float[b.spanCount()];
        for (int r = 0; r < size(); r++) out[span[r]] = (float) perRow[r];
        return out;
    }
}
