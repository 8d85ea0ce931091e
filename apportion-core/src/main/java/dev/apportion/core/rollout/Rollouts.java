package dev.apportion.core.rollout;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A batch of rollouts in columnar form: groups → trajectories → spans → tokens, with signals
 * at the trajectory, span and token level. Nothing is stored per token but primitive arrays.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>Trajectory {@code i} owns tokens {@code [tokenStart(i), tokenEnd(i))} and spans
 *       {@code [spanStart(i), spanEnd(i))}; offsets are global indices into the token and span
 *       arrays, trajectories are laid out back to back in batch order.</li>
 *   <li>Span {@code s} owns tokens {@code [spanTokenStart(s), spanTokenEnd(s))}; spans of a
 *       trajectory tile its tokens in order. A span may be empty (zero tokens).</li>
 *   <li>A token is a policy token ({@link #mask()} 1) when its span has role
 *       {@link Role#POLICY}, a context token (0) otherwise.</li>
 *   <li>Groups are identified by string keys; {@link #trajectoryGroup(int)} gives the group
 *       index of a trajectory (groups are numbered in order of first appearance), and
 *       {@link #groupMembers()} lists each group's trajectories in batch order.</li>
 * </ul>
 *
 * <h2>Signals</h2>
 * <ul>
 *   <li>Trajectory: {@link #outcome()} (NaN where absent), named outcome components
 *       ({@link #outcomeComponents()}; NaN marks a component that produced no value), and
 *       named trajectory signals ({@link #trajectorySignals()}, for example
 *       {@code reward_baseline}).</li>
 *   <li>Span: reward ({@link #spanReward()}, NaN where absent), state key, agent, named span
 *       signals.</li>
 *   <li>Token: named arrays of one float per token ({@link #tokenSignal(String)}):
 *       {@code reward}, {@code logprob}, {@code old_logprob}, {@code ref_logprob},
 *       {@code teacher_logprob}, {@code entropy}, {@code value}, ….</li>
 *   <li>Token vectors: named arrays of {@code width} floats per token, for model outputs that
 *       are vectors (hidden states, a row of an attention map), stored flat and token-major:
 *       the vector of token {@code t} is {@code tokenVector(name)[t*width .. (t+1)*width)}
 *       ({@link #tokenVector(String)}, {@link #tokenVectorWidth(String)}). One float per
 *       coordinate and no per-token object, so a batch of {@code T} tokens costs
 *       {@code 4·T·width} bytes per vector signal; reduce or project wide hidden states
 *       upstream when that is too much.</li>
 *   <li>Token matrices: named token-by-token matrices within each trajectory, for attention maps
 *       (entry {@code (r, c)}: how much token {@code r} attends to the earlier token {@code c} of the
 *       same trajectory). Only the strict lower triangle is kept ({@code c < r}, causal attention
 *       without the diagonal), flat and row by row: {@code n(n−1)/2} floats for a trajectory of
 *       {@code n} tokens, entry {@code (r, c)} at {@code tokenMatrixOffsets()[i] + r(r−1)/2 + c}
 *       ({@link #tokenMatrix(String)}).</li>
 * </ul>
 *
 * <p>Instances are immutable once built: accessors return the internal arrays for speed and
 * callers must treat them as read-only. Instances are safe to share between threads.
 */
public final class Rollouts {
    /** Well-known token signal names. */
    public static final String REWARD = "reward";

    public static final String LOGPROB = "logprob";
    public static final String OLD_LOGPROB = "old_logprob";
    public static final String REF_LOGPROB = "ref_logprob";
    public static final String TEACHER_LOGPROB = "teacher_logprob";
    public static final String ENTROPY = "entropy";
    public static final String VALUE = "value";

    final String[] groupKeys;
    final int[] trajectoryGroup;
    final String[] trajectoryIds;
    final int[] trajectoryTokenStart;
    final int[] trajectorySpanStart;
    final int[] spanTokenStart;
    final byte[] spanRole;
    final float[] spanReward;
    final String[] spanState;
    final String[] spanAgent;
    final Map<String, float[]> spanSignals;
    final float[] outcome;
    final Map<String, float[]> outcomeComponents;
    final Map<String, float[]> trajectorySignals;
    final Map<String, float[]> tokenSignals;
    final Map<String, float[]> tokenVectors;
    final Map<String, Integer> tokenVectorWidths;
    /** Token matrices (strict lower triangles per trajectory, flat); set once by the builder. */
    Map<String, float[]> tokenMatrices = Map.of();
    /** Start of each trajectory's triangle in {@link #tokenMatrices}, length trajectoryCount() + 1. */
    int[] tokenMatrixOffsets;

    final String[] tokenText;
    final byte[] mask;
    final int[] groupMemberStart;
    final int[] groupMembers;

    Rollouts(
            String[] groupKeys,
            int[] trajectoryGroup,
            String[] trajectoryIds,
            int[] trajectoryTokenStart,
            int[] trajectorySpanStart,
            int[] spanTokenStart,
            byte[] spanRole,
            float[] spanReward,
            String[] spanState,
            String[] spanAgent,
            Map<String, float[]> spanSignals,
            float[] outcome,
            Map<String, float[]> outcomeComponents,
            Map<String, float[]> trajectorySignals,
            Map<String, float[]> tokenSignals,
            String[] tokenText,
            Map<String, float[]> tokenVectors,
            Map<String, Integer> tokenVectorWidths) {
        this.tokenVectors = Collections.unmodifiableMap(new TreeMap<>(tokenVectors));
        this.tokenVectorWidths = Collections.unmodifiableMap(new TreeMap<>(tokenVectorWidths));
        this.groupKeys = groupKeys;
        this.trajectoryGroup = trajectoryGroup;
        this.trajectoryIds = trajectoryIds;
        this.trajectoryTokenStart = trajectoryTokenStart;
        this.trajectorySpanStart = trajectorySpanStart;
        this.spanTokenStart = spanTokenStart;
        this.spanRole = spanRole;
        this.spanReward = spanReward;
        this.spanState = spanState;
        this.spanAgent = spanAgent;
        this.spanSignals = Collections.unmodifiableMap(new TreeMap<>(spanSignals));
        this.outcome = outcome;
        this.outcomeComponents = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outcomeComponents));
        this.trajectorySignals = Collections.unmodifiableMap(new TreeMap<>(trajectorySignals));
        this.tokenSignals = Collections.unmodifiableMap(new TreeMap<>(tokenSignals));
        this.tokenText = tokenText;
        int tokens = trajectoryTokenStart[trajectoryTokenStart.length - 1];
        this.mask = new byte[tokens];
        for (int s = 0; s < spanRole.length; s++) {
            if (spanRole[s] == 1) {
                java.util.Arrays.fill(mask, spanTokenStart[s], spanTokenStart[s + 1], (byte) 1);
            }
        }
        int g = groupKeys.length;
        int[] counts = new int[g + 1];
        for (int t : trajectoryGroup) counts[t + 1]++;
        for (int k = 0; k < g; k++) counts[k + 1] += counts[k];
        this.groupMemberStart = counts.clone();
        this.groupMembers = new int[trajectoryGroup.length];
        int[] fill = counts;
        for (int i = 0; i < trajectoryGroup.length; i++) groupMembers[fill[trajectoryGroup[i]]++] = i;
    }

    /** Starts a new batch. */
    public static RolloutsBuilder builder() {
        return new RolloutsBuilder();
    }

    // ---- sizes -------------------------------------------------------------------------

    public int trajectoryCount() {
        return trajectoryIds.length;
    }

    public int spanCount() {
        return spanRole.length;
    }

    public int tokenCount() {
        return mask.length;
    }

    public int groupCount() {
        return groupKeys.length;
    }

    // ---- groups --------------------------------------------------------------------------

    /** Key of group {@code g}. */
    public String groupKey(int g) {
        return groupKeys[g];
    }

    /** Group index of trajectory {@code i}. */
    public int trajectoryGroup(int i) {
        return trajectoryGroup[i];
    }

    /** Group index per trajectory (read-only). */
    public int[] trajectoryGroups() {
        return trajectoryGroup;
    }

    /**
     * Members of each group, CSR style: the trajectories of group {@code g} are
     * {@code groupMembers()[groupMemberStart()[g] .. groupMemberStart()[g+1])}, in batch order.
     */
    public int[] groupMembers() {
        return groupMembers;
    }

    /** Offsets into {@link #groupMembers()}, length {@code groupCount() + 1} (read-only). */
    public int[] groupMemberStart() {
        return groupMemberStart;
    }

    /** Number of trajectories in group {@code g}. */
    public int groupSize(int g) {
        return groupMemberStart[g + 1] - groupMemberStart[g];
    }

    // ---- trajectories --------------------------------------------------------------------

    public String trajectoryId(int i) {
        return trajectoryIds[i];
    }

    public int tokenStart(int i) {
        return trajectoryTokenStart[i];
    }

    public int tokenEnd(int i) {
        return trajectoryTokenStart[i + 1];
    }

    /** Token offsets per trajectory, length {@code trajectoryCount() + 1} (read-only). */
    public int[] trajectoryTokenOffsets() {
        return trajectoryTokenStart;
    }

    public int spanStart(int i) {
        return trajectorySpanStart[i];
    }

    public int spanEnd(int i) {
        return trajectorySpanStart[i + 1];
    }

    /** Span offsets per trajectory, length {@code trajectoryCount() + 1} (read-only). */
    public int[] trajectorySpanOffsets() {
        return trajectorySpanStart;
    }

    /** Outcome per trajectory, NaN where absent; null when no trajectory has one. Read-only. */
    public float[] outcome() {
        return outcome;
    }

    /** Named outcome components (insertion order), NaN where a component has no value. */
    public Map<String, float[]> outcomeComponents() {
        return outcomeComponents;
    }

    /** Named trajectory-level signals (NaN where absent). */
    public Map<String, float[]> trajectorySignals() {
        return trajectorySignals;
    }

    /** A trajectory signal by name, or null. */
    public float[] trajectorySignal(String name) {
        return signal(SignalKind.TRAJECTORY, name);
    }

    /** Human-readable name of trajectory {@code i} for messages. */
    public String describe(int i) {
        return "trajectory " + i + " (id '" + trajectoryIds[i] + "', group '" + groupKeys[trajectoryGroup[i]] + "')";
    }

    // ---- spans ---------------------------------------------------------------------------

    public int spanTokenStart(int s) {
        return spanTokenStart[s];
    }

    public int spanTokenEnd(int s) {
        return spanTokenStart[s + 1];
    }

    /** Token offsets per span, length {@code spanCount() + 1} (read-only). */
    public int[] spanTokenOffsets() {
        return spanTokenStart;
    }

    public Role spanRole(int s) {
        return spanRole[s] == 1 ? Role.POLICY : Role.CONTEXT;
    }

    /** True when span {@code s} is a policy span. */
    public boolean isPolicySpan(int s) {
        return spanRole[s] == 1;
    }

    /** Span rewards, NaN where absent; null when no span has one. Read-only. */
    public float[] spanReward() {
        return spanReward;
    }

    /** Span state keys (null entries where absent); null when no span has one. Read-only. */
    public String[] spanState() {
        return spanState;
    }

    /** Span agent names (null entries where absent); null when no span has one. Read-only. */
    public String[] spanAgent() {
        return spanAgent;
    }

    public Map<String, float[]> spanSignals() {
        return spanSignals;
    }

    public float[] spanSignal(String name) {
        return signal(SignalKind.SPAN, name);
    }

    // ---- tokens --------------------------------------------------------------------------

    /** 1 for policy tokens, 0 for context tokens (read-only). */
    public byte[] mask() {
        return mask;
    }

    public Map<String, float[]> tokenSignals() {
        return tokenSignals;
    }

    /** A token signal by name, or null when the batch lacks it. */
    public float[] tokenSignal(String name) {
        return signal(SignalKind.TOKEN, name);
    }

    public Set<String> tokenSignalNames() {
        return signalNames(SignalKind.TOKEN);
    }

    // ---- named signals of every kind -----------------------------------------------------

    /**
     * The kinds of named float signals a batch carries, each with its name in messages and the
     * rollout JSONL field it is read from.
     */
    public enum SignalKind {
        /** One value per trajectory, NaN where absent ({@code signals}). */
        TRAJECTORY("trajectory signal", "signals"),
        /** One value per span, NaN where absent ({@code spans[].signals}). */
        SPAN("span signal", "spans.signals"),
        /** One value per token ({@code token_signals}). */
        TOKEN("token signal", "token_signals"),
        /** A vector of a declared width per token, flat and token-major ({@code token_vectors}). */
        TOKEN_VECTOR("token vector signal", "token_vectors"),
        /** Per trajectory the strict lower triangle of a token × token matrix ({@code token_matrices}). */
        TOKEN_MATRIX("token matrix signal", "token_matrices");

        private final String label;
        private final String field;

        SignalKind(String label, String field) {
            this.label = label;
            this.field = field;
        }

        /** How messages call a signal of this kind ("token signal"). */
        public String label() {
            return label;
        }

        /** The rollout JSONL field holding signals of this kind ({@code token_signals}). */
        public String field() {
            return field;
        }
    }

    private Map<String, float[]> signals(SignalKind kind) {
        return switch (kind) {
            case TRAJECTORY -> trajectorySignals;
            case SPAN -> spanSignals;
            case TOKEN -> tokenSignals;
            case TOKEN_VECTOR -> tokenVectors;
            case TOKEN_MATRIX -> tokenMatrices;
        };
    }

    /** The signal of kind {@code kind} named {@code name}, or null when the batch lacks it. Read-only. */
    public float[] signal(SignalKind kind, String name) {
        return signals(kind).get(name);
    }

    /** Names of the signals of kind {@code kind} (sorted). */
    public Set<String> signalNames(SignalKind kind) {
        return signals(kind).keySet();
    }

    /**
     * The signal of kind {@code kind} named {@code name}; throws a {@link RolloutException}
     * naming the estimator, what produces the signal and the field when the batch lacks it.
     *
     * @param estimator id of the estimator asking, for the message
     * @param producedBy what produces the signal, for the message (e.g. "the critic")
     */
    public float[] requireSignal(SignalKind kind, String name, String estimator, String producedBy) {
        float[] v = signals(kind).get(name);
        if (v == null) {
            throw new RolloutException(
                    "estimator '" + estimator + "' needs the " + kind.label() + " '" + name + "' (" + producedBy
                            + "), which the batch lacks (" + kind.field() + "." + name + ")",
                    -1,
                    kind.field() + "." + name);
        }
        return v;
    }

    /**
     * A token vector signal by name, flat and token-major (length {@code tokenCount() * width}),
     * or null when the batch lacks it. Read-only.
     */
    public float[] tokenVector(String name) {
        return signal(SignalKind.TOKEN_VECTOR, name);
    }

    /** Width (floats per token) of the token vector signal {@code name}, or 0 when the batch lacks it. */
    public int tokenVectorWidth(String name) {
        Integer w = tokenVectorWidths.get(name);
        return w == null ? 0 : w;
    }

    /** Names of the token vector signals (sorted). */
    public Set<String> tokenVectorNames() {
        return signalNames(SignalKind.TOKEN_VECTOR);
    }

    /**
     * Like {@link #requireTokenSignal} for a token vector signal: throws a {@link RolloutException}
     * naming the field when the batch lacks it.
     */
    public float[] requireTokenVector(String name, String estimator, String producedBy) {
        return requireSignal(SignalKind.TOKEN_VECTOR, name, estimator, producedBy);
    }

    /**
     * A token matrix signal by name (see the class comment: per trajectory the strict lower
     * triangle, rows in order), or null when the batch lacks it. Read-only.
     */
    public float[] tokenMatrix(String name) {
        return signal(SignalKind.TOKEN_MATRIX, name);
    }

    /** Names of the token matrix signals (sorted). */
    public Set<String> tokenMatrixNames() {
        return signalNames(SignalKind.TOKEN_MATRIX);
    }

    /**
     * Start of each trajectory's triangle in every token matrix, length {@code trajectoryCount() + 1}
     * (the same for every matrix name), or null when the batch has no token matrix. Read-only.
     */
    public int[] tokenMatrixOffsets() {
        return tokenMatrixOffsets;
    }

    /** Like {@link #requireTokenSignal} for a token matrix signal. */
    public float[] requireTokenMatrix(String name, String estimator, String producedBy) {
        return requireSignal(SignalKind.TOKEN_MATRIX, name, estimator, producedBy);
    }

    /** Token strings, or null when the batch carries none. */
    public String[] tokenText() {
        return tokenText;
    }

    /** Number of policy tokens of trajectory {@code i}. */
    public int policyTokenCount(int i) {
        int n = 0;
        for (int s = trajectorySpanStart[i]; s < trajectorySpanStart[i + 1]; s++) {
            if (spanRole[s] == 1) n += spanTokenStart[s + 1] - spanTokenStart[s];
        }
        return n;
    }

    /** Index of the last policy token of trajectory {@code i}, or -1 if it has none. */
    public int lastPolicyToken(int i) {
        for (int s = trajectorySpanStart[i + 1] - 1; s >= trajectorySpanStart[i]; s--) {
            if (spanRole[s] == 1 && spanTokenStart[s + 1] > spanTokenStart[s]) return spanTokenStart[s + 1] - 1;
        }
        return -1;
    }

    /** True if the batch has any reward at all: outcome, span reward or token reward. */
    public boolean hasAnyReward() {
        return outcome != null
                || spanReward != null
                || tokenSignals.containsKey(REWARD)
                || !outcomeComponents.isEmpty();
    }

    /**
     * The scalar score of every trajectory, as the outcome-level estimators of verl use it:
     * {@code outcome + Σ span rewards + Σ token rewards} over the whole trajectory (context
     * tokens included, as verl sums the whole padded row), absent terms counting 0. When
     * only outcome components are given, the outcome is their sum, ignoring NaN components.
     *
     * @return a fresh array of one double per trajectory
     */
    public double[] scores() {
        int n = trajectoryCount();
        double[] out = new double[n];
        float[] outc = outcome;
        if (outc != null) {
            for (int i = 0; i < n; i++) if (!Float.isNaN(outc[i])) out[i] += outc[i];
        } else if (!outcomeComponents.isEmpty()) {
            for (float[] c : outcomeComponents.values()) {
                for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) out[i] += c[i];
            }
        }
        if (spanReward != null) {
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int s = trajectorySpanStart[i]; s < trajectorySpanStart[i + 1]; s++) {
                    if (!Float.isNaN(spanReward[s])) sum += spanReward[s];
                }
                out[i] += sum;
            }
        }
        float[] r = tokenSignals.get(REWARD);
        if (r != null) addTokenSums(r, trajectoryTokenStart, out);
        return out;
    }

    /**
     * {@code out[i] += Σ r[t]} over {@code t ∈ [off[i], off[i+1])}, each sum a double chain from 0 in
     * token order (the order that fixes its bits). One trajectory's chain runs at the latency of an
     * addition per token; the chains of different trajectories are independent, so four advance in
     * one loop over their common length (each lane in its own local, the same additions in the same
     * order) and each lane's remaining tokens finish alone.
     */
    private static void addTokenSums(float[] r, int[] off, double[] out) {
        int n = out.length;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int a0 = off[i];
            int a1 = off[i + 1];
            int a2 = off[i + 2];
            int a3 = off[i + 3];
            int e3 = off[i + 4];
            int common = Math.min(Math.min(a1 - a0, a2 - a1), Math.min(a3 - a2, e3 - a3));
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int j = 0; j < common; j++) {
                s0 += r[a0 + j];
                s1 += r[a1 + j];
                s2 += r[a2 + j];
                s3 += r[a3 + j];
            }
            out[i] += sumFrom(r, a0 + common, a1, s0);
            out[i + 1] += sumFrom(r, a1 + common, a2, s1);
            out[i + 2] += sumFrom(r, a2 + common, a3, s2);
            out[i + 3] += sumFrom(r, a3 + common, e3, s3);
        }
        for (; i < n; i++) out[i] += sumFrom(r, off[i], off[i + 1], 0);
    }

    /** {@code s} after adding {@code r[from..to)} one by one. */
    private static double sumFrom(float[] r, int from, int to, double s) {
        for (int t = from; t < to; t++) s += r[t];
        return s;
    }

    /**
     * Dense per-token rewards, as token-level estimators (GAE, REINFORCE++, ReMax) consume
     * them: the token {@code reward} signal, plus each span's reward on the span's last token,
     * plus the trajectory outcome on its last policy token (verl and OpenRLHF put the
     * sequence reward on the last response token). A reward that has no token to sit on
     * (an empty span, a trajectory without policy tokens) is dropped.
     *
     * @return a fresh array of one float per token
     */
    public float[] denseTokenRewards() {
        float[] r = tokenSignals.get(REWARD);
        float[] out = r == null ? new float[tokenCount()] : r.clone();
        if (spanReward != null) {
            for (int s = 0; s < spanReward.length; s++) {
                if (!Float.isNaN(spanReward[s]) && spanTokenStart[s + 1] > spanTokenStart[s]) {
                    out[spanTokenStart[s + 1] - 1] += spanReward[s];
                }
            }
        }
        double[] outcomeOnly = null;
        if (outcome != null || !outcomeComponents.isEmpty()) {
            int n = trajectoryCount();
            outcomeOnly = new double[n];
            if (outcome != null) {
                for (int i = 0; i < n; i++) if (!Float.isNaN(outcome[i])) outcomeOnly[i] = outcome[i];
            } else {
                for (float[] c : outcomeComponents.values()) {
                    for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) outcomeOnly[i] += c[i];
                }
            }
            for (int i = 0; i < n; i++) {
                int last = lastPolicyToken(i);
                if (last >= 0) out[last] += (float) outcomeOnly[i];
            }
        }
        return out;
    }

    /**
     * Throws a {@link RolloutException} naming the first trajectory whose token signal
     * {@code name} is missing, for an estimator that needs it.
     *
     * @param estimator id of the estimator asking, for the message
     * @param producedBy what produces the signal, for the message (e.g. "the critic")
     */
    public float[] requireTokenSignal(String name, String estimator, String producedBy) {
        return requireSignal(SignalKind.TOKEN, name, estimator, producedBy);
    }

    /** Like {@link #requireTokenSignal} for a trajectory-level signal. */
    public float[] requireTrajectorySignal(String name, String estimator, String producedBy) {
        float[] v = requireSignal(SignalKind.TRAJECTORY, name, estimator, producedBy);
        for (int i = 0; i < v.length; i++) {
            if (Float.isNaN(v[i])) {
                throw new RolloutException(
                        describe(i) + ": estimator '" + estimator + "' needs signals." + name + " (" + producedBy
                                + ") but it is absent",
                        i,
                        "signals." + name);
            }
        }
        return v;
    }

    /** Requires span state keys on every policy span (anchor-state methods). */
    public String[] requireSpanState(String estimator) {
        if (spanState == null) {
            throw new RolloutException(
                    "estimator '" + estimator
                            + "' needs a state key on every policy span (spans[].state), which the batch lacks",
                    -1,
                    "spans.state");
        }
        for (int i = 0; i < trajectoryCount(); i++) {
            for (int s = spanStart(i); s < spanEnd(i); s++) {
                if (spanRole[s] == 1 && spanState[s] == null) {
                    throw new RolloutException(
                            describe(i) + ": span " + (s - spanStart(i))
                                    + " is a policy span without a state key (spans[" + (s - spanStart(i))
                                    + "].state), which estimator '"
                                    + estimator + "' needs",
                            i,
                            "spans[" + (s - spanStart(i)) + "].state");
                }
            }
        }
        return spanState;
    }
}
