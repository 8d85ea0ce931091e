package dev.apportion.bench.batch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Names and definitions of every signal a benchmark batch carries (what the task produces for
 * the estimators). Values are exact quantities of the solved MDP under the sampling policy,
 * plus controlled noise where stated. "Turn" = one context span followed by one policy span.
 */
public final class Signals {
    /** Span signal: the true advantage of the turn; read ONLY by the {@code oracle} reference estimator. */
    public static final String TRUE_ADVANTAGE = "true_advantage";
    /** Span signal: process reward model score. */
    public static final String PRM = "prm";
    /** Span signal: information gain. */
    public static final String INFO_GAIN = "info_gain";
    /** Span signal: step verifier verdict (tasks with a verifier). */
    public static final String VERIFIER = "verifier";
    /** Span signal: Monte-Carlo value of the state before the turn (VinePPO). */
    public static final String MC_VALUE = "mc_value";
    /** Span signal: a critic's value of the state before the turn (GenAC). */
    public static final String CRITIC_VALUE = "critic_value";
    /** Span signal: verdict of the turn's sub-answer (SCRL), the step verifier. */
    public static final String SUBPROBLEM_CORRECT = "subproblem_correct";
    /** Span signal: a centralised critic's Q of the action played at the turn (COMA). */
    public static final String Q_VALUE = "q_value";
    /** Span signal: the critic's counterfactual baseline Σ_b π(b|s) Q(s,b) = V(s) (COMA). */
    public static final String COUNTERFACTUAL_BASELINE = "counterfactual_baseline";
    /** Trajectory signal: duration of the episode (turns). */
    public static final String DURATION = "duration";
    /** Trajectory signal: reward of a reference response (LSC), the greedy rollout's return. */
    public static final String REWARD_REFERENCE = "reward_reference";
    /** Trajectory signal: reward of a greedy rollout (ReMax baseline). */
    public static final String REWARD_BASELINE = "reward_baseline";

    /** Span signals: ArCHer's double critic, Q heads at the turn's (sampled) action and V heads at its state. */
    public static final String CRITIC_Q1_PI = "critic_q1_pi";

    public static final String CRITIC_Q2_PI = "critic_q2_pi";
    public static final String CRITIC_V1 = "critic_v1";
    public static final String CRITIC_V2 = "critic_v2";
    /** Span signal: a generative PRM's verdict on the turn, +1 correct / -1 incorrect (TP-GRPO). */
    public static final String PRM_LABEL = "prm_label";
    /** The PRM score at and above which {@link #PRM_LABEL} says "correct". */
    public static final double PRM_LABEL_THRESHOLD = 0.5;
    /** Span signals: the group's prefix tree (AT²PO; SPO-tree reads the node as its state key). */
    public static final String TREE_NODE = "tree_node";

    public static final String TREE_PARENT = "tree_parent";
    public static final String TREE_ENTROPY = "tree_entropy";
    /** Token signal: an implicit PRM's token reward β·(teacher_logprob − logprob) (ITPO, PRIME). */
    public static final String RM_SCORE = "rm_score";
    /** β of {@link #RM_SCORE}: PRIME's implicit-PRM coefficient. */
    public static final double RM_SCORE_BETA = 0.05;
    /** Trajectory signal: the reward function's accuracy metric, 1 on success (ITPO). */
    public static final String ACCURACY = "accuracy";
    /** Trajectory signal: the response's length in policy tokens (ITPO's token_amount metric). */
    public static final String TOKEN_AMOUNT = "token_amount";

    /** Token signals {@code value_h0 .. value_h3}: the value heads of a multi-timescale critic (target-decoupled GAE). */
    public static final String VALUE_HEAD_PREFIX = "value_h";
    /** Discount of each value head: the defaults of {@code target_decoupled_gae}'s {@code gammas}. */
    public static final double[] VALUE_HEAD_GAMMAS = {0.5, 0.9, 0.99, 0.999};

    /** Signals a batch derives on demand ({@link SampledBatch#rollouts(TurnReward, boolean)}). */
    public static final java.util.Set<String> DERIVED = java.util.Set.of(
            CRITIC_Q1_PI,
            CRITIC_Q2_PI,
            CRITIC_V1,
            CRITIC_V2,
            PRM_LABEL,
            TREE_NODE,
            TREE_PARENT,
            TREE_ENTROPY,
            RM_SCORE,
            ACCURACY,
            TOKEN_AMOUNT,
            "value_h0",
            "value_h1",
            "value_h2",
            "value_h3");

    /** True when an estimator declaring {@code d}'s requirements reads a derived signal. */
    public static boolean needsDerived(dev.apportion.core.credit.Descriptor d) {
        for (dev.apportion.core.credit.SignalRequirement r : d.requires()) if (DERIVED.contains(r.name())) return true;
        return false;
    }

    /** Tier labels of the signal documentation (see the bench's {@code Tiers}). */
    static final String OUTCOME = "outcome";

    static final String OBSERVABLE = "observable";
    static final String MODEL = "observable (noisy); privileged at signal_noise 0";
    static final String PRIVILEGED = "privileged";

    private Signals() {}

    /**
     * One documented signal.
     *
     * @param tier what a real run needs to have it: {@code outcome} (rewards and structure),
     *     {@code observable} (the policy's own quantities, a verifier), a model-derived signal
     *     (noisy by default, exact in the privileged configuration), or {@code privileged}
     */
    public record Doc(String level, String name, String definition, String tier) {}

    /** Every signal with its definition (for results.json and docs/benchmark.md). */
    public static List<Doc> docs() {
        return List.of(
                new Doc("trajectory", "outcome", "terminal reward of the episode (the task's outcome)", OUTCOME),
                new Doc(
                        "trajectory",
                        REWARD_BASELINE,
                        "total return of one greedy rollout (argmax action everywhere) from the "
                                + "group's start state, sampled with the same environment noise; one per group (ReMax baseline)",
                        OBSERVABLE),
                new Doc(
                        "trajectory",
                        REWARD_REFERENCE,
                        "reward of a reference response of the prompt (LSC): the same greedy "
                                + "rollout return as reward_baseline",
                        OBSERVABLE),
                new Doc("trajectory", DURATION, "duration of the episode, in turns (one time unit per turn)", OUTCOME),
                new Doc(
                        "span",
                        "reward",
                        "per-step environment reward of the turn (sum over its decisions): distractor rewards, "
                                + "apples, dense verifier rewards; absent when the task pays none",
                        OUTCOME),
                new Doc(
                        "span",
                        "state",
                        "the observation key of the turn (anchor state): equal keys = identical observations; "
                                + "includes the fresh distractor bits where the task has them",
                        OUTCOME),
                new Doc("span", "agent", "the acting agent (multi_agent only)", OUTCOME),
                new Doc(
                        "span",
                        PRM,
                        "process reward model: true success probability after the turn, V_s(s'), + N(0, prm_noise^2) "
                                + "+ prm_bias when the action carries the exploitable feature (agentic: restate), which does not help; "
                                + "clipped to [0, 1]; with prm_clip=false nothing is clipped: noise (x4) and bias (x4) are added to "
                                + "the logit of V_s(s') instead, so the bias is never cut off. Noises scale with signal_noise "
                                + "(0 = privileged, exact)",
                        MODEL),
                new Doc(
                        "span",
                        INFO_GAIN,
                        "change of the true success probability over the turn, V_s(s') - V_s(s), "
                                + "+ N(0, info_gain_noise^2) (IGPO-style information gain with the exact success probability)",
                        MODEL),
                new Doc(
                        "span",
                        VERIFIER,
                        "step verifier (agentic): 1 iff the call is the next ground-truth tool call "
                                + "(or a complete answer), else 0; exact",
                        OBSERVABLE),
                new Doc(
                        "span",
                        MC_VALUE,
                        "Monte-Carlo value of the state before the turn as mc_samples rollouts would give it: "
                                + "V(s) + N(0, Var[G|s]/mc_samples), with the exact return variance (VinePPO)",
                        MODEL),
                new Doc(
                        "span",
                        CRITIC_VALUE,
                        "a critic's value of the state before the turn, V(s) + N(0, critic_noise^2) (GenAC)",
                        MODEL),
                new Doc(
                        "span",
                        SUBPROBLEM_CORRECT,
                        "verdict of the turn's sub-answer (SCRL): the step verifier, on tasks with one",
                        OBSERVABLE),
                new Doc(
                        "span",
                        Q_VALUE,
                        "a centralised critic's Q of the action played at the turn: V(s) + true turn advantage "
                                + "+ N(0, critic_noise^2) (COMA)",
                        MODEL),
                new Doc(
                        "span",
                        COUNTERFACTUAL_BASELINE,
                        "the critic's counterfactual baseline, sum over the acting agent's actions of "
                                + "pi(b|s) Q(s,b) = V(s), + N(0, critic_noise^2) (COMA; other agents' policies fixed)",
                        MODEL),
                new Doc(
                        "span",
                        TRUE_ADVANTAGE,
                        "true advantage of the turn, sum over its decisions of Q(s,a) - V(s) under the "
                                + "sampling policy; used ONLY by the oracle reference estimator",
                        PRIVILEGED),
                new Doc(
                        "token",
                        "logprob",
                        "log pi(a|s) of the sampling policy on policy tokens, 0 on context tokens",
                        OBSERVABLE),
                new Doc("token", "old_logprob", "equal to logprob (batches are sampled on-policy)", OBSERVABLE),
                new Doc(
                        "token",
                        "ref_logprob",
                        "log-probability under the reference policy = the initial uniform policy",
                        OBSERVABLE),
                new Doc(
                        "token",
                        "teacher_logprob",
                        "teacher: the policy conditioned on success by Bayes, "
                                + "log pi(a|s) + log Q_s(s,a) - log V_s(s) + N(0, teacher_noise^2); floored at -20; equal to logprob where "
                                + "V_s(s) = 0; exact only in the privileged configuration (signal_noise 0)",
                        MODEL),
                new Doc("token", "entropy", "entropy of pi(.|s) on policy tokens, 0 on context tokens", OBSERVABLE),
                new Doc(
                        "token",
                        "value",
                        "critic: true V(s) (expected total return from the state before the token) "
                                + "+ N(0, critic_noise^2), independently per token; context tokens carry the value of the state they show",
                        MODEL),
                new Doc(
                        "token",
                        TRUE_ADVANTAGE,
                        "true advantage Q(s,a) - V(s) of each policy token (token-level truth); "
                                + "used ONLY by the oracle reference estimator",
                        PRIVILEGED),
                new Doc(
                        "trajectory",
                        ACCURACY,
                        "the reward function's accuracy metric: 1 on success, else 0 (ITPO)",
                        OUTCOME),
                new Doc(
                        "trajectory",
                        TOKEN_AMOUNT,
                        "the reward function's token-amount metric: the episode's response length in policy tokens (ITPO)",
                        OUTCOME),
                new Doc(
                        "span",
                        CRITIC_Q1_PI,
                        "ArCHer critic Q head 1 at the turn's action: the same noisy critic as q_value (V(s) + true turn "
                                + "advantage + N(0, critic_noise^2)); the batch is on-policy, so the played action is the sampled one",
                        MODEL),
                new Doc(
                        "span",
                        CRITIC_Q2_PI,
                        "ArCHer critic Q head 2: V(s) + true turn advantage + independent N(0, critic_noise^2)",
                        MODEL),
                new Doc(
                        "span",
                        CRITIC_V1,
                        "ArCHer critic V head 1: the same noisy critic as counterfactual_baseline",
                        MODEL),
                new Doc("span", CRITIC_V2, "ArCHer critic V head 2: V(s) + independent N(0, critic_noise^2)", MODEL),
                new Doc(
                        "span",
                        PRM_LABEL,
                        "a generative PRM's verdict (TP-GRPO): +1 when the noisy PRM score is >= 0.5 (the step keeps "
                                + "the solution more likely right than wrong), else -1",
                        MODEL),
                new Doc(
                        "span",
                        TREE_NODE,
                        "the group's prefix tree (AT2PO; SPO-tree reads it as its state key 'n<id>'): trajectories of a "
                                + "group share a node while they saw the same observations and took the same actions; each "
                                + "trajectory's last turn is its own leaf. Built from the group's own episodes: no extra rollout",
                        OUTCOME),
                new Doc("span", TREE_PARENT, "the parent of the turn's tree node, -1 under the prompt", OUTCOME),
                new Doc(
                        "span",
                        TREE_ENTROPY,
                        "mean negative log-prob of the turn's policy tokens under the sampling policy (AT2PO's child_softmax)",
                        OBSERVABLE),
                new Doc(
                        "token",
                        RM_SCORE,
                        "implicit PRM token reward (ITPO, PRIME): 0.05 * (teacher_logprob - logprob) on policy tokens, "
                                + "0 on context tokens: the same noisy teacher log-ratio log Q_s - log V_s + noise",
                        MODEL),
                new Doc(
                        "token",
                        "value_h0..value_h3",
                        "multi-timescale critic (target_decoupled_gae): head k = the discounted value V_gamma_k(s) of the "
                                + "state before the token (gamma = 0.5, 0.9, 0.99, 0.999; one step per decision, the outcome "
                                + "undiscounted with the last decision's reward) + N(0, critic_noise^2) per token and head; "
                                + "context tokens show the value of the state they observe",
                        MODEL));
    }

    /** {@link #docs()} as JSON-ready maps. */
    public static List<Map<String, Object>> docsAsMaps() {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Doc d : docs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", d.level());
            m.put("name", d.name());
            m.put("definition", d.definition());
            m.put("tier", d.tier());
            out.add(m);
        }
        return out;
    }
}
