package dev.apportion.bench.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.Suite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code report} object of results.json: one entry per item of the reporting checklist
 * (survey arXiv 2604.09459, reconstructed in benchmarks-and-survey.md §1.8 (b)), filled from
 * what the run did. Keys: credit_unit, feedback_sources, requirements, baselines, overhead,
 * seeds, intervals, ablation, credit_quality_measure, causal_checks, stability, reward_hacking,
 * horizon_and_stochasticity, multi_agent, release, confounds_held_equal, tuning_parity,
 * feedback_reliability, evaluation_protocol, base_models. Items a results file does not have (files
 * written before an item existed) are null and are left out when written or shown.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Checklist(
        @JsonProperty("credit_unit") String creditUnit,
        @JsonProperty("feedback_sources") String feedbackSources,
        Requirements requirements,
        Baselines baselines,
        String overhead,
        Seeds seeds,
        String intervals,
        String ablation,
        @JsonProperty("credit_quality_measure") String creditQualityMeasure,
        @JsonProperty("causal_checks") String causalChecks,
        String stability,
        @JsonProperty("reward_hacking") String rewardHacking,
        @JsonProperty("horizon_and_stochasticity") HorizonAndStochasticity horizonAndStochasticity,
        @JsonProperty("multi_agent") String multiAgent,
        String release,
        @JsonProperty("confounds_held_equal") String confoundsHeldEqual,
        @JsonProperty("tuning_parity") String tuningParity,
        @JsonProperty("feedback_reliability") String feedbackReliability,
        @JsonProperty("evaluation_protocol") String evaluationProtocol,
        @JsonProperty("base_models") String baseModels) {

    /** The signals each estimator declares. */
    public record Requirements(
            String note, @JsonProperty("by_estimator") Map<String, List<String>> byEstimator) {}

    /** The outcome-level baselines and references of the run, and how compute is matched. */
    public record Baselines(
            @JsonProperty("outcome_level_baselines") List<String> outcomeLevelBaselines,
            List<String> references,
            @JsonProperty("matched_compute") String matchedCompute) {}

    /** Seeds and how they are used. */
    public record Seeds(
            @JsonProperty("root_seed") long rootSeed,
            @JsonProperty("credit_quality_seeds") int creditQualitySeeds,
            @JsonProperty("learning_seeds") int learningSeeds,
            @JsonProperty("batches_per_seed") int batchesPerSeed,
            @JsonProperty("episodes_per_batch") int episodesPerBatch,
            String evaluation,
            List<String> notes) {}

    /** The horizon and transition noise of every controlled task. */
    public record HorizonAndStochasticity(
            @JsonProperty("controlled_tasks") List<String> controlledTasks, String note) {}

    /** The keys, in checklist order. */
    public static final List<String> KEYS = List.of(
            "credit_unit",
            "feedback_sources",
            "requirements",
            "baselines",
            "overhead",
            "seeds",
            "intervals",
            "ablation",
            "credit_quality_measure",
            "causal_checks",
            "stability",
            "reward_hacking",
            "horizon_and_stochasticity",
            "multi_agent",
            "release",
            "confounds_held_equal",
            "tuning_parity",
            "feedback_reliability",
            "evaluation_protocol",
            "base_models");

    private static final List<String> OUTCOME_BASELINES = List.of(
            "grpo",
            "dr_grpo",
            "rloo",
            "reinforce_plus_plus",
            "reinforce_plus_plus_baseline",
            "remax",
            "gpg",
            "opo",
            "dapo",
            "grpo_passk");

    /** The checklist of a run. */
    static Checklist of(BenchResult r) {
        Suite s = r.suite();
        String creditUnit =
                "turn: a context span (the observation, obs_tokens tokens) followed by a policy span (the action: "
                        + "tokens_per_turn tokens, of which one is decisive in the token-level variant). Turn credit is the estimator's "
                        + "span advantage when it gives one, else the mean advantage over the turn's policy tokens; token_* metrics "
                        + "compare per token; agent_spearman compares per-agent sums (multi_agent).";
        String feedbackSources = "all available at training time only, none at inference: terminal outcome; per-step "
                + "environment rewards (distractors, apples, optional verifier rewards); critic value = true V + noise; PRM = true "
                + "success probability after the turn + noise + an exploitable bias; information gain = exact change of success "
                + "probability; privileged teacher = exact policy conditioned on success; step verifier (agentic); greedy-rollout "
                + "baseline. Definitions: the 'signals' list of this file.";
        Map<String, List<String>> req = new LinkedHashMap<>();
        for (BenchResult.EstimatorInfo e : r.estimators())
            req.put(e.ref().label(), e.requires().isEmpty() ? List.of("any reward") : e.requires());
        Requirements requirements = new Requirements(
                "signals each estimator declares; estimators whose signals a task lacks are skipped there (see 'skipped'). "
                        + "No estimator needs branchable states: the simulator's exact solver is used only for the truth and the oracle.",
                req);
        List<String> base = new ArrayList<>();
        for (BenchResult.EstimatorInfo e : r.estimators())
            if (OUTCOME_BASELINES.contains(e.id())) base.add(e.ref().label());
        Baselines baselines = new Baselines(
                base,
                List.of("oracle (exact true advantage: the ceiling)", "random (noise: the floor)"),
                "credit quality: every estimator scores the very same sampled batches; learning: same sampler, "
                        + "same update rule, same budget of "
                        + s.learning().updates() * s.learning().episodesPerUpdate()
                        + " episodes per run for every estimator");

        String overhead =
                "per batch the task produces one extra greedy rollout per group (reward_baseline); critic, PRM, "
                        + "information gain and teacher signals are computed exactly by the simulator at no rollout cost. Measured "
                        + "assign() time per batch per estimator is in the top-level 'timing' object (not covered by determinism).";
        Seeds seeds = new Seeds(
                r.rootSeed(),
                s.seeds(),
                s.learningSeeds(),
                s.batches(),
                s.groups() * s.groupSize(),
                "learning curves are evaluated exactly (success probability by backward induction), not by sampling",
                s.notes());

        String intervals =
                "95% Student-t intervals over seeds: mean ± t(0.975, n-1)·sd/√n; per-seed values are stored next to "
                        + "every mean; claims use differences paired by seed (same task instance and batches).";
        String ablation =
                "the credit is the only thing that varies in the learning comparison (sampler, update, budget fixed); "
                        + "task knobs ablate the environment: horizon, number and position of decisive turns, distractor reward noise, "
                        + "aliasing, transition noise, tokens per turn, PRM bias, verifier rewards, number of agents.";
        String creditQualityMeasure =
                "Spearman rank correlation between turn credit and the exact true advantage; sign "
                        + "agreement on decisive turns; AUROC of |credit| for decisive vs irrelevant turns; leakage = mean |credit| on "
                        + "irrelevant / decisive turns; credit noise = share of credit variance not explained by the (state, action) "
                        + "decision across resampled batches.";
        String causalChecks =
                "the truth is interventional: Q(s,a) is the exact expected return after intervening on the "
                        + "action in the known model (other agents' policies fixed), and decisive/irrelevant labels come from the spread "
                        + "of Q over actions, so correlation-only credit (e.g. outcome broadcast) scores badly on irrelevant turns.";
        String stability =
                "learning curves with 95% bands (exact success after every update), final success, episodes to "
                        + "threshold (censored at the budget, with the share of seeds that reached it), and credit noise across "
                        + "resampled batches. Entropy and length effects: the tabular policy has fixed-length turns; policy entropy is "
                        + "given to estimators as a token signal but not reported separately.";
        String rewardHacking =
                "the agentic task's PRM adds prm_bias to the restate action, which never helps; estimators "
                        + "consuming 'prm' can be hacked, visible as a lower learning curve; the claim on PURE min-form vs sum-form "
                        + "credit tests this when the estimator is available.";
        List<String> horizon = new ArrayList<>();
        for (ConfigResult c : r.configs()) {
            Object h = c.metadata().get("horizon");
            if (h instanceof Map)
                horizon.add(c.id() + ": " + ((Map<?, ?>) h).get("max_turns") + " turns, "
                        + (Boolean.TRUE.equals(c.metadata().get("stochastic_transitions"))
                                ? "stochastic"
                                : "deterministic")
                        + " transitions");
        }
        HorizonAndStochasticity horizonAndStochasticity = new HorizonAndStochasticity(
                horizon,
                "horizon behaviour: the bifurcation horizon sweep (claim outcome_only_credit_degrades_with_horizon), "
                        + "umbrella chain_length and key_to_door length; stochasticity: transition_noise, tool_failure, random apples.");

        String multiAgent =
                "multi_agent task: agents act in turns on one shared outcome; intra-agent credit is scored per turn "
                        + "as everywhere, inter-agent credit by agent_spearman (per-agent summed credit vs the exact per-agent "
                        + "counterfactual advantage, other agents' policies held fixed); interaction effect: a follower's match matters "
                        + "only when the leader chose well.";
        String release =
                "code: module apportion-bench of apportion (version and git commit under 'provenance'); configuration: "
                        + "the suite and claims are recorded in this file; data: generated from the seeds, no external data; reproduce "
                        + "with 'apportion bench --suite " + s.name() + "' and the same seeds.";
        String confoundsHeldEqual =
                "one policy-gradient update for every estimator (advantages times loss weights, divided by "
                        + "their root mean square over the batch's policy tokens; no clipping, no KL, no length normalisation), the same "
                        + "sampler and the same episode budget; extra rollouts an estimator needs (greedy baselines, Monte-Carlo values) are "
                        + "charged to that budget; every estimator sees the same episode score (outcome plus step rewards).";
        String tuningParity =
                "each estimator's learning rate on each task is chosen from the grid " + s.learningRateGrid()
                        + " by mean learn_auc over " + s.tuningSeeds()
                        + " tuning seeds disjoint from the reported ones (results: "
                        + "learning.*.learning_rate and tuning_learn_auc_by_rate); estimator parameters stay at their defaults, and the "
                        + "claims ablate the knobs they concern (GiGPO step_weight, PURE's step weighting).";
        String feedbackReliability = "model-derived signals carry controlled noise (critic_noise, prm_noise, prm_bias, "
                + "info_gain_noise, teacher_noise, all scaled by signal_noise; the full suite sweeps signal_noise, 0 being the "
                + "privileged exact configuration); the step verifier is exact; leaderboard rows state their signal tier.";
        String evaluationProtocol =
                "success probability and expected return evaluated exactly by backward induction after "
                        + "every update (no decoding, no sampling error, no contamination: tasks are generated from seeds); credit "
                        + "quality against the exact advantage on the very batches the estimators saw.";
        String baseModels =
                "not applicable: tabular softmax policies on exactly solvable tasks (a stated limitation; the lm "
                        + "family of the design is out of this module's scope).";
        return new Checklist(
                creditUnit,
                feedbackSources,
                requirements,
                baselines,
                overhead,
                seeds,
                intervals,
                ablation,
                creditQualityMeasure,
                causalChecks,
                stability,
                rewardHacking,
                horizonAndStochasticity,
                multiAgent,
                release,
                confoundsHeldEqual,
                tuningParity,
                feedbackReliability,
                evaluationProtocol,
                baseModels);
    }
}
