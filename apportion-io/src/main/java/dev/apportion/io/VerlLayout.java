package dev.apportion.io;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The padded "verl layout" (rows × L tensors, as verl, OpenRLHF and TRL hold a batch) to and
 * from apportion's {@link Rollouts}.
 *
 * <p>Row {@code i} becomes trajectory {@code i} (id {@code row<i>} unless {@link #ids} says
 * otherwise) of group {@code index[i]}, with all its L positions as tokens. The positions are
 * cut into spans, one per maximal run of equal {@code response_mask} value: a run of 1s is a
 * {@link Role#POLICY} span (one turn), a run of 0s a {@link Role#CONTEXT} span (prompt, an
 * observation between turns, or padding). Token-level arrays (such as
 * {@code token_level_rewards} → token signal {@code reward}, {@code values} → {@code value})
 * cover all L positions, padding included, as verl sums whole rows. Per-row scalars become
 * the outcome, outcome components or trajectory signals.
 *
 * <pre>{@code
 * Rollouts batch = VerlLayout.of(responseMask, index)
 *     .tokenLevelRewards(tokenLevelRewards)
 *     .values(values)                      // optional
 *     .toRollouts();
 * Credit credit = estimator.assign(batch, params);
 * float[][] advantages = VerlLayout.toPadded(batch, credit.advantages());   // rows × L
 * }</pre>
 *
 * <p>Arrays passed in are read, never written; {@link #toRollouts()} copies them. Instances
 * are mutable builders and not thread-safe; the static methods are.
 */
public final class VerlLayout {
    private final float[][] mask;
    private final String[] index;
    private final int rows;
    private String[] ids;
    private final Map<String, float[][]> tokenSignals = new LinkedHashMap<>();
    private float[] outcome;
    private final Map<String, float[]> components = new LinkedHashMap<>();
    private final Map<String, float[]> trajectorySignals = new LinkedHashMap<>();

    private VerlLayout(float[][] responseMask, String[] index) {
        if (responseMask == null) throw new IllegalArgumentException("response_mask is missing");
        if (index == null) throw new IllegalArgumentException("index is missing");
        this.rows = responseMask.length;
        if (index.length != rows) {
            throw new IllegalArgumentException(
                    "index has " + index.length + " entries but response_mask has " + rows + " rows");
        }
        for (int i = 0; i < rows; i++) {
            if (responseMask[i] == null) throw new IllegalArgumentException("response_mask[" + i + "] is missing");
            if (index[i] == null) throw new IllegalArgumentException("index[" + i + "] is missing");
            float[] r = responseMask[i];
            for (int t = 0; t < r.length; t++) {
                if (r[t] != 0f && r[t] != 1f) {
                    throw new IllegalArgumentException(
                            "response_mask[" + i + "][" + t + "] must be 0 or 1, got " + r[t]);
                }
            }
        }
        this.mask = responseMask;
        this.index = index;
    }

    /**
     * Starts a batch from a response mask (rows × L, values 0 or 1; rows may differ in length)
     * and the group id of every row.
     *
     * @throws IllegalArgumentException for a mask value other than 0 or 1, or sizes that disagree
     */
    public static VerlLayout of(float[][] responseMask, String[] index) {
        return new VerlLayout(responseMask, index);
    }

    /**
     * The common case in one call.
     *
     * @param tokenLevelRewards rows × L token rewards (verl's {@code token_level_rewards})
     * @param responseMask rows × L, 1 = policy token
     * @param index group id of each row
     * @param values rows × L critic values, or null
     */
    public static Rollouts toRollouts(
            float[][] tokenLevelRewards, float[][] responseMask, String[] index, float[][] values) {
        VerlLayout l = of(responseMask, index).tokenLevelRewards(tokenLevelRewards);
        if (values != null) l.values(values);
        return l.toRollouts();
    }

    /** Trajectory ids, one per row (default {@code row<i>}). */
    public VerlLayout ids(String[] ids) {
        if (ids.length != rows)
            throw new IllegalArgumentException("ids has " + ids.length + " entries but there are " + rows + " rows");
        this.ids = ids;
        return this;
    }

    /** Token rewards, all L positions of every row (token signal {@code reward}). */
    public VerlLayout tokenLevelRewards(float[][] r) {
        return tokenSignal(Rollouts.REWARD, r, "token_level_rewards");
    }

    /** Critic values, all L positions of every row (token signal {@code value}). */
    public VerlLayout values(float[][] v) {
        return tokenSignal(Rollouts.VALUE, v, "values");
    }

    /** Any token signal, rows × L, shaped like the mask. */
    public VerlLayout tokenSignal(String name, float[][] v) {
        return tokenSignal(name, v, name);
    }

    private VerlLayout tokenSignal(String name, float[][] v, String label) {
        if (v.length != rows)
            throw new IllegalArgumentException(label + " has " + v.length + " rows but response_mask has " + rows);
        for (int i = 0; i < rows; i++) {
            if (v[i] == null || v[i].length != mask[i].length) {
                throw new IllegalArgumentException(label + "[" + i + "] has " + (v[i] == null ? 0 : v[i].length)
                        + " positions but response_mask[" + i + "] has " + mask[i].length);
            }
        }
        tokenSignals.put(name, v);
        return this;
    }

    /** Scalar outcome of every row (NaN = none). */
    public VerlLayout outcome(float[] o) {
        this.outcome = perRow(o, "outcome");
        return this;
    }

    /** A named outcome component of every row (NaN = the component gave no value). */
    public VerlLayout outcomeComponent(String name, float[] c) {
        components.put(name, perRow(c, "outcome component '" + name + "'"));
        return this;
    }

    /** A named trajectory signal of every row (NaN = absent). */
    public VerlLayout trajectorySignal(String name, float[] v) {
        trajectorySignals.put(name, perRow(v, "signal '" + name + "'"));
        return this;
    }

    /** ReMax's greedy-rollout baselines (trajectory signal {@code reward_baseline}). */
    public VerlLayout rewardBaselines(float[] b) {
        return trajectorySignal("reward_baseline", b);
    }

    private float[] perRow(float[] a, String label) {
        if (a.length != rows)
            throw new IllegalArgumentException(label + " has " + a.length + " entries but there are " + rows + " rows");
        return a;
    }

    /**
     * Builds the batch.
     *
     * @throws dev.apportion.core.rollout.RolloutException for a non-finite value (the message
     *     names the row as trajectory index and id)
     */
    public Rollouts toRollouts() {
        RolloutsBuilder b = Rollouts.builder();
        long total = 0;
        for (float[] r : mask) total += r.length;
        b.ensureCapacity(rows, rows * 3, (int) Math.min(total, Integer.MAX_VALUE - 8));
        for (int i = 0; i < rows; i++) {
            b.trajectory(index[i], ids == null ? "row" + i : ids[i]);
            if (outcome != null && !Float.isNaN(outcome[i])) b.outcome(outcome[i]);
            for (Map.Entry<String, float[]> e : components.entrySet()) b.outcomeComponent(e.getKey(), e.getValue()[i]);
            for (Map.Entry<String, float[]> e : trajectorySignals.entrySet()) {
                if (!Float.isNaN(e.getValue()[i])) b.signal(e.getKey(), e.getValue()[i]);
            }
            addRuns(b, mask[i], 0, mask[i].length);
            for (Map.Entry<String, float[][]> e : tokenSignals.entrySet()) b.tokenSignal(e.getKey(), e.getValue()[i]);
        }
        return b.build();
    }

    /**
     * Adds one span per maximal run of equal mask value in {@code mask[from..to)}: 1 →
     * policy, 0 → context. Adds nothing for an empty range.
     */
    static void addRuns(RolloutsBuilder b, float[] mask, int from, int to) {
        int t = from;
        while (t < to) {
            int start = t;
            float v = mask[t];
            while (t < to && mask[t] == v) t++;
            b.span(v == 1f ? Role.POLICY : Role.CONTEXT, t - start);
        }
    }

    // ---- back to padded arrays ------------------------------------------------------------------

    /**
     * Padded position → global token index for a batch whose trajectory {@code i} is row
     * {@code i} with all its tokens as positions (what {@link #toRollouts()} builds):
     * {@code tokenIndex[i][j] = batch.tokenStart(i) + j}. Rows may differ in length.
     */
    public static int[][] tokenIndex(Rollouts batch) {
        int[][] out = new int[batch.trajectoryCount()][];
        for (int i = 0; i < out.length; i++) {
            int start = batch.tokenStart(i);
            int[] row = new int[batch.tokenEnd(i) - start];
            for (int j = 0; j < row.length; j++) row[j] = start + j;
            out[i] = row;
        }
        return out;
    }

    /**
     * A per-token array laid out as rows: row {@code i} holds trajectory {@code i}'s tokens.
     *
     * @param perToken one value per token of {@code batch} (read only), for example
     *     {@code credit.advantages()}
     * @return a fresh rows × L array
     */
    public static float[][] toPadded(Rollouts batch, float[] perToken) {
        return toPadded(perToken, tokenIndex(batch));
    }

    /**
     * A per-token array laid out by a position → token map; positions mapped to -1 get 0.
     *
     * @param perToken one value per token (read only)
     * @param tokenIndex position → global token index, or -1 (read only)
     * @return a fresh array shaped like {@code tokenIndex}
     */
    public static float[][] toPadded(float[] perToken, int[][] tokenIndex) {
        float[][] out = new float[tokenIndex.length][];
        for (int i = 0; i < out.length; i++) {
            int[] map = tokenIndex[i];
            float[] row = new float[map.length];
            for (int j = 0; j < map.length; j++) {
                int t = map[j];
                if (t >= perToken.length) {
                    throw new IllegalArgumentException("position [" + i + "][" + j + "] maps to token " + t
                            + " but the array has " + perToken.length + " values");
                }
                row[j] = t < 0 ? 0f : perToken[t];
            }
            out[i] = row;
        }
        return out;
    }

    /** Advantages as rows × L (see {@link #toPadded(Rollouts, float[])}). */
    public static float[][] advantages(Rollouts batch, Credit credit) {
        return toPadded(batch, credit.advantages());
    }

    /** Returns as rows × L, or null when the credit has none. */
    public static float[][] returns(Rollouts batch, Credit credit) {
        return credit.returns() == null ? null : toPadded(batch, credit.returns());
    }
}
