package dev.apportion.core.kernel;

import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;

/**
 * Turn boundaries of every trajectory of a batch, in CSR form: the boundaries of trajectory
 * {@code i} are the global token indices {@code tokens[offsets[i] .. offsets[i+1])}, ascending.
 * Boundary {@code j} of a trajectory owns the policy tokens after the previous boundary (or
 * from the trajectory's first token) up to and including its own token; the last boundary of
 * a trajectory is always its last policy token, so every policy token has an owner.
 *
 * <p>Two ways of finding them, matching the two conventions of the turn-level references:
 * <ul>
 *   <li>{@link #policySpanEnds}: the last token of every non-empty policy span (MatchTIR and
 *       SIOP cut turns at the ends of the runs of {@code response_mask == 1}, which the verl
 *       layout turns into policy spans). An empty policy span is not a turn.</li>
 *   <li>{@link #nonZeroRewards}: every policy token whose reward is not exactly 0, plus the
 *       last policy token (IGPO and A²TGPO read turn ends off the reward tensor). A turn whose
 *       reward is exactly 0 therefore has no boundary and merges into the next one.</li>
 * </ul>
 * Instances are immutable; the arrays are read-only after construction.
 */
public final class TurnBoundaries {
    /** Per trajectory, offsets into {@link #tokens}; length {@code trajectoryCount + 1}. */
    public final int[] offsets;
    /** Global token index of each boundary. */
    public final int[] tokens;
    /** Trajectory of each boundary. */
    public final int[] trajectory;

    private TurnBoundaries(int[] offsets, int[] tokens, int[] trajectory) {
        this.offsets = offsets;
        this.tokens = tokens;
        this.trajectory = trajectory;
    }

    /** How boundaries are found. */
    public enum Rule {
        /** Ends of non-empty policy spans. */
        POLICY_SPANS,
        /** Non-zero rewards on policy tokens, plus the last policy token. */
        NONZERO_REWARD
    }

    public static TurnBoundaries of(Rule rule, Rollouts batch, float[] dense, Execution exec) {
        return rule == Rule.POLICY_SPANS ? policySpanEnds(batch, exec) : nonZeroRewards(batch, dense, exec);
    }

    /**
     * Boundaries at the last token of every non-empty policy span: the turns of
     * {@link TurnTable}, seen by their last token.
     */
    public static TurnBoundaries policySpanEnds(Rollouts batch, Execution exec) {
        return policySpanEnds(batch, TurnTable.of(batch), exec);
    }

    /**
     * {@link #policySpanEnds(Rollouts, Execution)} from the caller's turn table of {@code batch}:
     * boundary {@code j} is the last token of turn {@code j}.
     */
    public static TurnBoundaries policySpanEnds(Rollouts batch, TurnTable turns, Execution exec) {
        int n = batch.trajectoryCount();
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = turns.end(i);
        int[] tokens = new int[turns.size()];
        int[] traj = new int[turns.size()];
        exec.forRange(turns.size(), Execution.MIN_TOKENS_PER_CHUNK, (c, from, to) -> {
            for (int j = from; j < to; j++) {
                tokens[j] = batch.spanTokenEnd(turns.span(j)) - 1;
                traj[j] = turns.trajectory(j);
            }
        });
        return new TurnBoundaries(offsets, tokens, traj);
    }

    /**
     * Boundaries at every policy token whose {@code dense} reward is not exactly 0, plus the
     * trajectory's last policy token (whatever its reward).
     *
     * @param dense read, one reward per token
     */
    public static TurnBoundaries nonZeroRewards(Rollouts batch, float[] dense, Execution exec) {
        int n = batch.trajectoryCount();
        byte[] mask = batch.mask();
        int[] last = new int[n];
        int[] counts = new int[n + 1];
        exec.forTrajectories(batch, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int l = batch.lastPolicyToken(i);
                last[i] = l;
                if (l < 0) continue;
                int k = 1;
                for (int t = batch.tokenStart(i); t < l; t++) if (mask[t] == 1 && dense[t] != 0f) k++;
                counts[i + 1] = k;
            }
        });
        int[] offsets = prefix(counts);
        int[] tokens = new int[offsets[n]];
        int[] traj = new int[offsets[n]];
        exec.forTrajectories(batch, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int l = last[i];
                if (l < 0) continue;
                int j = offsets[i];
                for (int t = batch.tokenStart(i); t < l; t++) {
                    if (mask[t] == 1 && dense[t] != 0f) {
                        tokens[j] = t;
                        traj[j++] = i;
                    }
                }
                tokens[j] = l;
                traj[j] = i;
            }
        });
        return new TurnBoundaries(offsets, tokens, traj);
    }

    /**
     * {@link #of(Rule, Rollouts, float[], Execution)} without the dense reward array: the
     * boundaries of {@link #nonZeroRewards(Rollouts, Execution)} for {@link Rule#NONZERO_REWARD}.
     */
    public static TurnBoundaries of(Rule rule, Rollouts batch, Execution exec) {
        return rule == Rule.POLICY_SPANS ? policySpanEnds(batch, exec) : nonZeroRewards(batch, exec);
    }

    /**
     * The boundaries {@link #nonZeroRewards(Rollouts, float[], Execution)} finds in {@link
     * Rollouts#denseTokenRewards()}, read off the batch's token and span rewards without building
     * the dense array, in one pass over the policy tokens. Before a trajectory's last policy token
     * the dense reward of a policy token is its token reward, plus (in float) its span's reward
     * when it is the span's last token; the outcome lands on the last policy token, which is a
     * boundary whatever its reward. The values at the boundaries are {@link DenseRewards#at}.
     */
    public static TurnBoundaries nonZeroRewards(Rollouts batch, Execution exec) {
        int n = batch.trajectoryCount();
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        float[] spanReward = batch.spanReward();
        int[] spanTok = batch.spanTokenOffsets();
        int[] counts = new int[n + 1];
        int[][] parts = new int[exec.chunks(batch)][];
        int[] sizes = new int[parts.length];
        exec.forTrajectories(batch, (c, from, to) -> {
            int[] buf = new int[Math.max(16, 2 * (to - from))];
            int m = 0;
            for (int i = from; i < to; i++) {
                int l = batch.lastPolicyToken(i);
                if (l < 0) continue;
                int first = m;
                for (int s = batch.spanStart(i); s < batch.spanEnd(i) && spanTok[s] < l; s++) {
                    if (!batch.isPolicySpan(s) || spanTok[s + 1] == spanTok[s]) continue;
                    int last = spanTok[s + 1] - 1; // the span's last token: may carry its span reward
                    int end = Math.min(last, l);
                    if (r != null) {
                        for (int t = spanTok[s]; t < end; t++) {
                            if (r[t] != 0f) {
                                if (m == buf.length) buf = Arrays.copyOf(buf, 2 * m);
                                buf[m++] = t;
                            }
                        }
                    }
                    if (last < l) {
                        float v = r == null ? 0f : r[last];
                        if (spanReward != null && !Float.isNaN(spanReward[s])) v += spanReward[s];
                        if (v != 0f) {
                            if (m == buf.length) buf = Arrays.copyOf(buf, 2 * m);
                            buf[m++] = last;
                        }
                    }
                }
                if (m == buf.length) buf = Arrays.copyOf(buf, 2 * m);
                buf[m++] = l;
                counts[i + 1] = m - first;
            }
            parts[c] = buf;
            sizes[c] = m;
        });
        int[] offsets = prefix(counts);
        int[] tokens = new int[offsets[n]];
        int[] traj = new int[offsets[n]];
        for (int c = 0, at = 0; c < parts.length; c++) {
            if (parts[c] == null) continue;
            System.arraycopy(parts[c], 0, tokens, at, sizes[c]);
            at += sizes[c];
        }
        for (int i = 0; i < n; i++) Arrays.fill(traj, offsets[i], offsets[i + 1], i);
        return new TurnBoundaries(offsets, tokens, traj);
    }

    private static int[] prefix(int[] counts) {
        for (int i = 1; i < counts.length; i++) counts[i] += counts[i - 1];
        return counts;
    }

    public int trajectoryCount() {
        return offsets.length - 1;
    }

    /** Total number of boundaries. */
    public int size() {
        return tokens.length;
    }

    /** True when boundary {@code j} is the last of its trajectory (the outcome turn). */
    public boolean isLast(int j) {
        return j == offsets[trajectory[j] + 1] - 1;
    }

    /** Position of boundary {@code j} among its trajectory's boundaries (0-based). */
    public int indexInTrajectory(int j) {
        return j - offsets[trajectory[j]];
    }

    /** The reward at each boundary: {@code dense[tokens[j]]}. */
    public double[] valuesAt(float[] dense) {
        double[] out = new double[tokens.length];
        for (int j = 0; j < out.length; j++) out[j] = dense[tokens[j]];
        return out;
    }

    /**
     * Writes each boundary's value on the policy tokens it owns and {@code contextValue} on
     * every other token of the batch.
     *
     * @param perBoundary read, one value per boundary
     * @param out written, one per token
     */
    public void broadcast(Rollouts batch, double[] perBoundary, float contextValue, float[] out, Execution exec) {
        // a walk over the spans, one fill per run of equal values: a policy token (mask 1, i.e. a token of
        // a policy span) gets the value of the first boundary at or after it, every other token contextValue
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tokOff = batch.spanTokenOffsets();
        exec.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                int j = offsets[i];
                int jEnd = offsets[i + 1];
                for (int s = spanOff[i], se = spanOff[i + 1]; s < se; s++) {
                    int t = tokOff[s];
                    int e = tokOff[s + 1];
                    if (!batch.isPolicySpan(s)) {
                        Arrays.fill(out, t, e, contextValue);
                        continue;
                    }
                    while (t < e) {
                        while (j < jEnd && tokens[j] < t) j++;
                        if (j == jEnd) {
                            Arrays.fill(out, t, e, contextValue);
                            break;
                        }
                        int stop = Math.min(e, tokens[j] + 1);
                        Arrays.fill(out, t, stop, (float) perBoundary[j]);
                        t = stop;
                    }
                }
            }
        });
    }

    /**
     * Per-span value: the value on the last token of each non-empty policy span, 0 on context
     * and empty spans. For boundaries at policy span ends this is the turn's value.
     *
     * @param perToken read, one per token
     */
    public static float[] spanValues(Rollouts batch, float[] perToken) {
        int[] tokOff = batch.spanTokenOffsets();
        float[] out = new float[batch.spanCount()];
        for (int s = 0; s < out.length; s++) {
            if (batch.isPolicySpan(s) && tokOff[s + 1] > tokOff[s]) out[s] = perToken[tokOff[s + 1] - 1];
        }
        return out;
    }

    /**
     * Numbers (group, k) cells densely: for boundary {@code j} with key {@code k[j] >= 0} in
     * group {@code g = groupOf(trajectory)}, cell = {@code start[g] + k[j]}; boundaries with
     * {@code k[j] < 0} get cell -1.
     *
     * @return cell per boundary; {@code cellCount[0]} receives the number of cells
     */
    public static int[] cells(int[] key, int[] trajectoryOf, int[] groupOf, int groups, int[] cellCount) {
        int[] width = new int[groups + 1];
        for (int j = 0; j < key.length; j++) {
            if (key[j] < 0) continue;
            int g = groupOf[trajectoryOf[j]];
            width[g + 1] = Math.max(width[g + 1], key[j] + 1);
        }
        for (int g = 0; g < groups; g++) width[g + 1] += width[g];
        int[] cell = new int[key.length];
        for (int j = 0; j < key.length; j++) cell[j] = key[j] < 0 ? -1 : width[groupOf[trajectoryOf[j]]] + key[j];
        cellCount[0] = width[groups];
        return cell;
    }
}
