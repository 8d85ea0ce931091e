package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * TP-GRPO ({@code tp_grpo}): thought-level process rewards from a generative PRM added to the
 * GRPO outcome advantage, scaled by the model's current ability on the problem.
 *
 * <h2>Inputs</h2>
 * The steps of a trajectory are its policy spans. The generative PRM's verdict on each step is
 * the span signal {@code label_signal} (default {@code prm_label}): positive = correct step,
 * negative = incorrect step, 0 or NaN = not judged. The PRM (which judges from intrinsic cues of
 * the solution and the reference answer) runs upstream; its outputs are the input here.
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Thoughts: maximal runs of consecutive judged steps with the same verdict sign
 *       {@code s_θ ∈ {+1, −1}}; an unjudged step ends a run and gets no process reward.</li>
 *   <li>Ability: {@code p} = the share of the group's trajectories whose score
 *       ({@link Rollouts#scores()}) is above {@code correct_threshold} (group accuracy).</li>
 *   <li>Ability-adaptive thought reward: {@code ρ_θ = λ·(1 − p)} for a correct thought and
 *       {@code ρ_θ = −λ·p} for an incorrect one: a weak model ({@code p} low) is rewarded for
 *       correct thoughts and barely penalised for wrong ones (exploration), a strong model is
 *       penalised for errors and gets little for routine correct steps (exploitation).</li>
 *   <li>Token advantage: {@code A_t = Â_i + ρ_{θ(t)}} with
 *       {@code Â_i = (R_i − mean)/(std + ε)} the GRPO advantage (unbiased std; 0 for a
 *       one-trajectory group).</li>
 *   <li>Key-token guard ({@code sign_guard}, default on): when {@code Â_i ≠ 0} and adding
 *       {@code ρ} flips the sign, {@code A_t = 0}: a process reward may weaken but never invert
 *       the outcome's direction. With {@code Â_i = 0} (all-equal groups) {@code A_t = ρ}.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * T. He, R. Mu, L. Liao, Y. Cao, M. Liu, B. Qin, "Good Learners Think Their Thinking:
 * Generative PRM Makes Large Reasoning Model More Efficient Math Learner", arXiv 2507.23317
 * (ICLR 2026 as "Smarter Not Harder: Generative Process Evaluation with Intrinsic-Signal
 * Driving and Ability-Adaptive Reward Shaping"). Fidelity {@code reconstructed}: the merge of
 * contiguous same-verdict steps into thoughts follows the paper; the paper's reward formula was
 * not available here (code at cs-holder/tp_grpo not reachable). Invented: the ability weights
 * {@code λ(1−p)} / {@code λp} with {@code λ = 0.5}, the additive combination with the GRPO
 * advantage, the sign guard's clamp to 0, {@code correct_threshold = 0.5}, ε = 1e-6.
 *
 * <p>Under this additive per-token form a thought's reward equals the reward each of its steps
 * would get alone: the merge fixes the units (diagnostic {@code thoughts}, the boundaries of the
 * span advantages), not the values. A form in which merging changes the values needs the
 * paper's exact formula.
 *
 * <h2>Edge cases</h2>
 * Context tokens get 0. A trajectory with no judged step gets {@code Â_i} on every policy
 * token. A missing label signal is an error naming the signal.
 *
 * <p>Stateless and thread-safe.
 */
public final class TpGrpo implements BufferedEstimator {
    static final String ID = "tp_grpo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("TP-GRPO: ability-adaptive thought-level GenPRM rewards added to GRPO")
            .source(
                    "He et al., Good Learners Think Their Thinking: Generative PRM Makes Large Reasoning Model More Efficient "
                            + "Math Learner, arXiv 2507.23317 (ICLR 2026)")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.span(
                    "prm_label", "a generative PRM's verdict per step (+1 correct, -1 incorrect)"))
            .parameters(
                    ParamSpec.string("label_signal", "prm_label", "span signal with the PRM verdict of each step"),
                    ParamSpec.real("lambda", 0.5, 0.0, null, "scale of the thought rewards"),
                    ParamSpec.real(
                            "correct_threshold",
                            0.5,
                            null,
                            null,
                            "a score above this counts as solved (group accuracy p)"),
                    ParamSpec.bool(
                            "sign_guard", true, "clamp to 0 a token advantage whose sign the process reward flips"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"))
            .preset("paper", Map.of("lambda", 0.5, "sign_guard", true))
            .summary(
                    "A_t = z_group(R_i) + ρ_θ(t), ρ = λ(1−p) for a correct thought, −λp for an incorrect one; sign kept")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' advantages is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String name = params.getString("label_signal");
        float[] label = batch.spanSignal(name);
        if (label == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs the span signal '" + name
                            + "' (a generative PRM's verdict per step), which the batch lacks",
                    -1,
                    "spans[].signals." + name);
        }
        double lambda = params.getDouble("lambda");
        double threshold = params.getDouble("correct_threshold");
        boolean guard = params.getBoolean("sign_guard");
        double eps = params.getDouble("epsilon");
        int n = batch.trajectoryCount();
        double[] scores = batch.scores();
        double[] base = new double[n];
        double[] ability = new double[n];
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            double mean = 0;
            int solved = 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                mean += scores[members[k]];
                if (scores[members[k]] > threshold) solved++;
            }
            mean /= size;
            double var = 0;
            for (int k = start[g]; k < start[g + 1]; k++)
                var += (scores[members[k]] - mean) * (scores[members[k]] - mean);
            double std = size > 1 ? Math.sqrt(var / (size - 1)) : 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                base[i] = size > 1 ? (scores[i] - mean) / (std + eps) : 0.0;
                ability[i] = (double) solved / size;
            }
        }
        float[] adv = buffers == null ? new float[batch.tokenCount()] : buffers.advantages(batch.tokenCount());
        float[] spanAdv = new float[batch.spanCount()];
        int thoughts = 0;
        int flipped = 0;
        for (int i = 0; i < n; i++) {
            double p = ability[i];
            int prevSign = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (batch.spanRole(s) != Role.POLICY) {
                    java.util.Arrays.fill(adv, batch.spanTokenStart(s), batch.spanTokenEnd(s), 0f);
                    continue;
                }
                float l = label[s];
                int sign = Float.isNaN(l) || l == 0f ? 0 : (l > 0 ? 1 : -1);
                if (sign != 0 && sign != prevSign) thoughts++;
                prevSign = sign;
                double rho = sign > 0 ? lambda * (1 - p) : sign < 0 ? -lambda * p : 0.0;
                double a = base[i] + rho;
                if (guard && base[i] != 0 && Math.signum(a) != Math.signum(base[i])) {
                    a = 0.0;
                    flipped++;
                }
                spanAdv[s] = (float) a;
                java.util.Arrays.fill(adv, batch.spanTokenStart(s), batch.spanTokenEnd(s), (float) a);
            }
        }
        return Credit.builder(adv)
                .spanAdvantages(spanAdv)
                .diagnostic("thoughts", thoughts)
                .diagnostic("guarded_steps", flipped)
                .build();
    }
}
