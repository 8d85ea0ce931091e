package dev.apportion.bench.mdp;

/**
 * The rules of a finite episodic task, written over the task's own latent state type
 * {@code S} (a record, compared with {@code equals}). {@link MdpBuilder} enumerates every
 * reachable latent state from these rules and compiles them into an {@link Mdp}.
 *
 * <p>Time: a state sits at decision {@code tokenInTurn} of turn {@code turn}; every
 * transition moves exactly one decision forward (to the next token of the same turn, or to
 * token 0 of the next turn), so {@code turn * tokensPerTurn + tokenInTurn} grows by one per
 * step and the state graph is a layered DAG. A terminal state carries the trajectory's
 * outcome (the terminal reward) and whether the episode counts as a success.
 *
 * @param <S> latent state type (immutable, with value equality)
 */
public interface Dynamics<S> {
    /** Decisions per turn (1 unless the task has a token-level variant). */
    int tokensPerTurn();

    /** Names of the actions, by action index (labels for token text and reports). */
    String[] actionNames();

    /** Adds the start states and their probabilities (summing to 1). */
    void starts(StartSink<S> sink);

    boolean terminal(S s);

    /** Terminal reward of a terminal state. */
    double outcome(S s);

    /** Whether a terminal state counts as a success. */
    boolean success(S s);

    int turn(S s);

    int tokenInTurn(S s);

    /**
     * What the agent observes in {@code s}, without the turn index (the policy conditions on
     * observation and turn; the observation alone is the span's anchor-state key, so equal
     * observations at different turns are the same anchor state).
     */
    String observation(S s);

    /** The agent acting in {@code s}, or null for single-agent tasks. */
    default String agent(S s) {
        return null;
    }

    /** Number of actions available in a non-terminal state (at least 1). */
    int actionCount(S s);

    /** Adds the outcomes of taking {@code action} in {@code s}. */
    void transitions(S s, int action, TransitionSink<S> sink);

    /** Verdict of the task's step verifier on ({@code s}, {@code action}) in [0, 1], or NaN when the task has none. */
    default double verifier(S s, int action) {
        return Double.NaN;
    }

    /** True when the action carries the feature the process reward model is biased towards. */
    default boolean prmBiased(S s, int action) {
        return false;
    }

    /** Number of i.i.d. fair random bits appended to the observation at sampling time (exogenous distractors). */
    default int distractorBits(S s) {
        return 0;
    }

    /** Receives start states. */
    @FunctionalInterface
    interface StartSink<S> {
        void add(S state, double probability);
    }

    /** Receives the outcomes of one action. */
    @FunctionalInterface
    interface TransitionSink<S> {
        /**
         * @param probability probability of this outcome
         * @param next next latent state
         * @param rewardMean expected step reward of this outcome
         * @param noise shape of the step reward's noise
         * @param noiseScale scale of the noise (standard deviation)
         */
        void add(double probability, S next, double rewardMean, RewardNoise noise, double noiseScale);

        /** A noiseless outcome. */
        default void add(double probability, S next, double reward) {
            add(probability, next, reward, RewardNoise.NONE, 0);
        }
    }
}
