package dev.apportion.bench.run;

import dev.apportion.bench.batch.TurnReward;
import dev.apportion.bench.estimators.BenchReference;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.SignalRequirement;
import java.util.List;
import java.util.Set;

/**
 * Which inputs a leaderboard row used (issue 7): {@code outcome} — rewards and the batch's
 * structure only; {@code observable} — also what a real run can have: log-probabilities, a
 * learned (noisy) critic, a noisy PRM or teacher, a step verifier, extra rollouts;
 * {@code privileged} — exact solver quantities: the reference estimators always, and any
 * estimator that reads a model-derived signal on a configuration with {@code signal_noise = 0}.
 * A row's tier is the highest over the tasks it ran on.
 */
public final class Tiers {
    public static final String OUTCOME = "outcome";
    public static final String OBSERVABLE = "observable";
    public static final String PRIVILEGED = "privileged";
    /** Order, lowest first. */
    public static final List<String> ORDER = List.of(OUTCOME, OBSERVABLE, PRIVILEGED);

    /** Signals a real run has exactly (the sampling policy's own quantities, a verifier). */
    private static final Set<String> POLICY = Set.of(
            "logprob",
            "old_logprob",
            "ref_logprob",
            "entropy",
            "sum_pi_squared",
            "verifier",
            "subproblem_correct",
            "reward_baseline",
            "reward_reference");
    /** Model-derived signals: noisy by default, exact in the privileged configuration. */
    private static final Set<String> MODEL = Set.of(
            "value",
            "teacher_logprob",
            "prm",
            "info_gain",
            "mc_value",
            "critic_value",
            "q_value",
            "counterfactual_baseline",
            "critic_q1_pi",
            "critic_q2_pi",
            "critic_v1",
            "critic_v2",
            "rm_score",
            "prm_label",
            "value_h0",
            "value_h1",
            "value_h2",
            "value_h3");
    /** Structure and rewards: not an extra input. */
    private static final Set<String> STRUCTURE = Set.of(
            "reward",
            "outcome",
            "outcome_components",
            "state",
            "agent",
            "duration",
            "span_reward",
            "turn_reward",
            "accuracy",
            "token_amount");

    /*
     * The prefix tree's signals (tree_node, tree_parent) are structure, but the tree carries the
     * policy's entropies (tree_entropy, read by AT2PO's default child_softmax): observable, as
     * every name not listed above is.
     */

    private Tiers() {}

    /** The tier of {@code e} reading span rewards from {@code view} on a configuration that is privileged or not. */
    public static String of(Estimator e, TurnReward view, boolean privilegedConfig) {
        if (e.unwrap() instanceof BenchReference) return PRIVILEGED;
        boolean model =
                view == TurnReward.INFO_GAIN || view == TurnReward.LOG_POTENTIAL_RATIO || view == TurnReward.PRM;
        boolean observable = model || view == TurnReward.VERIFIER;
        Descriptor d = e.descriptor();
        for (SignalRequirement r : d.requires()) {
            String n = r.name();
            if (STRUCTURE.contains(n)) continue;
            if (MODEL.contains(n)) model = true;
            else observable = true; // policy quantities and anything else a run must produce
            if (POLICY.contains(n)) observable = true;
        }
        if (model && privilegedConfig) return PRIVILEGED;
        return model || observable ? OBSERVABLE : OUTCOME;
    }

    /** The higher of two tiers. */
    public static String max(String a, String b) {
        if (a == null) return b;
        if (b == null) return a;
        return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
    }
}
