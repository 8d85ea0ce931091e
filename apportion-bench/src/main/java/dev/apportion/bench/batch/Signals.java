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

    private Signals() {}

    /** One documented signal. */
    public record Doc(String level, String name, String definition) {}

    /** Every signal with its definition (for results.json and docs/benchmark.md). */
    public static List<Doc> docs() {
        return List.of(
                new Doc("trajectory", "outcome", "terminal reward of the episode (the task's outcome)"),
                new Doc(
                        "trajectory",
                        REWARD_BASELINE,
                        "total return of one greedy rollout (argmax action everywhere) from the "
                                + "group's start state, sampled with the same environment noise; one per group (ReMax baseline)"),
                new Doc(
                        "trajectory",
                        REWARD_REFERENCE,
                        "reward of a reference response of the prompt (LSC): the same greedy "
                                + "rollout return as reward_baseline"),
                new Doc("trajectory", DURATION, "duration of the episode, in turns (one time unit per turn)"),
                new Doc(
                        "span",
                        "reward",
                        "per-step environment reward of the turn (sum over its decisions): distractor rewards, "
                                + "apples, dense verifier rewards; absent when the task pays none"),
                new Doc(
                        "span",
                        "state",
                        "the observation key of the turn (anchor state): equal keys = identical observations; "
                                + "includes the fresh distractor bits where the task has them"),
                new Doc("span", "agent", "the acting agent (multi_agent only)"),
                new Doc(
                        "span",
                        PRM,
                        "process reward model: true success probability after the turn, V_s(s'), + N(0, prm_noise^2) "
                                + "+ prm_bias when the action carries the exploitable feature (agentic: restate), which does not help; "
                                + "clipped to [0, 1]; with prm_clip=false nothing is clipped: noise (x4) and bias (x4) are added to "
                                + "the logit of V_s(s') instead, so the bias is never cut off. Noises scale with signal_noise "
                                + "(0 = privileged, exact)"),
                new Doc(
                        "span",
                        INFO_GAIN,
                        "change of the true success probability over the turn, V_s(s') - V_s(s), "
                                + "+ N(0, info_gain_noise^2) (IGPO-style information gain with the exact success probability)"),
                new Doc(
                        "span",
                        VERIFIER,
                        "step verifier (agentic): 1 iff the call is the next ground-truth tool call "
                                + "(or a complete answer), else 0; exact"),
                new Doc(
                        "span",
                        MC_VALUE,
                        "Monte-Carlo value of the state before the turn as mc_samples rollouts would give it: "
                                + "V(s) + N(0, Var[G|s]/mc_samples), with the exact return variance (VinePPO)"),
                new Doc(
                        "span",
                        CRITIC_VALUE,
                        "a critic's value of the state before the turn, V(s) + N(0, critic_noise^2) (GenAC)"),
                new Doc(
                        "span",
                        SUBPROBLEM_CORRECT,
                        "verdict of the turn's sub-answer (SCRL): the step verifier, on tasks with one"),
                new Doc(
                        "span",
                        Q_VALUE,
                        "a centralised critic's Q of the action played at the turn: V(s) + true turn advantage "
                                + "+ N(0, critic_noise^2) (COMA)"),
                new Doc(
                        "span",
                        COUNTERFACTUAL_BASELINE,
                        "the critic's counterfactual baseline, sum over the acting agent's actions of "
                                + "pi(b|s) Q(s,b) = V(s), + N(0, critic_noise^2) (COMA; other agents' policies fixed)"),
                new Doc(
                        "span",
                        TRUE_ADVANTAGE,
                        "true advantage of the turn, sum over its decisions of Q(s,a) - V(s) under the "
                                + "sampling policy; used ONLY by the oracle reference estimator"),
                new Doc("token", "logprob", "log pi(a|s) of the sampling policy on policy tokens, 0 on context tokens"),
                new Doc("token", "old_logprob", "equal to logprob (batches are sampled on-policy)"),
                new Doc(
                        "token",
                        "ref_logprob",
                        "log-probability under the reference policy = the initial uniform policy"),
                new Doc(
                        "token",
                        "teacher_logprob",
                        "teacher: the policy conditioned on success by Bayes, "
                                + "log pi(a|s) + log Q_s(s,a) - log V_s(s) + N(0, teacher_noise^2); floored at -20; equal to logprob where "
                                + "V_s(s) = 0; exact only in the privileged configuration (signal_noise 0)"),
                new Doc("token", "entropy", "entropy of pi(.|s) on policy tokens, 0 on context tokens"),
                new Doc(
                        "token",
                        "value",
                        "critic: true V(s) (expected total return from the state before the token) "
                                + "+ N(0, critic_noise^2), independently per token; context tokens carry the value of the state they show"),
                new Doc(
                        "token",
                        TRUE_ADVANTAGE,
                        "true advantage Q(s,a) - V(s) of each policy token (token-level truth); "
                                + "used ONLY by the oracle reference estimator"));
    }

    /** {@link #docs()} as JSON-ready maps. */
    public static List<Map<String, Object>> docsAsMaps() {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Doc d : docs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", d.level());
            m.put("name", d.name());
            m.put("definition", d.definition());
            out.add(m);
        }
        return out;
    }
}
