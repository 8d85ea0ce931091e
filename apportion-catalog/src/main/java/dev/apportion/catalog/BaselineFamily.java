package dev.apportion.catalog;

/**
 * Family of the baselines a paper compares against (after the survey's reconstructed list,
 * benchmarks-and-survey.md §1.8(a)).
 */
public enum BaselineFamily {
    /** Critic-free outcome-level group methods: GRPO, Dr. GRPO, DAPO, RLOO, REINFORCE++, ReMax. */
    OUTCOME_GROUP,
    /** Learned value critic: PPO with GAE, VAPO. */
    LEARNED_CRITIC,
    /** Monte Carlo rollout values (VinePPO-style). */
    MC_ROLLOUT_VALUE,
    /** Process-reward-model based training. */
    PRM_BASED,
    /** Offline or preference methods: DPO, RFT, RestEM. */
    OFFLINE_PREFERENCE,
    /** Agentic group methods: GiGPO, StarPO, entropy-branching agent RL. */
    AGENTIC_GROUP,
    /** Hierarchical critics (ArCHer). */
    HIERARCHICAL_CRITIC,
    /** Multi-agent baselines: independent GRPO, MAPPO/COMA-style, topology learners. */
    MULTI_AGENT,
    /** Supervised fine-tuning or behaviour cloning, or the untrained model. */
    SUPERVISED,
    /** Reward-redistribution methods of classical RL (RUDDER-style). */
    REWARD_REDISTRIBUTION,
    /** The sources read do not say. */
    UNKNOWN;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
