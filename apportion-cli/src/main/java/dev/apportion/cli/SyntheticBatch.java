package dev.apportion.cli;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.SignalLevel;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Synthetic rollout batches for timing estimators ({@code apportion perf}): deterministic for a
 * seed, every trajectory the same length, carrying exactly the signals asked for.
 *
 * <h2>Layout</h2>
 * Trajectories come in groups of {@link Spec#groupSize()} (group {@code g<k>}, trajectory
 * {@code t<i>}). With one step a trajectory is a single policy span holding all its tokens (the
 * response-only layout of verl). With {@code S > 1} steps it is {@code S} policy spans separated
 * by {@code S - 1} context spans (environment observations) of {@code tokens / (5 S)} tokens each,
 * so about a fifth of the tokens or less are context; policy spans share the remaining tokens
 * evenly (the first ones get one extra token when it does not divide).
 *
 * <h2>Signals</h2>
 * <ul>
 *   <li>outcome: always, 0 or 1, drawn with a success rate per group uniform in [0.1, 0.9] so
 *       that most groups have both outcomes;</li>
 *   <li>token signals by name: {@code reward} small values in [-0.01, 0.01] on policy tokens
 *       (0 on context), or for step-level estimators a turn-end reward in [0, 1] on the last token
 *       of each policy span (0 elsewhere), {@code *logprob} in [-3, 0], {@code entropy} in [0, 2],
 *       {@code value} in [-1, 1], {@code sum_pi_squared} in [0.05, 1], anything else in [0, 1];</li>
 *   <li>trajectory signals ({@code reward_baseline}, ...) in [0, 1];</li>
 *   <li>on policy spans only: span reward in [0, 1], state key {@code s<step>-<0..2>} (so states
 *       repeat inside a group, as anchor-state methods need), agent {@code agent<step mod 2>},
 *       other span signals in [0, 1].</li>
 * </ul>
 *
 * <p>Memory: the batch holds 4 bytes per token per token signal plus one mask byte per token,
 * so 10 M tokens with three token signals take about 130 MB. Not thread-safe while building;
 * the result is an immutable {@link Rollouts}.
 */
public final class SyntheticBatch {
    /** Trajectories per group unless a spec says otherwise (a common GRPO rollout count). */
    public static final int DEFAULT_GROUP_SIZE = 8;

    private SyntheticBatch() {}

    /**
     * What to build.
     *
     * @param trajectories number of trajectories (at least 1)
     * @param tokensPerTrajectory tokens of each trajectory (at least 1, at least 2 per step when steps &gt; 1)
     * @param stepsPerTrajectory policy spans per trajectory (at least 1)
     * @param groupSize trajectories per group (the last group may be smaller)
     * @param seed random seed; equal specs give equal batches
     * @param tokenSignals token signal names
     * @param trajectorySignals trajectory signal names
     * @param spanSignals span signal names (set on policy spans)
     * @param spanRewards whether policy spans carry a reward
     * @param states whether policy spans carry a state key
     * @param agents whether policy spans carry an agent name
     * @param stepEndTokenRewards whether the token signal {@code reward} is a turn-end reward (non-zero only
     *     on the last token of each policy span, as multi-turn rollouts of verl carry it) rather than a small
     *     per-token penalty on every policy token
     */
    public record Spec(
            int trajectories,
            int tokensPerTrajectory,
            int stepsPerTrajectory,
            int groupSize,
            long seed,
            List<String> tokenSignals,
            List<String> trajectorySignals,
            List<String> spanSignals,
            boolean spanRewards,
            boolean states,
            boolean agents,
            boolean stepEndTokenRewards) {
        public Spec {
            tokenSignals = List.copyOf(tokenSignals);
            trajectorySignals = List.copyOf(trajectorySignals);
            spanSignals = List.copyOf(spanSignals);
            if (trajectories < 1) throw new IllegalArgumentException("trajectories must be >= 1, got " + trajectories);
            if (stepsPerTrajectory < 1) {
                throw new IllegalArgumentException("steps per trajectory must be >= 1, got " + stepsPerTrajectory);
            }
            if (tokensPerTrajectory < 1) {
                throw new IllegalArgumentException("tokens per trajectory must be >= 1, got " + tokensPerTrajectory);
            }
            if (stepsPerTrajectory > 1 && tokensPerTrajectory < 2L * stepsPerTrajectory) {
                throw new IllegalArgumentException("tokens per trajectory (" + tokensPerTrajectory
                        + ") must be at least twice the steps per trajectory (" + stepsPerTrajectory + ")");
            }
            if (groupSize < 1) throw new IllegalArgumentException("group size must be >= 1, got " + groupSize);
            long tokens = (long) trajectories * tokensPerTrajectory;
            if (tokens > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(
                        trajectories + " trajectories x " + tokensPerTrajectory + " tokens = " + tokens
                                + " tokens, more than a batch can hold (" + (Integer.MAX_VALUE - 8) + ")");
            }
        }

        /** Tokens in the batch. */
        public int tokens() {
            return trajectories * tokensPerTrajectory;
        }

        /** Policy spans in the batch (the step rows of step-level estimators). */
        public int policySpans() {
            return trajectories * stepsPerTrajectory;
        }

        /** Context tokens between two steps. */
        int observationTokens() {
            return stepsPerTrajectory == 1 ? 0 : tokensPerTrajectory / (5 * stepsPerTrajectory);
        }

        /** Short description for progress messages. */
        public String describe() {
            return String.format(
                    Locale.ROOT,
                    "%d trajectories x %d tokens (%d tokens, %d step%s per trajectory, groups of %d)",
                    trajectories,
                    tokensPerTrajectory,
                    tokens(),
                    stepsPerTrajectory,
                    stepsPerTrajectory == 1 ? "" : "s",
                    groupSize);
        }
    }

    /** True for estimators that credit steps, segments, turns or agents, or read span-level signals. */
    public static boolean stepLevel(Descriptor d) {
        Granularity g = d.granularity();
        if (g == Granularity.STEP
                || g == Granularity.TURN
                || g == Granularity.SEGMENT
                || g == Granularity.MULTI_AGENT) {
            return true;
        }
        for (SignalRequirement r : d.requires()) if (r.level() == SignalLevel.SPAN) return true;
        return false;
    }

    /** Steps per trajectory when none is given: 10 for step-level estimators, else 1. */
    public static int defaultSteps(Descriptor d) {
        return stepLevel(d) ? 10 : 1;
    }

    /**
     * The spec with every signal {@code d} requires: outcomes always; token rewards for token-level
     * estimators (verl's KL-penalized rewards) and whenever required (turn-end rewards for step-level
     * estimators); state keys for step-level estimators; agents for multi-agent ones.
     *
     * @param steps steps per trajectory, or 0 for {@link #defaultSteps(Descriptor)}
     */
    public static Spec forEstimator(Descriptor d, int trajectories, int tokensPerTrajectory, int steps, long seed) {
        Set<String> token = new LinkedHashSet<>();
        Set<String> traj = new LinkedHashSet<>();
        Set<String> span = new LinkedHashSet<>();
        boolean spanRewards = false;
        boolean states = stepLevel(d);
        boolean agents = d.granularity() == Granularity.MULTI_AGENT;
        if (d.granularity() == Granularity.TOKEN) token.add(Rollouts.REWARD);
        for (SignalRequirement r : d.requires()) {
            switch (r.level()) {
                case TOKEN:
                    if (!r.name().equals("text")) token.add(r.name()); // token text: see Extras
                    break;
                case TRAJECTORY:
                    if (!r.name().equals("reward") && !r.name().equals("outcome")) traj.add(r.name());
                    break;
                case SPAN:
                default:
                    switch (r.name()) {
                        case "reward":
                            spanRewards = true;
                            break;
                        case "state":
                            states = true;
                            break;
                        case "agent":
                            agents = true;
                            break;
                        default:
                            span.add(r.name());
                            break;
                    }
                    break;
            }
        }
        // a signal-name list parameter whose default names a required token signal (value_h0 in
        // "value_h0,value_h1,...") names the estimator's other token signals of that kind
        for (ParamSpec p : d.parameters()) {
            if (!(p.defaultValue() instanceof String list) || !list.contains(",")) continue;
            List<String> names = new ArrayList<>();
            for (String x : list.split(",")) names.add(x.trim());
            boolean named = false;
            for (String x : names) named |= token.contains(x);
            if (named) token.addAll(names);
        }
        return new Spec(
                trajectories,
                tokensPerTrajectory,
                steps > 0 ? steps : defaultSteps(d),
                DEFAULT_GROUP_SIZE,
                seed,
                new ArrayList<>(token),
                new ArrayList<>(traj),
                new ArrayList<>(span),
                spanRewards,
                states,
                agents,
                stepLevel(d));
    }

    /**
     * What some estimators need beyond named signals, which the requirement names alone cannot say
     * (chosen per estimator by {@link #extrasFor(Descriptor)}).
     *
     * @param agentNames agent names policy spans cycle through (default {@code agent0, agent1})
     * @param wholeNumberSignals trajectory signals drawn as whole numbers in [0, steps) (step indices)
     * @param treeStates state keys that make each group a tree: a policy span's state is its parent's key plus a
     *     branch (one of 2), and the last span's state is unique to the trajectory (a leaf); with it, the span
     *     signals {@code tree_node} (a whole-number id per node, unique in the group), {@code tree_parent} (-1 under
     *     the root) and {@code tree_entropy} (one value per node, equal wherever the node appears) describe the same
     *     tree
     * @param tokenText whether trajectories carry token text (policy spans: {@code <code>}, {@code ls}, {@code </code>}, filler)
     * @param coalitions whether trajectories carry {@code coalition:<agents>} values for every proper non-empty
     *     coalition of the agents (for Shapley-value credit)
     * @param outcomeComponents named outcome components each trajectory carries besides the outcome, in [0, 1]
     * @param tokenVectors token vector signals by name, with their width (floats per token), values in [-1, 1]
     * @param tokenMatrices token matrix signals (attention maps): per trajectory, causal rows over the earlier
     *     tokens, positive and normalised to sum 1 per row (the strict lower triangle; row 0 is empty)
     * @param branches whether the trajectory signals {@code branch_point} / {@code branch_omega} describe branched
     *     continuations: in each group the first half are roots ({@code branch_point} -1), the others branch at the
     *     offset of a policy token of their trajectory, with {@code branch_omega} in [0, 1]
     * @param prompt whether each trajectory starts with a prompt: a context span of an eighth of its tokens
     *     (the question an attention-flow method traces from), taken from the policy tokens
     */
    public record Extras(
            List<String> agentNames,
            Set<String> wholeNumberSignals,
            boolean treeStates,
            boolean tokenText,
            boolean coalitions,
            List<String> outcomeComponents,
            Map<String, Integer> tokenVectors,
            List<String> tokenMatrices,
            boolean branches,
            boolean prompt) {
        public static final Extras NONE =
                new Extras(List.of("agent0", "agent1"), Set.of(), false, false, false, List.of());

        public Extras(
                List<String> agentNames,
                Set<String> wholeNumberSignals,
                boolean treeStates,
                boolean tokenText,
                boolean coalitions) {
            this(agentNames, wholeNumberSignals, treeStates, tokenText, coalitions, List.of());
        }

        public Extras(
                List<String> agentNames,
                Set<String> wholeNumberSignals,
                boolean treeStates,
                boolean tokenText,
                boolean coalitions,
                List<String> outcomeComponents) {
            this(
                    agentNames,
                    wholeNumberSignals,
                    treeStates,
                    tokenText,
                    coalitions,
                    outcomeComponents,
                    Map.of(),
                    List.of(),
                    false,
                    false);
        }

        public Extras {
            agentNames = List.copyOf(agentNames);
            wholeNumberSignals = Set.copyOf(wholeNumberSignals);
            outcomeComponents = List.copyOf(outcomeComponents);
            tokenVectors = Map.copyOf(tokenVectors);
            tokenMatrices = List.copyOf(tokenMatrices);
        }

        /** These extras with token vectors, token matrices and branches (and a prompt with a matrix). */
        Extras with(Map<String, Integer> vectors, List<String> matrices, boolean branched) {
            return new Extras(
                    agentNames,
                    wholeNumberSignals,
                    treeStates,
                    tokenText,
                    coalitions,
                    outcomeComponents,
                    vectors,
                    matrices,
                    branched,
                    !matrices.isEmpty());
        }

        /** Floats per token the token vectors add, and whether a token matrix is carried. */
        public int vectorFloatsPerToken() {
            int w = 0;
            for (int x : tokenVectors.values()) w += x;
            return w;
        }
    }

    /** Width of the synthetic hidden states ({@code delta}'s token vector {@code hidden}). */
    public static final int HIDDEN_WIDTH = 64;

    /** The extras {@code d} needs: per-estimator knowledge of signal formats the descriptor cannot state. */
    public static Extras extrasFor(Descriptor d) {
        boolean text = false;
        for (SignalRequirement r : d.requires())
            if (r.level() == SignalLevel.TOKEN && r.name().equals("text")) text = true;
        return switch (d.id()) {
            case "f_grpo" -> new Extras(List.of("gen", "rank"), Set.of(), false, text, false, List.of("gen", "rank"));
            case "r3l" -> new Extras(Extras.NONE.agentNames(), Set.of("retry_step"), false, text, false);
            case "spo_tree", "at2po" -> new Extras(Extras.NONE.agentNames(), Set.of(), true, text, false);
            case "agent_shapley", "agent_shapley_ig" ->
                new Extras(Extras.NONE.agentNames(), Set.of(), false, text, true);
            // token vector / matrix signals: the requirement says "token"; their shape is the method's
            case "delta" ->
                new Extras(Extras.NONE.agentNames(), Set.of(), false, text, false)
                        .with(Map.of("hidden", HIDDEN_WIDTH), List.of(), false);
            case "flowtracer" ->
                new Extras(Extras.NONE.agentNames(), Set.of(), false, text, false)
                        .with(Map.of(), List.of("attention"), false);
            case "appo" ->
                new Extras(Extras.NONE.agentNames(), Set.of(), false, text, false).with(Map.of(), List.of(), true);
            default -> text ? new Extras(Extras.NONE.agentNames(), Set.of(), false, true, false) : Extras.NONE;
        };
    }

    /** Receives building progress. */
    @FunctionalInterface
    public interface Progress {
        /** {@code done} of {@code total} trajectories are built. */
        void built(int done, int total);
    }

    /** Builds the batch. */
    public static Rollouts build(Spec spec) {
        return build(spec, (done, total) -> {});
    }

    /**
     * Builds the batch, reporting progress about every 10% of the trajectories.
     */
    public static Rollouts build(Spec spec, Progress progress) {
        return build(spec, Extras.NONE, progress);
    }

    /** Builds the batch with {@code extras}, reporting progress about every 10% of the trajectories. */
    public static Rollouts build(Spec spec, Extras extras, Progress progress) {
        int n = spec.trajectories();
        int len = spec.tokensPerTrajectory();
        int steps = spec.stepsPerTrajectory();
        int obs = spec.observationTokens();
        // a prompt (question) before the response, for estimators that trace flow from it
        int prompt = extras.prompt() ? len / 8 : 0;
        int policyTotal = len - prompt - (steps - 1) * obs;
        int[] stepLen = new int[steps];
        for (int k = 0; k < steps; k++) stepLen[k] = policyTotal / steps + (k < policyTotal % steps ? 1 : 0);
        int spansPerTrajectory = 2 * steps - 1;
        // per position of a trajectory: 0 context, 1 policy, 2 last token of a policy span
        byte[] policy = new byte[len];
        for (int k = 0, t = prompt; k < steps; k++) {
            java.util.Arrays.fill(policy, t, t + stepLen[k], (byte) 1);
            policy[t + stepLen[k] - 1] = 2;
            t += stepLen[k] + obs;
        }

        SplittableRandom r = new SplittableRandom(spec.seed());
        RolloutsBuilder b = Rollouts.builder().ensureCapacity(n, n * spansPerTrajectory, spec.tokens());
        float[] buf = new float[len];
        int groups = (n + spec.groupSize() - 1) / spec.groupSize();
        double[] successRate = new double[groups];
        for (int g = 0; g < groups; g++) successRate[g] = 0.1 + 0.8 * r.nextDouble();
        int reportEvery = Math.max(1, n / 10);
        int vectorWidth = extras.vectorFloatsPerToken();
        float[] vbuf = vectorWidth == 0 ? null : new float[len * vectorWidth];
        float[] mbuf = extras.tokenMatrices().isEmpty() ? null : new float[(int) ((long) len * (len - 1) / 2)];
        int firstPolicyOffset = prompt; // policy spans start after the prompt
        java.util.Map<String, Integer> treeIds = new java.util.HashMap<>();
        java.util.Map<Integer, Float> treeEntropy = new java.util.HashMap<>();
        boolean tree = spec.states() && extras.treeStates();
        int lastGroup = -1;
        for (int i = 0; i < n; i++) {
            int g = i / spec.groupSize();
            if (g != lastGroup) {
                treeIds.clear();
                treeEntropy.clear();
                lastGroup = g;
            }
            b.trajectory("g" + g, "t" + i).outcome(r.nextDouble() < successRate[g] ? 1 : 0);
            for (String name : spec.trajectorySignals()) {
                if (extras.branches() && name.equals("branch_point")) {
                    // the first half of a group are roots; the others branch at one of their policy tokens
                    boolean root = i % spec.groupSize() < (spec.groupSize() + 1) / 2;
                    int at = firstPolicyOffset + r.nextInt(Math.max(1, stepLen[0]));
                    b.signal(name, root ? -1 : at);
                } else {
                    b.signal(name, extras.wholeNumberSignals().contains(name) ? r.nextInt(steps) : r.nextDouble());
                }
            }
            for (String c : extras.outcomeComponents()) b.outcomeComponent(c, r.nextDouble());
            List<String> names = extras.agentNames();
            if (extras.coalitions() && spec.agents()) {
                int na = Math.min(steps, names.size());
                for (int mask = 1; mask < (1 << na) - 1; mask++) {
                    StringBuilder c = new StringBuilder("coalition:");
                    for (int a = 0; a < na; a++) {
                        if ((mask & (1 << a)) != 0)
                            c.append(c.length() > 10 ? "+" : "").append(names.get(a));
                    }
                    b.signal(c.toString(), r.nextDouble());
                }
            }
            String node = "g" + g;
            int parentId = -1;
            if (prompt > 0) b.span(Role.CONTEXT, prompt);
            for (int k = 0; k < steps; k++) {
                double reward = spec.spanRewards() ? r.nextDouble() : Double.NaN;
                String state = null;
                if (tree) {
                    node = k == steps - 1 ? node + "/leaf-t" + i : node + "/" + r.nextInt(2);
                    state = node;
                } else if (spec.states()) {
                    state = "s" + k + "-" + r.nextInt(3);
                }
                String agent = spec.agents() ? names.get(k % names.size()) : null;
                b.span(Role.POLICY, stepLen[k], reward, state, agent);
                for (String name : spec.spanSignals()) {
                    if (tree && TREE_SIGNALS.contains(name)) continue;
                    b.spanSignal(name, r.nextDouble());
                }
                if (tree) {
                    Integer id = treeIds.get(node);
                    if (id == null) {
                        id = treeIds.size();
                        treeIds.put(node, id);
                        treeEntropy.put(id, (float) (2 * r.nextDouble()));
                    }
                    b.spanSignal(TREE_NODE, id);
                    b.spanSignal(TREE_PARENT, parentId);
                    b.spanSignal(TREE_ENTROPY, treeEntropy.get(id));
                    parentId = id;
                }
                if (k < steps - 1) b.span(Role.CONTEXT, obs);
            }
            for (String name : spec.tokenSignals()) {
                if (extras.tokenVectors().containsKey(name)
                        || extras.tokenMatrices().contains(name)) continue;
                fill(name, buf, policy, spec.stepEndTokenRewards(), r);
                b.tokenSignal(name, buf);
            }
            for (String name : new java.util.TreeSet<>(extras.tokenVectors().keySet())) {
                int w = extras.tokenVectors().get(name);
                float[] v = vbuf.length == len * w ? vbuf : new float[len * w];
                for (int x = 0; x < v.length; x++) v[x] = (float) (2 * r.nextDouble() - 1);
                b.tokenVector(name, w, v);
            }
            for (String name : extras.tokenMatrices()) {
                attention(mbuf, len, r);
                b.tokenMatrix(name, mbuf);
            }
            if (extras.tokenText()) b.tokenText(text(policy));
            if ((i + 1) % reportEvery == 0 || i + 1 == n) progress.built(i + 1, n);
        }
        return b.build();
    }

    static final String TREE_NODE = "tree_node";
    static final String TREE_PARENT = "tree_parent";
    static final String TREE_ENTROPY = "tree_entropy";
    private static final Set<String> TREE_SIGNALS = Set.of(TREE_NODE, TREE_PARENT, TREE_ENTROPY);

    /**
     * A causal attention map of {@code len} tokens into {@code out} (strict lower triangle, row by
     * row): row {@code r} attends to the {@code r} earlier tokens with positive weights summing to 1
     * (row 0 attends to nothing).
     */
    static void attention(float[] out, int len, SplittableRandom r) {
        int k = 0;
        for (int row = 1; row < len; row++) {
            double sum = 0;
            for (int c = 0; c < row; c++) {
                float x = (float) (0.05 + r.nextDouble());
                out[k + c] = x;
                sum += x;
            }
            float inv = (float) (1 / sum);
            for (int c = 0; c < row; c++) out[k + c] *= inv;
            k += row;
        }
    }

    /** Token text of one trajectory: each policy span starts {@code <code>}, {@code ls}, {@code </code>}; filler elsewhere. */
    private static String[] text(byte[] policy) {
        String[] t = new String[policy.length];
        int inSpan = 0;
        for (int k = 0; k < policy.length; k++) {
            if (policy[k] == 0) {
                t[k] = " obs";
                inSpan = 0;
                continue;
            }
            t[k] = inSpan == 0 ? "<code>" : inSpan == 1 ? "ls" : inSpan == 2 ? "</code>" : " x";
            inSpan = policy[k] == 2 ? 0 : inSpan + 1;
        }
        return t;
    }

    private static void fill(String name, float[] buf, byte[] policy, boolean stepEnds, SplittableRandom r) {
        if (name.equals(Rollouts.REWARD)) {
            for (int t = 0; t < buf.length; t++) {
                if (stepEnds) buf[t] = policy[t] == 2 ? (float) r.nextDouble() : 0f;
                else buf[t] = policy[t] != 0 ? (float) (0.02 * r.nextDouble() - 0.01) : 0f;
            }
            return;
        }
        double lo;
        double hi;
        if (name.endsWith("logprob")) {
            lo = -3;
            hi = 0;
        } else if (name.equals(Rollouts.ENTROPY)) {
            lo = 0;
            hi = 2;
        } else if (name.equals(Rollouts.VALUE)) {
            lo = -1;
            hi = 1;
        } else if (name.equals("sum_pi_squared")) {
            lo = 0.05;
            hi = 1;
        } else {
            lo = 0;
            hi = 1;
        }
        double w = hi - lo;
        for (int t = 0; t < buf.length; t++) buf[t] = (float) (lo + w * r.nextDouble());
    }
}
