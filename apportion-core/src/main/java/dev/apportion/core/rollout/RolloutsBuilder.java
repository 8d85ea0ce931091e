package dev.apportion.core.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Rollouts} batch one trajectory at a time.
 *
 * <pre>{@code
 * Rollouts batch = Rollouts.builder()
 *     .trajectory("prompt-1", "a").outcome(1.0).span(Role.CONTEXT, 12).span(Role.POLICY, 30)
 *     .trajectory("prompt-1", "b").outcome(0.0).span(Role.CONTEXT, 12).span(Role.POLICY, 25)
 *     .build();
 * }</pre>
 *
 * <p>Calls after {@link #trajectory} apply to that trajectory; {@link #spanSignal} applies to
 * the last span added. Token signals are given per trajectory as one array of one value per
 * token of the trajectory. A token signal given for some trajectories but not others is an
 * error, except {@code reward}, which is 0 where absent. Span and trajectory signals absent
 * somewhere are NaN there. Every value must be finite; {@link #build()} validates and names
 * the trajectory, group, field and value of the first problem. Not thread-safe.
 */
public final class RolloutsBuilder {
    private final Map<String, Integer> groupIndex = new HashMap<>();
    private final List<String> groupKeys = new ArrayList<>();
    private int[] trajGroup = new int[16];
    private final List<String> trajIds = new ArrayList<>();
    private int[] trajTokenStart = new int[17];
    private int[] trajSpanStart = new int[17];
    private int[] spanTokenStart = new int[33];
    private byte[] spanRole = new byte[32];
    private float[] spanReward;
    private String[] spanState;
    private String[] spanAgent;
    private final Map<String, float[]> spanSignals = new LinkedHashMap<>();
    private float[] outcome;
    private final Map<String, float[]> outcomeComponents = new LinkedHashMap<>();
    private final Map<String, float[]> trajSignals = new LinkedHashMap<>();
    private final Map<String, float[]> tokenSignals = new LinkedHashMap<>();
    /** Per token signal: number of trajectories that gave it. */
    private final Map<String, Integer> tokenSignalGiven = new HashMap<>();

    private final Map<String, Boolean> tokenSignalGivenCurrent = new HashMap<>();
    private final Map<String, float[]> tokenVectors = new LinkedHashMap<>();
    private final Map<String, Integer> tokenVectorWidths = new LinkedHashMap<>();
    private final Map<String, float[]> pendingVectors = new LinkedHashMap<>();
    private final Map<String, float[]> tokenMatrices = new LinkedHashMap<>();
    private final Map<String, float[]> pendingMatrices = new LinkedHashMap<>();
    private int[] matrixOffsets = new int[17];
    private int matrixFloats;
    private String[] tokenText;
    private boolean anyText;
    private boolean textCurrent;
    private int n; // trajectories started
    private int spans; // spans added
    private int tokens; // tokens added
    private boolean built;

    RolloutsBuilder() {}

    /** Reserves room for a batch of this size (optional; arrays grow as needed). */
    public RolloutsBuilder ensureCapacity(int trajectories, int spanCount, int tokenCount) {
        trajGroup = grow(trajGroup, trajectories);
        trajTokenStart = grow(trajTokenStart, trajectories + 1);
        trajSpanStart = grow(trajSpanStart, trajectories + 1);
        spanTokenStart = grow(spanTokenStart, spanCount + 1);
        if (spanRole.length < spanCount) spanRole = Arrays.copyOf(spanRole, spanCount);
        tokenCapacity = Math.max(tokenCapacity, tokenCount);
        return this;
    }

    private int tokenCapacity = 64;

    /** Starts trajectory {@code id} of group {@code group}; ends the previous one. */
    public RolloutsBuilder trajectory(String group, String id) {
        check();
        if (group == null) throw new RolloutException("trajectory " + n + ": group must not be null", n, "group");
        if (id == null) throw new RolloutException("trajectory " + n + ": id must not be null", n, "id");
        if (n > 0) finishTrajectory();
        Integer g = groupIndex.get(group);
        if (g == null) {
            g = groupKeys.size();
            groupIndex.put(group, g);
            groupKeys.add(group);
        }
        trajGroup = grow(trajGroup, n + 1);
        trajTokenStart = grow(trajTokenStart, n + 2);
        trajSpanStart = grow(trajSpanStart, n + 2);
        trajGroup[n] = g;
        trajIds.add(id);
        trajTokenStart[n] = tokens;
        trajSpanStart[n] = spans;
        n++;
        tokenSignalGivenCurrent.clear();
        textCurrent = false;
        return this;
    }

    private int cur() {
        check();
        if (n == 0) throw new IllegalStateException("call trajectory(group, id) first");
        return n - 1;
    }

    /** Sets the outcome reward of the current trajectory. */
    public RolloutsBuilder outcome(double value) {
        int i = cur();
        finite(value, i, "outcome");
        if (outcome == null) outcome = nanArray(Math.max(16, trajGroup.length));
        outcome = growNaN(outcome, i + 1);
        outcome[i] = (float) value;
        return this;
    }

    /**
     * Sets a named outcome component of the current trajectory (for multi-reward methods).
     * NaN is allowed and means the component produced no value (a reward function that
     * returned nothing).
     */
    public RolloutsBuilder outcomeComponent(String name, double value) {
        int i = cur();
        if (Double.isInfinite(value)) {
            throw new RolloutException(
                    where(i), "outcome." + name + " must be finite, got " + value, i, "outcome." + name);
        }
        putTrajectoryValue(outcomeComponents, name, i, value);
        return this;
    }

    /** Sets a named trajectory-level signal (for example {@code reward_baseline}). */
    public RolloutsBuilder signal(String name, double value) {
        int i = cur();
        finite(value, i, "signals." + name);
        putTrajectoryValue(trajSignals, name, i, value);
        return this;
    }

    /** Sets trajectory {@code i}'s entry of the per-trajectory array {@code name} of {@code into} (NaN elsewhere). */
    private void putTrajectoryValue(Map<String, float[]> into, String name, int i, double value) {
        float[] a = into.get(name);
        a = growNaN(a == null ? nanArray(Math.max(16, trajGroup.length)) : a, i + 1);
        a[i] = (float) value;
        into.put(name, a);
    }

    /** Appends a span with no reward, state or agent. */
    public RolloutsBuilder span(Role role, int tokenCount) {
        return span(role, tokenCount, Double.NaN, null, null);
    }

    /**
     * Appends a span to the current trajectory.
     *
     * @param reward span reward, NaN for none
     * @param state state key (anchor state), or null
     * @param agent agent name, or null
     */
    public RolloutsBuilder span(Role role, int tokenCount, double reward, String state, String agent) {
        int i = cur();
        int local = spans - trajSpanStart[i];
        if (role == null)
            throw new RolloutException(
                    where(i), "spans[" + local + "].role is missing", i, "spans[" + local + "].role");
        if (tokenCount < 0) {
            throw new RolloutException(
                    where(i),
                    "spans[" + local + "].tokens must be >= 0, got " + tokenCount,
                    i,
                    "spans[" + local + "].tokens");
        }
        if (Double.isInfinite(reward)) {
            throw new RolloutException(
                    where(i),
                    "spans[" + local + "].reward must be finite, got " + reward,
                    i,
                    "spans[" + local + "].reward");
        }
        if ((long) tokens + tokenCount > Integer.MAX_VALUE - 8) {
            throw new RolloutException(
                    where(i), "batch exceeds " + (Integer.MAX_VALUE - 8) + " tokens", i, "spans[" + local + "].tokens");
        }
        spanTokenStart = grow(spanTokenStart, spans + 2);
        if (spanRole.length < spans + 1) spanRole = Arrays.copyOf(spanRole, Math.max(spans + 1, spanRole.length * 2));
        spanTokenStart[spans] = tokens;
        spanRole[spans] = (byte) (role == Role.POLICY ? 1 : 0);
        if (!Double.isNaN(reward)) {
            if (spanReward == null) spanReward = nanArray(spanRole.length);
            spanReward = growNaN(spanReward, spans + 1);
            spanReward[spans] = (float) reward;
        }
        if (state != null) {
            if (spanState == null) spanState = new String[spanRole.length];
            if (spanState.length < spans + 1)
                spanState = Arrays.copyOf(spanState, Math.max(spans + 1, spanState.length * 2));
            spanState[spans] = state;
        }
        if (agent != null) {
            if (spanAgent == null) spanAgent = new String[spanRole.length];
            if (spanAgent.length < spans + 1)
                spanAgent = Arrays.copyOf(spanAgent, Math.max(spans + 1, spanAgent.length * 2));
            spanAgent[spans] = agent;
        }
        spans++;
        tokens += tokenCount;
        return this;
    }

    /** Sets a named signal on the last span added. */
    public RolloutsBuilder spanSignal(String name, double value) {
        int i = cur();
        if (spans == trajSpanStart[i]) throw new IllegalStateException("no span in the current trajectory yet");
        int s = spans - 1;
        finite(value, i, "spans[" + (s - trajSpanStart[i]) + "].signals." + name);
        float[] a = spanSignals.get(name);
        a = growNaN(a == null ? nanArray(Math.max(32, spanRole.length)) : a, s + 1);
        a[s] = (float) value;
        spanSignals.put(name, a);
        return this;
    }

    /**
     * Sets a token signal of the current trajectory: one value per token of the trajectory
     * (checked when the trajectory ends). The array is copied.
     */
    public RolloutsBuilder tokenSignal(String name, float[] values) {
        int i = cur();
        if (tokenSignalGivenCurrent.containsKey(name)) {
            throw new RolloutException(where(i), "token_signals." + name + " given twice", i, "token_signals." + name);
        }
        for (int k = 0; k < values.length; k++) {
            if (!Float.isFinite(values[k])) {
                throw new RolloutException(
                        where(i),
                        "token_signals." + name + "[" + k + "] must be finite, got " + values[k],
                        i,
                        "token_signals." + name);
            }
        }
        pendingSignals.put(name, values.clone());
        tokenSignalGivenCurrent.put(name, Boolean.TRUE);
        return this;
    }

    /** Same as {@link #tokenSignal(String, float[])} from doubles. */
    public RolloutsBuilder tokenSignal(String name, double[] values) {
        float[] f = new float[values.length];
        for (int k = 0; k < values.length; k++) f[k] = (float) values[k];
        return tokenSignal(name, f);
    }

    private final Map<String, float[]> pendingSignals = new LinkedHashMap<>();
    private String[] pendingText;

    /**
     * Sets a token matrix signal of the current trajectory (an attention map): the strict lower
     * triangle of its {@code n × n} token matrix, row by row — entry {@code (r, c)} with
     * {@code c < r} is {@code values[r(r−1)/2 + c]} — so {@code n(n−1)/2} values; the length is
     * checked when the trajectory ends. Every trajectory must give the same matrix names. The array
     * is copied; every value must be finite. {@link #lowerTriangle(float[][])} converts a square
     * matrix.
     */
    public RolloutsBuilder tokenMatrix(String name, float[] lowerTriangle) {
        int i = cur();
        String field = "token_matrices." + name;
        if (pendingMatrices.containsKey(name))
            throw new RolloutException(where(i) + ": " + field + " given twice", i, field);
        for (int k = 0; k < lowerTriangle.length; k++) {
            if (!Float.isFinite(lowerTriangle[k])) {
                throw new RolloutException(
                        where(i) + ": " + field + "[" + k + "] must be finite, got " + lowerTriangle[k], i, field);
            }
        }
        pendingMatrices.put(name, lowerTriangle.clone());
        return this;
    }

    /** The strict lower triangle, row by row, of a square matrix (the form {@link #tokenMatrix} takes). */
    public static float[] lowerTriangle(float[][] square) {
        int n = square.length;
        float[] out = new float[n * (n - 1) / 2];
        int k = 0;
        for (int r = 0; r < n; r++) {
            if (square[r].length != n)
                throw new IllegalArgumentException("row " + r + " has " + square[r].length + " entries, not " + n);
            for (int c = 0; c < r; c++) out[k++] = square[r][c];
        }
        return out;
    }

    /**
     * Sets a token vector signal of the current trajectory: {@code width} floats per token of
     * the trajectory, flat and token-major (the vector of the trajectory's token {@code k} is
     * {@code values[k*width .. (k+1)*width)}); the length is checked when the trajectory ends.
     * Every trajectory of the batch must give the same vector signals with the same width. The
     * array is copied; every value must be finite.
     */
    public RolloutsBuilder tokenVector(String name, int width, float[] values) {
        int i = cur();
        String field = "token_vectors." + name;
        if (pendingVectors.containsKey(name))
            throw new RolloutException(where(i) + ": " + field + " given twice", i, field);
        if (width < 1)
            throw new RolloutException(
                    where(i) + ": " + field + ".width must be >= 1, got " + width, i, field + ".width");
        Integer known = tokenVectorWidths.get(name);
        if (known != null && known != width) {
            throw new RolloutException(
                    where(i) + ": " + field + ".width is " + width + " but earlier trajectories gave " + known,
                    i,
                    field + ".width");
        }
        if (values.length % width != 0) {
            throw new RolloutException(
                    where(i) + ": " + field + " has " + values.length + " values, not a multiple of its width " + width,
                    i,
                    field);
        }
        for (int k = 0; k < values.length; k++) {
            if (!Float.isFinite(values[k])) {
                throw new RolloutException(
                        where(i) + ": " + field + "[" + k + "] must be finite, got " + values[k], i, field);
            }
        }
        tokenVectorWidths.put(name, width);
        pendingVectors.put(name, values.clone());
        return this;
    }

    /** Sets the token strings of the current trajectory (one per token). */
    public RolloutsBuilder tokenText(String[] text) {
        cur();
        pendingText = text.clone();
        textCurrent = true;
        return this;
    }

    private void finishTrajectory() {
        int i = n - 1;
        int start = trajTokenStart[i];
        int count = tokens - start;
        for (Map.Entry<String, float[]> e : pendingSignals.entrySet()) {
            String name = e.getKey();
            float[] v = e.getValue();
            if (v.length != count) {
                throw new RolloutException(
                        where(i),
                        count + " tokens but " + v.length + " values in token_signals." + name,
                        i,
                        "token_signals." + name);
            }
            float[] dst = tokenSignals.get(name);
            if (dst == null) {
                dst = new float[Math.max(tokenCapacity, tokens)];
                if (!Rollouts.REWARD.equals(name) && i > 0) {
                    throw new RolloutException(
                            where(i),
                            "token_signals." + name + " is given here but not for " + describe(0),
                            0,
                            "token_signals." + name);
                }
            }
            dst = growFloat(dst, tokens);
            System.arraycopy(v, 0, dst, start, count);
            tokenSignals.put(name, dst);
            tokenSignalGiven.merge(name, 1, Integer::sum);
        }
        for (Map.Entry<String, float[]> e : tokenSignals.entrySet()) {
            if (!pendingSignals.containsKey(e.getKey())) {
                if (!Rollouts.REWARD.equals(e.getKey())) {
                    throw new RolloutException(
                            where(i),
                            "token_signals." + e.getKey() + " is missing here but given for earlier trajectories",
                            i,
                            "token_signals." + e.getKey());
                }
                e.setValue(growFloat(e.getValue(), tokens)); // zeros
            }
        }
        for (Map.Entry<String, float[]> e : pendingVectors.entrySet()) {
            String name = e.getKey();
            int w = tokenVectorWidths.get(name);
            float[] v = e.getValue();
            String field = "token_vectors." + name;
            if (v.length != (long) count * w) {
                throw new RolloutException(
                        where(i) + ": " + count + " tokens of width " + w + " need " + ((long) count * w)
                                + " values but " + field + " has " + v.length,
                        i,
                        field);
            }
            float[] dst = tokenVectors.get(name);
            if (dst == null) {
                if (i > 0)
                    throw new RolloutException(
                            where(i) + ": " + field + " is given here but not for " + describe(0), 0, field);
                dst = new float[Math.max(16, v.length)];
            }
            long need = (long) tokens * w;
            if (need > Integer.MAX_VALUE - 8) {
                throw new RolloutException(
                        where(i) + ": " + field + " exceeds " + (Integer.MAX_VALUE - 8) + " floats", i, field);
            }
            dst = growFloat(dst, (int) need);
            System.arraycopy(v, 0, dst, start * w, v.length);
            tokenVectors.put(name, dst);
        }
        for (String name : tokenVectors.keySet()) {
            if (!pendingVectors.containsKey(name)) {
                throw new RolloutException(
                        where(i) + ": token_vectors." + name + " is missing here but given for earlier trajectories",
                        i,
                        "token_vectors." + name);
            }
        }
        pendingVectors.clear();
        long tri = (long) count * (count - 1) / 2;
        if (!pendingMatrices.isEmpty() || !tokenMatrices.isEmpty()) {
            if (matrixFloats + tri > Integer.MAX_VALUE - 8) {
                throw new RolloutException(
                        where(i) + ": token matrices exceed " + (Integer.MAX_VALUE - 8) + " floats",
                        i,
                        "token_matrices");
            }
        }
        for (Map.Entry<String, float[]> e : pendingMatrices.entrySet()) {
            String field = "token_matrices." + e.getKey();
            float[] v = e.getValue();
            if (v.length != tri) {
                throw new RolloutException(
                        where(i) + ": " + count + " tokens need " + tri + " values (the strict lower triangle) but "
                                + field + " has " + v.length,
                        i,
                        field);
            }
            float[] dst = tokenMatrices.get(e.getKey());
            if (dst == null) {
                if (i > 0)
                    throw new RolloutException(
                            where(i) + ": " + field + " is given here but not for " + describe(0), 0, field);
                dst = new float[Math.max(16, v.length)];
            }
            dst = growFloat(dst, (int) (matrixFloats + tri));
            System.arraycopy(v, 0, dst, matrixFloats, v.length);
            tokenMatrices.put(e.getKey(), dst);
        }
        for (String name : tokenMatrices.keySet()) {
            if (!pendingMatrices.containsKey(name)) {
                throw new RolloutException(
                        where(i) + ": token_matrices." + name + " is missing here but given for earlier trajectories",
                        i,
                        "token_matrices." + name);
            }
        }
        if (!tokenMatrices.isEmpty()) {
            matrixOffsets = grow(matrixOffsets, i + 2);
            matrixOffsets[i] = matrixFloats;
            matrixFloats += (int) tri;
            matrixOffsets[i + 1] = matrixFloats;
        }
        pendingMatrices.clear();
        if (textCurrent) {
            if (pendingText.length != count) {
                throw new RolloutException(
                        where(i), count + " tokens but " + pendingText.length + " strings in text", i, "text");
            }
            if (tokenText == null) tokenText = new String[Math.max(tokenCapacity, tokens)];
            if (tokenText.length < tokens) tokenText = Arrays.copyOf(tokenText, Math.max(tokens, tokenText.length * 2));
            System.arraycopy(pendingText, 0, tokenText, start, count);
            anyText = true;
        }
        pendingSignals.clear();
        pendingText = null;
        trajTokenStart[i + 1] = tokens;
        trajSpanStart[i + 1] = spans;
    }

    private String describe(int i) {
        return "trajectory " + i + " (id '" + trajIds.get(i) + "', group '" + groupKeys.get(trajGroup[i]) + "')";
    }

    private String where(int i) {
        return describe(i);
    }

    /** Validates and returns the batch. The builder cannot be used afterwards. */
    public Rollouts build() {
        check();
        if (n > 0) finishTrajectory();
        built = true;
        int m = spans;
        String[] ids = trajIds.toArray(new String[0]);
        int[] tg = Arrays.copyOf(trajGroup, n);
        int[] tts = Arrays.copyOf(trajTokenStart, n + 1);
        int[] tss = Arrays.copyOf(trajSpanStart, n + 1);
        if (n == 0) {
            tts = new int[1];
            tss = new int[1];
        }
        int[] sts = Arrays.copyOf(spanTokenStart, m + 1);
        sts[m] = tokens;
        Map<String, float[]> ts = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : tokenSignals.entrySet())
            ts.put(e.getKey(), exact(e.getValue(), tokens, 0f));
        Map<String, float[]> ss = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : spanSignals.entrySet())
            ss.put(e.getKey(), exact(e.getValue(), m, Float.NaN));
        Map<String, float[]> oc = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : outcomeComponents.entrySet())
            oc.put(e.getKey(), exact(e.getValue(), n, Float.NaN));
        Map<String, float[]> sig = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : trajSignals.entrySet())
            sig.put(e.getKey(), exact(e.getValue(), n, Float.NaN));
        Map<String, float[]> tv = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : tokenVectors.entrySet()) {
            tv.put(e.getKey(), exact(e.getValue(), tokens * tokenVectorWidths.get(e.getKey()), 0f));
        }
        Rollouts out = new Rollouts(
                groupKeys.toArray(new String[0]),
                tg,
                ids,
                tts,
                tss,
                sts,
                Arrays.copyOf(spanRole, m),
                spanReward == null ? null : exact(spanReward, m, Float.NaN),
                spanState == null ? null : Arrays.copyOf(spanState, m),
                spanAgent == null ? null : Arrays.copyOf(spanAgent, m),
                ss,
                outcome == null ? null : exact(outcome, n, Float.NaN),
                oc,
                sig,
                ts,
                anyText ? Arrays.copyOf(tokenText, tokens) : null,
                tv,
                tokenVectorWidths);
        if (!tokenMatrices.isEmpty()) {
            Map<String, float[]> tm = new java.util.TreeMap<>();
            for (Map.Entry<String, float[]> e : tokenMatrices.entrySet())
                tm.put(e.getKey(), exact(e.getValue(), matrixFloats, 0f));
            out.tokenMatrices = java.util.Collections.unmodifiableMap(tm);
            out.tokenMatrixOffsets = Arrays.copyOf(matrixOffsets, n + 1);
        }
        return out;
    }

    private void check() {
        if (built) throw new IllegalStateException("build() was already called");
    }

    private void finite(double v, int i, String field) {
        if (!Double.isFinite(v)) throw new RolloutException(where(i), field + " must be finite, got " + v, i, field);
    }

    private static float[] exact(float[] a, int len, float fill) {
        if (a.length == len) return a;
        float[] out = Arrays.copyOf(a, len);
        if (a.length < len) Arrays.fill(out, a.length, len, fill);
        return out;
    }

    private static int[] grow(int[] a, int need) {
        if (a.length >= need) return a;
        return Arrays.copyOf(a, Math.max(need, a.length * 2));
    }

    private static float[] growFloat(float[] a, int need) {
        if (a.length >= need) return a;
        return Arrays.copyOf(a, Math.max(need, a.length + (a.length >> 1)));
    }

    private static float[] nanArray(int len) {
        float[] a = new float[len];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    private static float[] growNaN(float[] a, int need) {
        if (a.length >= need) return a;
        int old = a.length;
        float[] b = Arrays.copyOf(a, Math.max(need, old * 2));
        Arrays.fill(b, old, b.length, Float.NaN);
        return b;
    }
}
