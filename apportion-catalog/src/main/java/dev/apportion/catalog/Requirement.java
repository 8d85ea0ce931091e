package dev.apportion.catalog;

/** Something a credit-assignment method needs beyond a standard group of rollouts with outcome rewards. */
public enum Requirement {
    /** An intermediate verifier: a checker, oracle or reference trace scoring steps, turns or tool calls (an outcome-only reward does not count). */
    VERIFIER,
    /** Saving and restoring intermediate states (or prefixes) to branch new rollouts from them. */
    BRANCHABLE_STATES,
    /** A learned or callable critic: value model, process reward model, LLM judge or scorer. */
    CRITIC,
    /** Log-probabilities of a second policy (reference, previous snapshot, teacher) in the credit signal itself; a KL penalty alone does not count. */
    REFERENCE_MODEL,
    /** Information hidden from the policy at inference: gold answers, ground-truth traces, reference solutions, demonstrations. */
    PRIVILEGED_INFORMATION,
    /** Sampled continuations or rollouts beyond the standard group (vine or probe rollouts, branches, greedy baselines, coalitions). */
    EXTRA_ROLLOUTS;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
