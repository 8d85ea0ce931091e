package dev.apportion.core.estimator.step;

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
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.PaperSteps;
import dev.apportion.core.kernel.StepTokens;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Euphonium's dual-reward GRPO advantage ({@code euphonium}): an outcome advantage (group z-score
 * of each outcome reward) plus a process advantage (group z-score of the process reward at the
 * same step position), each clamped, on the tokens of the step.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} in group {@code g}, outcome rewards {@code R_{i,r}} (each outcome
 * component, or the outcome) and process rewards {@code p_{i,k}} of its steps (policy spans, see
 * {@link PaperSteps}; span signal {@code process_signal}):
 * <pre>
 *   A^O_{i,r} = (R_{i,r} − mean_g R_{·,r}) / (std_g R_{·,r} + ε)
 *   A^P_{i,k} = (p_{i,k} − mean_g p_{·,k}) / (std_g p_{·,k} + ε)      over the group's rollouts that have step k
 *   A_{i,k} = c_O·Σ_r w_r·clamp(A^O_{i,r}, ±c) + c_P·clamp(A^P_{i,k}, ±c)        (mode = both)
 * </pre>
 * {@code mode = none} keeps the outcome term with coefficient 1 ({@code Σ_r w_r·clamp(A^O_r)}),
 * {@code mode = only} the process term with coefficient 1. Standard deviations are unbiased
 * (torch), ε = 1e-8, c = 5.
 *
 * <h2>Source and fidelity</h2>
 * R. Zhong et al., "Euphonium: Steering Video Flow Matching via Process Reward Gradient Guided
 * Stochastic Dynamics", arXiv 2602.04928; code zerzerzerz/Euphonium@4f8a27c
 * {@code euphonium/grpo/grpo_training/trainer.py} (ORA/PRA). The method trains a video flow-matching
 * model: its "steps" are denoising steps, normalized per step index across the group. Fidelity
 * {@code reconstructed}: the statistics follow the code, but two steps are ours: (1) denoising
 * steps become reasoning steps (policy spans) and the per-index statistics use the rollouts that
 * have that step; (2) the reference optimizes one clipped PPO term per advantage
 * ({@code c_O·Σ_r w_r·PPOclip(A^O_r) + c_P·PPOclip(A^P)}), while one advantage per token can only
 * hold their sum, which equals the reference's gradient where no ratio is clipped.
 *
 * <h2>Edge cases</h2>
 * A step without a process reward counts 0, as the reference stores 0 at steps where guidance
 * was not applied. A one-trajectory group or a step index present in a single rollout gets 0 for
 * that term (torch would produce NaN). A trajectory without an outcome (or with a NaN component)
 * is a {@link RolloutException}. {@code reward_weights} must have one weight per outcome
 * component when given (default: all 1).
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class EuphoniumDualReward implements BufferedEstimator {
    /** Values of the {@code mode} parameter (lower-case names on the wire). */
    enum Mode {
        NONE,
        ONLY,
        BOTH
    }

    /** Registry id. */
    public static final String ID = "euphonium";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("dual_reward_grpo")
            .title("Euphonium dual-reward GRPO: clamped outcome z-score + clamped per-step-position process z-score")
            .source(
                    "Zhong et al., arXiv 2602.04928; zerzerzerz/Euphonium@4f8a27c euphonium/grpo/grpo_training/trainer.py")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("outcome", "the outcome reward model(s), or outcome components"),
                    SignalRequirement.span(
                            "prm", "a process reward of each step (or the span signal named by " + "process_signal)"))
            .parameters(
                    ParamSpec.choice(
                            "mode",
                            Mode.BOTH,
                            "none: outcome advantage only; only: process advantage only; both: weighted sum"),
                    ParamSpec.string("process_signal", "prm", "span signal: process reward of the step"),
                    ParamSpec.real("outcome_coef", 1.0, 0.0, null, "c_O, weight of the outcome term in mode both"),
                    ParamSpec.real("process_coef", 1.0, 0.0, null, "c_P, weight of the process term in mode both"),
                    ParamSpec.realList("reward_weights", List.of(), "w_r per outcome component (empty: all 1)"),
                    ParamSpec.real("adv_clip_max", 5.0, 0.0, null, "each advantage is clamped to ±adv_clip_max"),
                    ParamSpec.real("epsilon", 1e-8, 0.0, null, "added to the unbiased group std"))
            .preset(
                    "reference",
                    Map.of(
                            "mode",
                            "both",
                            "outcome_coef",
                            1.0,
                            "process_coef",
                            1.0,
                            "adv_clip_max",
                            5.0,
                            "epsilon",
                            1e-8))
            .preset("outcome_only", Map.of("mode", "none"))
            .preset("process_only", Map.of("mode", "only"))
            .summary("A = c_O·Σ_r w_r·clamp(z_g(R_r)) + c_P·clamp(z_{g,k}(p_k)); z over the group, per step position")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Mode mode = params.getChoice("mode", Mode.class);
        String signal = params.getString("process_signal");
        double cO = params.getDouble("outcome_coef");
        double cP = params.getDouble("process_coef");
        double[] weights = params.getDoubleList("reward_weights");
        double clip = params.getDouble("adv_clip_max");
        double eps = params.getDouble("epsilon");
        int n = batch.trajectoryCount();
        PaperSteps steps = PaperSteps.of(batch);

        double[] outcomeTerm = new double[n];
        if (mode != Mode.ONLY) {
            List<double[]> props = properties(batch);
            if (weights.length != 0 && weights.length != props.size()) {
                throw new IllegalArgumentException("estimator '" + ID + "': reward_weights has " + weights.length
                        + " weights but the batch has " + props.size() + " outcome reward(s)");
            }
            double coef = mode == Mode.BOTH ? cO : 1.0;
            for (int r = 0; r < props.size(); r++) {
                double w = weights.length == 0 ? 1.0 : weights[r];
                double[] z = GroupZScores.ofGroupMembers(batch, props.get(r), 1.0, true, eps);
                for (int i = 0; i < n; i++) outcomeTerm[i] += coef * w * clamp(z[i], clip);
            }
        }
        double[] adv = new double[steps.total()];
        for (int k = 0; k < adv.length; k++) adv[k] = outcomeTerm[steps.trajectory(k)];
        if (mode != Mode.NONE) {
            double[] p = steps.signal(batch, signal, ID, "a process reward of the step", true);
            for (int k = 0; k < p.length; k++) if (Double.isNaN(p[k])) p[k] = 0.0;
            double coef = mode == Mode.BOTH ? cP : 1.0;
            int[] start = batch.groupMemberStart();
            int[] members = batch.groupMembers();
            for (int g = 0; g < batch.groupCount(); g++) {
                int positions = 0;
                for (int j = start[g]; j < start[g + 1]; j++) positions = Math.max(positions, steps.count(members[j]));
                for (int pos = 0; pos < positions; pos++) {
                    int m = 0;
                    double sum = 0;
                    for (int j = start[g]; j < start[g + 1]; j++) {
                        int i = members[j];
                        if (pos < steps.count(i)) {
                            m++;
                            sum += p[steps.start(i) + pos];
                        }
                    }
                    if (m < 2) continue;
                    double mean = sum / m;
                    double ss = 0;
                    for (int j = start[g]; j < start[g + 1]; j++) {
                        int i = members[j];
                        if (pos < steps.count(i))
                            ss += (p[steps.start(i) + pos] - mean) * (p[steps.start(i) + pos] - mean);
                    }
                    double sd = Math.sqrt(ss / (m - 1)) + eps;
                    for (int j = start[g]; j < start[g + 1]; j++) {
                        int i = members[j];
                        if (pos < steps.count(i)) {
                            int k = steps.start(i) + pos;
                            adv[k] += coef * clamp((p[k] - mean) / sd, clip);
                        }
                    }
                }
            }
        }
        float[] out = StepCredit.advantages(batch, buffers);
        StepTokens.write(batch, steps, adv, out, execution);
        return Credit.builder(out)
                .spanAdvantages(steps.spanValues(batch, adv))
                .diagnostic("steps", adv.length)
                .build();
    }

    private static double clamp(double x, double c) {
        return Math.max(-c, Math.min(c, x));
    }

    /** Outcome components (insertion order) or the outcome, each complete. */
    private static List<double[]> properties(Rollouts batch) {
        List<double[]> out = new ArrayList<>();
        Map<String, float[]> comps = batch.outcomeComponents();
        if (comps.isEmpty()) {
            out.add(Capo.requireOutcome(batch, ID, "the outcome reward"));
            return out;
        }
        for (Map.Entry<String, float[]> e : comps.entrySet()) {
            double[] v = new double[batch.trajectoryCount()];
            for (int i = 0; i < v.length; i++) {
                if (Float.isNaN(e.getValue()[i])) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "' needs outcome." + e.getKey()
                                    + " but it is absent",
                            i,
                            "outcome." + e.getKey());
                }
                v[i] = e.getValue()[i];
            }
            out.add(v);
        }
        return out;
    }
}
