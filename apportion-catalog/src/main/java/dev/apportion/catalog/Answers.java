package dev.apportion.catalog;

/**
 * Answers to the decision tree's questions.
 *
 * @param verifier a reliable intermediate verifier is available
 * @param branching intermediate states can be branched from
 * @param critic a critic can be trained or called
 * @param agents number of agents sharing the reward (at least 1)
 * @param horizon model actions (turns) per episode (at least 1)
 * @param regime the regime if the user named one, else null (implied by agents and horizon)
 * @param goldAnswer privileged information is available at training time (the gold answer of every prompt, or a
 *        ground-truth tool trace): methods that need it (IGPO, A²TGPO, MatchTIR, ...) are listed only then
 */
public record Answers(
        boolean verifier,
        boolean branching,
        boolean critic,
        int agents,
        int horizon,
        Regime regime,
        boolean goldAnswer) {
    /** Answers without privileged information. */
    public Answers(boolean verifier, boolean branching, boolean critic, int agents, int horizon, Regime regime) {
        this(verifier, branching, critic, agents, horizon, regime, false);
    }

    public Answers {
        if (agents < 1) throw new IllegalArgumentException("agents must be at least 1, got " + agents);
        if (horizon < 1) throw new IllegalArgumentException("horizon must be at least 1 turn, got " + horizon);
    }

    /** The regime named by the user, or the one implied: several agents, several turns, else reasoning. */
    public Regime effectiveRegime() {
        if (regime != null) return regime;
        if (agents > 1) return Regime.MULTI_AGENT;
        return horizon > 1 ? Regime.AGENTIC : Regime.REASONING;
    }

    /** {@code single_turn} or {@code multi_turn}. */
    public String horizonClass() {
        return horizon > 1 ? "multi_turn" : "single_turn";
    }
}
