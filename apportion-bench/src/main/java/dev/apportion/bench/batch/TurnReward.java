package dev.apportion.bench.batch;

import java.util.Locale;

/**
 * What a batch's span (turn) rewards carry. Most estimators read the environment's step
 * rewards; estimators whose method defines its own turn reward (IGPO's information gain,
 * SIOP's outcome-potential ratio, MatchTIR's and VPR's verified steps) get the task's exact
 * version of that quantity in the span reward instead, and the episode's environment return
 * (outcome plus step rewards) as the outcome (see {@code dev/apportion/bench/inputs.json}).
 */
public enum TurnReward {
    /** The environment's step rewards (absent when the task pays none). */
    ENV,
    /**
     * verl-agent's layout: the environment's step rewards with the terminal outcome added to the
     * last policy turn's reward (the success reward is the last step's environment reward), and
     * the episode's whole return as the outcome (the episode score every step row carries). For
     * estimators (GiGPO) whose episode score reads the outcome only, so that it equals the score
     * the other estimators compute as outcome + step rewards.
     */
    ENV_RETURN,
    /** The information gain {@code V_s(s') − V_s(s)}; an exact 0 is stored as 1e-10, as IGPO's reward function does. */
    INFO_GAIN,
    /** The log-ratio of the success probability after and before the turn, {@code log(V_s(s') + 1e-8) − log(V_s(s) + 1e-8)} (SIOP). */
    LOG_POTENTIAL_RATIO,
    /** The step verifier's verdict (tasks with a verifier only). */
    VERIFIER,
    /** The PRM score. */
    PRM,
    /**
     * SPO-tree's layout: the span state keys name the node of the group's prefix tree each turn
     * reaches ({@code n<tree_node>}, see {@link Signals#TREE_NODE}), the episode's environment
     * return is the outcome (the value of the trajectory's leaf), and span rewards are absent.
     */
    TREE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name such as {@code info_gain}. */
    public static TurnReward parse(String s) {
        for (TurnReward t : values()) if (t.wireName().equals(s)) return t;
        throw new IllegalArgumentException("unknown turn reward source '" + s
                + "' (expected env, env_return, info_gain, log_potential_ratio, verifier, prm or tree)");
    }
}
