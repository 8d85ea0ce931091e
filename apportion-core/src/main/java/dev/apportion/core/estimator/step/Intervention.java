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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * InT, intervention training ({@code int}): credit by first-error localisation. For a failed
 * rollout, the model compares its own trace with a reference solution, localises the first
 * erroneous step {@code k*} and proposes a one-step intervention to replace it; the training
 * target is the prefix {@code steps_{<k*}} followed by the intervention, and everything from
 * {@code k*} on is left out. The credit step is where that cut falls.
 *
 * <h2>Inputs</h2>
 * The steps are the trajectory's policy spans, in order. The model's outputs, computed
 * upstream: the span signal {@code error_signal} (default {@code first_error}), positive on the
 * step the model localised as the first error, so {@code k*} = the first policy span where it
 * is positive (none: no error found); and, optionally, the trajectory signal
 * {@code intervention_signal} (default {@code intervention_success}) = the success rate of
 * continuations rolled out from {@code prefix_{<k*} ⊕ intervention} (NaN: not measured).
 *
 * <h2>Formula</h2>
 * A trajectory is used when it failed (score ({@link Rollouts#scores()}) at most
 * {@code failure_threshold}), an error was located, and (when the signal is present) its
 * intervention succeeded: {@code intervention_success > min_intervention_success}. For a used
 * trajectory every token of steps {@code 0..k*−1} gets advantage 1 and loss weight 1 (the SFT
 * target: the negative log-likelihood is the policy gradient with advantage 1); step {@code k*}
 * gets {@code error_step_credit} (default 0: the erroneous step is replaced by the intervention,
 * whose tokens are not part of the rollout) and loss weight 1 when that is non-zero; later steps
 * get 0 and loss weight 0. Unused trajectories get 0 everywhere. The intervention itself is new
 * text: a trainer appends it to the kept prefix with advantage 1.
 *
 * <h2>Source</h2>
 * M. Y. R. Yang, H. Bai, I. Wu, G. Yang, A. Setlur, A. Kumar, "InT: Self-Proposed Interventions
 * Enable Credit Assignment in LLM Reasoning", arXiv 2601.14209 (ICLR 2026). Fidelity
 * {@code reconstructed}: the cut (train {@code x ⊕ steps_{<k*} ⊕ intervention}, drop the
 * suffix, skip traces with no error found) follows the paper; the filter on the intervention's
 * success rate ({@code > 0}), {@code failure_threshold = 0.5} and the optional
 * {@code error_step_credit} are ours. No code was found.
 *
 * <h2>Edge cases</h2>
 * A missing error signal is an error naming the signal. Context tokens get 0. {@code k* = 0} keeps no rollout token (only the intervention is trained).
 *
 * <p>Stateless and thread-safe.
 */
public final class Intervention implements BufferedEstimator {
    static final String ID = "int";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("InT: credit at the first error localised by the model's own intervention")
            .source(
                    "Yang et al., InT: Self-Proposed Interventions Enable Credit Assignment in LLM Reasoning, arXiv 2601.14209")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.span(
                    "first_error", "positive on the step the model localised as the first error"))
            .parameters(
                    ParamSpec.string("error_signal", "first_error", "span signal marking the localised first error"),
                    ParamSpec.string(
                            "intervention_signal",
                            "intervention_success",
                            "trajectory signal with the intervention's success rate (optional)"),
                    ParamSpec.real("failure_threshold", 0.5, null, null, "a trajectory scoring at most this failed"),
                    ParamSpec.real(
                            "min_intervention_success",
                            0.0,
                            null,
                            null,
                            "use a trajectory only when intervention_success (if given) is above this"),
                    ParamSpec.real(
                            "error_step_credit", 0.0, null, null, "advantage of the erroneous step's own tokens"))
            .preset("paper", Map.of("error_step_credit", 0.0))
            .summary(
                    "failed trace with first error k*: steps < k* get advantage 1 (SFT target), steps ≥ k* are dropped")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages and loss weights into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String errorName = params.getString("error_signal");
        float[] flag = batch.spanSignal(errorName);
        if (flag == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs the span signal '" + errorName + "' (the model's "
                            + "first-error localisation), which the batch lacks (spans[].signals." + errorName + ")",
                    -1,
                    "spans[].signals." + errorName);
        }
        float[] success = batch.trajectorySignal(params.getString("intervention_signal"));
        double failure = params.getDouble("failure_threshold");
        double minSuccess = params.getDouble("min_intervention_success");
        double errorCredit = params.getDouble("error_step_credit");
        double[] scores = batch.scores();
        int tokens = batch.tokenCount();
        // every token is written below (a value on the steps of an intervened trajectory, else 0)
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] weight = buffers == null ? new float[tokens] : buffers.lossWeights(tokens);
        float[] spanAdv = new float[batch.spanCount()];
        int[] tokOff = batch.spanTokenOffsets();
        int used = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int k = -1;
            boolean eligible =
                    scores[i] <= failure && (success == null || Float.isNaN(success[i]) || success[i] > minSuccess);
            if (eligible) {
                int step = 0;
                for (int s = batch.spanStart(i); s < batch.spanEnd(i) && k < 0; s++) {
                    if (!batch.isPolicySpan(s)) continue;
                    if (flag[s] > 0) k = step;
                    step++;
                }
            }
            if (k >= 0) used++;
            int step = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                float a = 0f;
                float w = 0f;
                if (k >= 0 && batch.isPolicySpan(s)) {
                    a = (float) (step < k ? 1.0 : step == k ? errorCredit : 0.0);
                    w = step < k || (step == k && errorCredit != 0) ? 1f : 0f;
                    spanAdv[s] = a;
                    step++;
                }
                java.util.Arrays.fill(adv, tokOff[s], tokOff[s + 1], a);
                java.util.Arrays.fill(weight, tokOff[s], tokOff[s + 1], w);
            }
        }
        return Credit.builder(adv)
                .spanAdvantages(spanAdv)
                .lossWeights(weight)
                .diagnostic("intervened_trajectories", used)
                .build();
    }
}
