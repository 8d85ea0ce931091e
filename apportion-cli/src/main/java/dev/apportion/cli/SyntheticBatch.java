package dev.apportion.cli;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.SignalLevel;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
     *     branch (one of 2), and the last span's state is unique to the trajectory (a leaf)
     * @param tokenText whether trajectories carry token text (policy spans: {@code <code>}, {@code ls}, {@code </code>}, filler)
     * @param coalitions whether trajectories carry {@code coalition:<agents>} values for every proper non-empty
     *     coalition of the agents (for Shapley-value credit)
     * @param outcomeComponents named outcome components each trajectory carries besides the outcome, in [0, 1]
     */
    public record Extras(
            List<String> agentNames,
            Set<String> wholeNumberSignals,
            boolean treeStates,
            boolean tokenText,
            boolean coalitions,
            List<String> outcomeComponents) {
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

        public Extras {
            agentNames = List.copyOf(agentNames);
            wholeNumberSignals = Set.copyOf(wholeNumberSignals);
            outcomeComponents = List.copyOf(outcomeComponents);
        }
    }

    /** The extras {@code d} needs: per-estimator knowledge of signal formats the descriptor cannot state. */
    public static Extras extrasFor(Descriptor d) {
        boolean text = false;
        for (SignalRequirement r : d.requires())
            if (r.level() == SignalLevel.TOKEN && r.name().equals("text")) text = true;
        return switch (d.id()) {
            case "f_grpo" -> new Extras(List.of("gen", "rank"), Set.of(), false, text, false, List.of("gen", "rank"));
            case "r3l" -> new Extras(Extras.NONE.agentNames(), Set.of("retry_step"), false, text, false);
            case "spo_tree" -> new Extras(Extras.NONE.agentNames(), Set.of(), true, text, false);
            case "agent_shapley", "agent_shapley_ig" ->
                new Extras(Extras.NONE.agentNames(), Set.of(), false, text, true);
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
        int policyTotal = len - (steps - 1) * obs;
        int[] stepLen = new int[steps];
        for (int k = 0; k < steps; k++) stepLen[k] = policyTotal / steps + (k < policyTotal % steps ? 1 : 0);
        int spansPerTrajectory = 2 * steps - 1;
        // per position of a trajectory: 0 context, 1 policy, 2 last token of a policy span
        byte[] policy = new byte[len];
        for (int k = 0, t = 0; k < steps; k++) {
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
        for (int i = 0; i < n; i++) {
            int g = i / spec.groupSize();
            b.trajectory("g" + g, "t" + i).outcome(r.nextDouble() < successRate[g] ? 1 : 0);
            for (String name : spec.trajectorySignals()) {
                b.signal(name, extras.wholeNumberSignals().contains(name) ? r.nextInt(steps) : r.nextDouble());
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
            for (int k = 0; k < steps; k++) {
                double reward = spec.spanRewards() ? r.nextDouble() : Double.NaN;
                String state = null;
                if (spec.states() && extras.treeStates()) {
                    node = k == steps - 1 ? node + "/leaf-t" + i : node + "/" + r.nextInt(2);
                    state = node;
                } else if (spec.states()) {
                    state = "s" + k + "-" + r.nextInt(3);
                }
                String agent = spec.agents() ? names.get(k % names.size()) : null;
                b.span(Role.POLICY, stepLen[k], reward, state, agent);
                for (String name : spec.spanSignals()) b.spanSignal(name, r.nextDouble());
                if (k < steps - 1) b.span(Role.CONTEXT, obs);
            }
            for (String name : spec.tokenSignals()) {
                fill(name, buf, policy, spec.stepEndTokenRewards(), r);
                b.tokenSignal(name, buf);
            }
            if (extras.tokenText()) b.tokenText(text(policy));
            if ((i + 1) % reportEvery == 0 || i + 1 == n) progress.built(i + 1, n);
        }
        return b.build();
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
