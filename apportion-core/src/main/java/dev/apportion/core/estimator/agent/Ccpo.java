package dev.apportion.core.estimator.agent;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * CCPO counterfactual role rewards ({@code ccpo}): a thinker → solver pair is trained with
 * GRPO per role, where the thinker's reward adds a bonus for the difference its hint made
 * against the solver answering alone (the counterfactual), and the solver gets the joint outcome.
 *
 * <h2>Formula</h2>
 * One trajectory per rollout of a prompt (group = the prompt); its {@code outcome} is the
 * verifier score of the joint answer, trajectory signal {@code solo_score} the verifier score of
 * the solver-only answer; the thinker's and the solver's responses are the policy spans whose
 * agent is {@code thinker_agent} / {@code solver_agent}.
 * <ol>
 *   <li>Outcomes {@code o(x) = +1 if x > 0 else −1} for the joint and the solo score.</li>
 *   <li>Solo baseline {@code b}: the group's mean solo outcome
 *       ({@code counterfactual_use_group_solo_baseline}), else the row's own solo outcome.</li>
 *   <li>Bonus: event mode +1 if {@code joint > 0 ∧ b < 0}, −1 if {@code joint < 0 ∧ b > 0},
 *       else 0; otherwise {@code (joint − b)/2}.</li>
 *   <li>{@code r_thinker = joint + λ·bonus}, {@code r_solver = joint}.</li>
 *   <li>GRPO per role over the group: one row → mean 0, std 1; else mean and unbiased std;
 *       {@code A = (r − μ)/(σ + ε)} or {@code r − μ}; broadcast over the role's tokens.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * CCPO, arXiv 2603.21563 (code v2 "Collaborative Credit"); code bhai114/ccpo @
 * ea50d3ae4f6f08affb6528b69b6f40f3493bb0c9,
 * {@code CCPO/examples/gspo_trainer/two_model/two_model_trainer.py}
 * ({@code _verifier_outcome_from_reward}, {@code _compute_counterfactual_role_rewards},
 * {@code _group_mean}, {@code _broadcast_reward_to_role}) and
 * {@code CCPO/verl/trainer/ppo/core_algos.py} {@code compute_grpo_outcome_advantage} with
 * {@code VERL_USE_ROBUST_MEAN_VD_ADV=0} (plain group mean, as every script exports). Fidelity
 * {@code reference}: matches the 8 public golden cases of {@code multi-agent.md} §3.
 *
 * <h2>Parameters and presets</h2>
 * {@code counterfactual_lambda} 0.2, {@code counterfactual_use_group_solo_baseline} true,
 * {@code counterfactual_use_event_bonus} true, {@code norm_adv_by_std_in_grpo} true,
 * {@code epsilon} 1e-6, {@code thinker_agent} "thinker", {@code solver_agent} "solver",
 * {@code solo_signal} "solo_score" (the trajectory signal read for the counterfactual). Preset
 * {@code paper} = the defaults (script group size 16 is a rollout setting).
 *
 * <h2>Edge cases</h2>
 * Any score ≤ 0 is a failure (partial credit 0.5 counts as success, 0 and −0.5 as failure).
 * The robust "GNC-ADAPT-VD" mean the reference uses when the environment variable is unset is
 * not reproduced. The trainer's role alternation (every 10 steps) is outside credit: both roles'
 * advantages are returned. An empty response gets no tokens. A trajectory without outcome or
 * {@code solo_score} is an error. Spans of other agents get 0.
 *
 * <p>Stateless and thread-safe.
 */
public final class Ccpo implements BufferedEstimator {
    public static final String ID = "ccpo";
    /** Trajectory signal: verifier score of the solver-only (counterfactual) answer. */
    public static final String SOLO_SCORE = "solo_score";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("CCPO: counterfactual role rewards for a thinker-solver pair, GRPO per role")
            .source(
                    "CCPO, arXiv 2603.21563; bhai114/ccpo@ea50d3a two_model_trainer.py _compute_counterfactual_role_rewards + core_algos.py")
            .granularity(Granularity.MULTI_AGENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("outcome", "the verifier score of the joint answer"),
                    SignalRequirement.trajectory(SOLO_SCORE, "the verifier score of the solver answering alone"))
            .parameters(
                    ParamSpec.real(
                            "counterfactual_lambda", 0.2, null, null, "weight λ of the thinker's counterfactual bonus"),
                    ParamSpec.bool(
                            "counterfactual_use_group_solo_baseline",
                            true,
                            "baseline = the group's mean solo outcome (else the row's own)"),
                    ParamSpec.bool(
                            "counterfactual_use_event_bonus", true, "bonus +1/-1 on flips (else (joint - baseline)/2)"),
                    ParamSpec.bool("norm_adv_by_std_in_grpo", true, "divide by the group's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                    ParamSpec.string("thinker_agent", "thinker", "agent name of the thinker's spans"),
                    ParamSpec.string("solver_agent", "solver", "agent name of the solver's spans"),
                    ParamSpec.string(
                            "solo_signal", SOLO_SCORE, "trajectory signal holding the solver-only verifier score"))
            .preset("paper", Map.of())
            .summary(
                    "r_thinker = o(joint) + lambda*bonus(o(joint), mean_group o(solo)), r_solver = o(joint); GRPO per role")
            .build();

    /** Per-trajectory values of one call. */
    public record Components(
            double[] jointOutcome,
            double[] soloOutcome,
            double[] rewardThinker,
            double[] rewardSolver,
            double[] advantageThinker,
            double[] advantageSolver) {}

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** The role rewards and advantages of every trajectory. */
    public Components components(Rollouts batch, Params params) {
        int n = batch.trajectoryCount();
        float[] joint = batch.outcome();
        if (joint == null)
            throw new RolloutException(
                    "estimator '" + ID + "' needs each trajectory's outcome (the joint verifier score)", -1, "outcome");
        float[] solo = batch.requireTrajectorySignal(
                params.getString("solo_signal"), ID, "the verifier score of the solver-only answer");
        double lambda = params.getDouble("counterfactual_lambda");
        boolean groupBase = params.getBoolean("counterfactual_use_group_solo_baseline");
        boolean event = params.getBoolean("counterfactual_use_event_bonus");
        double[] jo = new double[n];
        double[] so = new double[n];
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(joint[i])) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID + "' needs the outcome (joint verifier score)",
                        i,
                        "outcome");
            }
            jo[i] = joint[i] > 0 ? 1.0 : -1.0;
            so[i] = solo[i] > 0 ? 1.0 : -1.0;
        }
        int groups = batch.groupCount();
        double[] soloSum = new double[groups];
        int[] count = new int[groups];
        for (int i = 0; i < n; i++) {
            soloSum[batch.trajectoryGroup(i)] += so[i];
            count[batch.trajectoryGroup(i)]++;
        }
        double[] rt = new double[n];
        double[] rs = new double[n];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            double b = groupBase ? soloSum[g] / count[g] : so[i];
            double bonus;
            if (event) bonus = jo[i] > 0 && b < 0 ? 1.0 : (jo[i] < 0 && b > 0 ? -1.0 : 0.0);
            else bonus = (jo[i] - b) / 2.0;
            rt[i] = (float) (jo[i] + lambda * bonus);
            rs[i] = jo[i];
        }
        boolean byStd = params.getBoolean("norm_adv_by_std_in_grpo");
        double eps = params.getDouble("epsilon");
        return new Components(jo, so, rt, rs, grpo(batch, rt, byStd, eps), grpo(batch, rs, byStd, eps));
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Components c = components(batch, params);
        String thinker = params.getString("thinker_agent");
        String solver = params.getString("solver_agent");
        String[] agent = batch.spanAgent();
        float[] adv = AgentOutput.advantages(batch, buffers);
        float[] span = new float[batch.spanCount()];
        int[] tokOff = batch.spanTokenOffsets();
        double[] thinkerAdv = c.advantageThinker();
        double[] solverAdv = c.advantageSolver();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                float v = 0f; // every token is written: 0 outside the thinker's and the solver's spans
                String a = agent == null ? null : agent[s];
                if (batch.isPolicySpan(s) && a != null) {
                    if (a.equals(thinker)) v = (float) thinkerAdv[i];
                    else if (a.equals(solver)) v = (float) solverAdv[i];
                    span[s] = v;
                }
                Arrays.fill(adv, tokOff[s], tokOff[s + 1], v);
            }
        }
        return Credit.builder(adv)
                .spanAdvantages(span)
                .diagnostic("groups", batch.groupCount())
                .build();
    }

    private static double[] grpo(Rollouts batch, double[] r, boolean byStd, double eps) {
        int groups = batch.groupCount();
        double[] sum = new double[groups];
        int[] count = new int[groups];
        for (int i = 0; i < r.length; i++) {
            sum[batch.trajectoryGroup(i)] += r[i];
            count[batch.trajectoryGroup(i)]++;
        }
        double[] ss = new double[groups];
        for (int i = 0; i < r.length; i++) {
            int g = batch.trajectoryGroup(i);
            double d = r[i] - sum[g] / count[g];
            ss[g] += d * d;
        }
        double[] a = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            int g = batch.trajectoryGroup(i);
            double mu = count[g] > 1 ? sum[g] / count[g] : 0.0;
            double sd = count[g] > 1 ? Math.sqrt(ss[g] / (count[g] - 1)) : 1.0;
            a[i] = byStd ? (r[i] - mu) / (sd + eps) : r[i] - mu;
        }
        return a;
    }
}
