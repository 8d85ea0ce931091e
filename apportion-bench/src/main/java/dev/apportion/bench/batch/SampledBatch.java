package dev.apportion.bench.batch;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.EnumMap;
import java.util.Map;

/**
 * A sampled rollout batch and the exact truth about it. Truth arrays are indexed like the
 * batch's spans and tokens (read-only). Labels: {@link #DECISIVE} — the action changes the
 * success probability; {@link #IRRELEVANT} — the action changes no expected quantity;
 * {@link #LOCAL} — it changes only immediate rewards (e.g. apples); {@link #NONE} — context.
 *
 * <p>The batch can be viewed with different span rewards ({@link #rollouts(TurnReward)}): the
 * structure, the token signals and the truth are the same in every view; a view other than
 * {@link TurnReward#ENV} carries the episode's whole environment return (outcome plus step
 * rewards) as the outcome. Views are built on first use and cached; not thread-safe.
 */
public final class SampledBatch {
    public static final byte NONE = 0;
    public static final byte DECISIVE = 1;
    public static final byte IRRELEVANT = 2;
    public static final byte LOCAL = 3;

    // recipe
    final String[] groupKey;
    final String[] trajId;
    final double[] outcome;
    final double[] baseline;
    final int[] trajSpanStart;
    final int[] spanTokens;
    final boolean[] spanPolicy;
    final double[] envReward;
    final String[] spanState;
    final String[] spanAgent;
    final double[] prm;
    final double[] infoGain;
    final double[] logRatio;
    final double[] verifier;
    final double[] mcValue;
    final double[] criticValue;
    final double[] qValue;
    final double[] cfBaseline;
    final Map<String, float[]> tokenSignals;
    final boolean hasEnvRewards;
    final boolean hasVerifier;
    private final java.util.function.Supplier<Extras> derivedSource;
    private Extras extras;
    private final Map<TurnReward, Rollouts> views = new EnumMap<>(TurnReward.class);
    private final Map<TurnReward, Rollouts> derivedViews = new EnumMap<>(TurnReward.class);
    private Rollouts referenceView;

    // truth
    final float[] spanTruth;
    final byte[] spanLabel;
    final long[] spanKey;
    final int[] spanDecision;
    final float[] tokenTruth;
    final byte[] tokenLabel;
    final long[] tokenKey;
    final double[] returns;
    final boolean[] success;
    final int[] policySpans;
    final int[] policyTokens;

    SampledBatch(
            String[] groupKey,
            String[] trajId,
            double[] outcome,
            double[] baseline,
            int[] trajSpanStart,
            int[] spanTokens,
            boolean[] spanPolicy,
            double[] envReward,
            String[] spanState,
            String[] spanAgent,
            double[] prm,
            double[] infoGain,
            double[] logRatio,
            double[] verifier,
            double[] mcValue,
            double[] criticValue,
            double[] qValue,
            double[] cfBaseline,
            Map<String, float[]> tokenSignals,
            boolean hasEnvRewards,
            boolean hasVerifier,
            float[] spanTruth,
            byte[] spanLabel,
            long[] spanKey,
            int[] spanDecision,
            float[] tokenTruth,
            byte[] tokenLabel,
            long[] tokenKey,
            double[] returns,
            boolean[] success,
            java.util.function.Supplier<Extras> derivedSource) {
        this.derivedSource = derivedSource;
        this.groupKey = groupKey;
        this.trajId = trajId;
        this.outcome = outcome;
        this.baseline = baseline;
        this.trajSpanStart = trajSpanStart;
        this.spanTokens = spanTokens;
        this.spanPolicy = spanPolicy;
        this.envReward = envReward;
        this.spanState = spanState;
        this.spanAgent = spanAgent;
        this.prm = prm;
        this.infoGain = infoGain;
        this.logRatio = logRatio;
        this.verifier = verifier;
        this.mcValue = mcValue;
        this.criticValue = criticValue;
        this.qValue = qValue;
        this.cfBaseline = cfBaseline;
        this.tokenSignals = tokenSignals;
        this.hasEnvRewards = hasEnvRewards;
        this.hasVerifier = hasVerifier;
        this.spanTruth = spanTruth;
        this.spanLabel = spanLabel;
        this.spanKey = spanKey;
        this.spanDecision = spanDecision;
        this.tokenTruth = tokenTruth;
        this.tokenLabel = tokenLabel;
        this.tokenKey = tokenKey;
        this.returns = returns;
        this.success = success;
        int ns = 0;
        for (boolean p : spanPolicy) if (p) ns++;
        policySpans = new int[ns];
        ns = 0;
        for (int s = 0; s < spanPolicy.length; s++) if (spanPolicy[s]) policySpans[ns++] = s;
        int nt = 0;
        for (long k : tokenKey) if (k >= 0) nt++;
        policyTokens = new int[nt];
        nt = 0;
        for (int t = 0; t < tokenKey.length; t++) if (tokenKey[t] >= 0) policyTokens[nt++] = t;
    }

    /** The batch with the environment's step rewards as span rewards. */
    public Rollouts rollouts() {
        return rollouts(TurnReward.ENV);
    }

    /**
     * The environment view plus the exact truth ({@code true_advantage} span and token signals),
     * for the benchmark's reference estimators only: every other view leaves the truth out, so an
     * estimator cannot read it however it is written.
     */
    public Rollouts referenceRollouts() {
        if (referenceView == null) referenceView = build(TurnReward.ENV, true);
        return referenceView;
    }

    /** True when this batch can carry {@code view} (the verifier view needs a task with a verifier). */
    public boolean supports(TurnReward view) {
        return view != TurnReward.VERIFIER || hasVerifier;
    }

    /**
     * The batch with span rewards from {@code view}.
     *
     * @throws IllegalArgumentException when the task cannot provide the view
     */
    public Rollouts rollouts(TurnReward view) {
        return rollouts(view, false);
    }

    /**
     * The batch with span rewards from {@code view}, with the derived signals ({@link Extras}:
     * ArCHer's critic heads, the prefix tree, ITPO's implicit PRM and metrics, TP-GRPO's verdicts,
     * the value heads) when {@code derived} is true or the view is {@link TurnReward#TREE}. The
     * derived signals are computed once per batch, on first use.
     *
     * @throws IllegalArgumentException when the task cannot provide the view
     */
    public Rollouts rollouts(TurnReward view, boolean derived) {
        boolean d = derived || view == TurnReward.TREE;
        Map<TurnReward, Rollouts> cache = d ? derivedViews : views;
        Rollouts r = cache.get(view);
        if (r == null) {
            if (!supports(view)) throw new IllegalArgumentException("the task has no step verifier");
            r = build(view, false, d);
            cache.put(view, r);
        }
        return r;
    }

    /** The derived signals, computed on first use. */
    private Extras extras() {
        if (extras == null) extras = derivedSource.get();
        return extras;
    }

    private Rollouts build(TurnReward view, boolean withTruth) {
        return build(view, withTruth, false);
    }

    private Rollouts build(TurnReward view, boolean withTruth, boolean derived) {
        Extras extras = derived ? extras() : null;
        RolloutsBuilder b = Rollouts.builder();
        int n = trajId.length;
        b.ensureCapacity(n, spanTokens.length, tokenKey.length);
        int tok = 0;
        for (int i = 0; i < n; i++) {
            // Views that put another quantity in the span rewards move the episode's environment
            // return (outcome + step rewards) into the outcome, so the estimator still sees it.
            double out = view == TurnReward.ENV ? outcome[i] : returns[i];
            int policyTokens = 0;
            for (int s = trajSpanStart[i]; s < trajSpanStart[i + 1]; s++)
                if (spanPolicy[s]) policyTokens += spanTokens[s];
            int turns = 0;
            int lastPolicy = -1;
            for (int s = trajSpanStart[i]; s < trajSpanStart[i + 1]; s++) {
                if (spanPolicy[s]) {
                    turns++;
                    lastPolicy = s;
                }
            }
            b.trajectory(groupKey[i], trajId[i])
                    .outcome(out)
                    .signal(Signals.REWARD_BASELINE, baseline[i])
                    .signal(Signals.REWARD_REFERENCE, baseline[i])
                    .signal(Signals.DURATION, turns);
            if (derived) {
                b.signal(Signals.ACCURACY, success[i] ? 1.0 : 0.0).signal(Signals.TOKEN_AMOUNT, policyTokens);
            }
            int t0 = tok;
            for (int s = trajSpanStart[i]; s < trajSpanStart[i + 1]; s++) {
                if (!spanPolicy[s]) {
                    b.span(Role.CONTEXT, spanTokens[s]);
                } else {
                    double r;
                    switch (view) {
                        case INFO_GAIN:
                            r = infoGain[s] == 0 ? 1e-10 : infoGain[s];
                            break;
                        case LOG_POTENTIAL_RATIO:
                            r = logRatio[s];
                            break;
                        case VERIFIER:
                            r = verifier[s];
                            break;
                        case PRM:
                            r = prm[s];
                            break;
                        case TREE:
                            r = Double.NaN;
                            break;
                        case ENV_RETURN:
                            r = (hasEnvRewards ? envReward[s] : 0.0) + (s == lastPolicy ? outcome[i] : 0.0);
                            break;
                        case ENV:
                        default:
                            r = hasEnvRewards ? envReward[s] : Double.NaN;
                    }
                    String state = view == TurnReward.TREE ? "n" + extras.treeNode[s] : spanState[s];
                    b.span(Role.POLICY, spanTokens[s], r, state, spanAgent[s]);
                    b.spanSignal(Signals.PRM, prm[s]);
                    b.spanSignal(Signals.INFO_GAIN, infoGain[s]);
                    if (hasVerifier) {
                        b.spanSignal(Signals.VERIFIER, verifier[s]);
                        b.spanSignal(Signals.SUBPROBLEM_CORRECT, verifier[s]);
                    }
                    b.spanSignal(Signals.MC_VALUE, mcValue[s]);
                    b.spanSignal(Signals.CRITIC_VALUE, criticValue[s]);
                    b.spanSignal(Signals.Q_VALUE, qValue[s]);
                    b.spanSignal(Signals.COUNTERFACTUAL_BASELINE, cfBaseline[s]);
                    if (derived) {
                        // ArCHer's double critic: head 1 is the critic every other critic reader gets
                        // (COMA's q_value and baseline), head 2 the same critic with independent noise
                        b.spanSignal(Signals.CRITIC_Q1_PI, qValue[s]);
                        b.spanSignal(Signals.CRITIC_Q2_PI, extras.q2[s]);
                        b.spanSignal(Signals.CRITIC_V1, cfBaseline[s]);
                        b.spanSignal(Signals.CRITIC_V2, extras.v2[s]);
                        b.spanSignal(Signals.PRM_LABEL, prm[s] >= Signals.PRM_LABEL_THRESHOLD ? 1.0 : -1.0);
                        b.spanSignal(Signals.TREE_NODE, extras.treeNode[s]);
                        b.spanSignal(Signals.TREE_PARENT, extras.treeParent[s]);
                        b.spanSignal(Signals.TREE_ENTROPY, extras.treeEntropy[s]);
                    }
                    if (withTruth) b.spanSignal(Signals.TRUE_ADVANTAGE, spanTruth[s]);
                }
                tok += spanTokens[s];
            }
            for (Map.Entry<String, float[]> e : tokenSignals.entrySet()) {
                if (!withTruth && e.getKey().equals(Signals.TRUE_ADVANTAGE)) continue;
                b.tokenSignal(e.getKey(), java.util.Arrays.copyOfRange(e.getValue(), t0, tok));
            }
            if (derived) {
                for (Map.Entry<String, float[]> e : extras.tokenSignals().entrySet()) {
                    b.tokenSignal(e.getKey(), java.util.Arrays.copyOfRange(e.getValue(), t0, tok));
                }
            }
        }
        return b.build();
    }

    /**
     * Signals derived after sampling, indexed like the spans (policy spans only): the second
     * critic head (ArCHer) and the group's prefix tree (AT²PO, SPO-tree).
     *
     * @param q2 second Q head at the played action
     * @param v2 second V head at the state before the turn
     * @param treeNode node id of the turn in its group's prefix tree (unique within the group)
     * @param treeParent the parent node's id, -1 under the root (the prompt)
     * @param treeEntropy mean negative log-prob of the turn's policy tokens
     * @param tokenSignals derived token signals by name (ITPO's {@code rm_score}, the value heads)
     */
    record Extras(
            double[] q2,
            double[] v2,
            int[] treeNode,
            int[] treeParent,
            double[] treeEntropy,
            Map<String, float[]> tokenSignals) {}

    /** Node id of each policy span in its group's prefix tree (-1 on context spans). */
    public int[] treeNode() {
        return extras().treeNode;
    }

    /** Parent node id of each policy span's tree node (-1 under the root and on context spans). */
    public int[] treeParent() {
        return extras().treeParent;
    }

    /** True advantage per span (0 on context spans). */
    public float[] spanTruth() {
        return spanTruth;
    }

    public byte[] spanLabel() {
        return spanLabel;
    }

    /** Identity of the decision a span made (state and actions), for grouping repeated decisions. */
    public long[] spanKey() {
        return spanKey;
    }

    /** Latent state each policy span's decision was taken in (-1 on context spans): turns of the same decision. */
    public int[] spanDecision() {
        return spanDecision;
    }

    /** True advantage per token (0 on context tokens). */
    public float[] tokenTruth() {
        return tokenTruth;
    }

    public byte[] tokenLabel() {
        return tokenLabel;
    }

    /** State-action pair index of each policy token (-1 on context tokens). */
    public long[] tokenKey() {
        return tokenKey;
    }

    /** Sampled total return per trajectory. */
    public double[] returns() {
        return returns;
    }

    /** Success per trajectory. */
    public boolean[] success() {
        return success;
    }

    /** Indices of the policy spans, in order. */
    public int[] policySpans() {
        return policySpans;
    }

    /** Indices of the policy tokens, in order. */
    public int[] policyTokens() {
        return policyTokens;
    }
}
