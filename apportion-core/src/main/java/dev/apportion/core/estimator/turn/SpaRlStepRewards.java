package dev.apportion.core.estimator.turn;

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
 * SPA-RL's released step-reward construction ({@code spa_rl_step_rewards}, the data script
 * {@code prm/rl_data_org.py}): every step of an exploration rollout gets the rollout's
 * leave-one-out-centred outcome plus a grounding reward when the action had an effect.
 *
 * <h2>Formula</h2>
 * One trajectory per exploration rollout (group = the task id, {@code outcome} = the agent's
 * final reward R); the conversation is cut into spans: observations = context spans, actions
 * = policy spans (K actions = K steps); trajectory signal {@code turn_value_count} = the number
 * of progress-model predictions ({@code turn_values}) of the rollout.
 * <ol>
 *   <li>{@code v = R − mean(R of the other rollouts of the task)}; a task with one rollout keeps
 *       {@code v = R}. Every rollout of the task counts, including the ones skipped below.</li>
 *   <li>A rollout whose K differs from {@code turn_value_count} is skipped; so is one with
 *       {@code K ≥ max_steps_exclusive}.</li>
 *   <li>Grounding {@code g_j = 0} when the observation after action j (the context spans up to
 *       the next action) contains {@code no_effect_marker} (in the token text; or, without token
 *       text, span signal {@code no_effect} = 1 on one of them), else {@code grounding_reward};
 *       the last action always gets {@code grounding_reward}.</li>
 *   <li>Step reward {@code reward_j = v + g_j}, on every token of action j (span advantages carry
 *       it too). Skipped rollouts get 0 and loss weight 0.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * H. Wang et al., SPA-RL, arXiv 2505.20732; code WangHanLinHenry/SPA-RL-Agent @
 * ed200874d726ef25d52851bd47f12f2b1408b545, {@code prm/rl_data_org.py} (module-level script).
 * Fidelity {@code reference}: matches the 8 public golden cases of {@code agentic-turn.md} §3.
 *
 * <h2>Parameters and presets</h2>
 * Hard-coded in the script: {@code grounding_reward} 0.5, {@code no_effect_marker} "Nothing
 * happens", {@code max_steps_exclusive} 35. Preset {@code paper} = the defaults. The script's
 * random subsampling above 8000 samples and its truncation to 1596 samples are dataset
 * bookkeeping and are not reproduced.
 *
 * <h2>Edge cases (reproduced quirks)</h2>
 * The progress model's per-step predictions are discarded: every step of a rollout gets the same
 * centred outcome and only the grounding term varies (the paper describes per-step progress).
 * Without {@code turn_value_count} no rollout is skipped for a count mismatch. A trajectory
 * without an outcome is an error; so is a batch with neither token text nor the
 * {@code no_effect} span signal.
 *
 * <p>Stateless and thread-safe.
 */
public final class SpaRlStepRewards implements BufferedEstimator {
    public static final String ID = "spa_rl_step_rewards";
    /** Trajectory signal: number of progress-model predictions of the rollout. */
    public static final String TURN_VALUE_COUNT = "turn_value_count";
    /** Span signal: 1 on an observation that reports that the previous action had no effect. */
    public static final String NO_EFFECT = "no_effect";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title(
                    "SPA-RL step rewards: leave-one-out-centred outcome + grounding reward per step (released data script)")
            .source("Wang et al., SPA-RL, arXiv 2505.20732; WangHanLinHenry/SPA-RL-Agent@ed20087 prm/rl_data_org.py")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("outcome", "the agent's final reward of each exploration rollout"),
                    SignalRequirement.span(
                            NO_EFFECT, "the observation's no-effect marker (or the observation text as token text)"))
            .parameters(
                    ParamSpec.real(
                            "grounding_reward",
                            0.5,
                            null,
                            null,
                            "reward of an action that had an effect (and of the last action)"),
                    ParamSpec.integer(
                            "max_steps_exclusive", 35, 1, null, "rollouts with this many steps or more are dropped"),
                    ParamSpec.string(
                            "no_effect_marker",
                            "Nothing happens",
                            "observation text that marks an action without effect"))
            .preset("paper", Map.of())
            .summary("reward_j = (R - mean of the task's other R) + 0.5*[observation after action j shows an effect]")
            .build();

    /**
     * Step rewards of one call.
     *
     * @param kept whether each trajectory is kept
     * @param reward per span: the step reward on kept policy spans, 0 elsewhere
     */
    public record Steps(boolean[] kept, double[] reward) {}

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** The kept trajectories and the step reward of every policy span. */
    public Steps steps(Rollouts batch, Params params) {
        int n = batch.trajectoryCount();
        float[] out = batch.outcome();
        for (int i = 0; i < n; i++) {
            if (out == null || Float.isNaN(out[i])) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID + "' needs the rollout's final reward (outcome)",
                        i,
                        "outcome");
            }
        }
        String[] text = batch.tokenText();
        float[] flag = batch.spanSignal(NO_EFFECT);
        if (text == null && flag == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs the observations' text (token text) or the span signal '" + NO_EFFECT
                            + "' to find actions without effect",
                    -1,
                    "spans.signals." + NO_EFFECT);
        }
        double ground = params.getDouble("grounding_reward");
        int maxSteps = params.getInt("max_steps_exclusive");
        String marker = params.getString("no_effect_marker");
        float[] count = batch.trajectorySignal(TURN_VALUE_COUNT);
        double[] sum = new double[batch.groupCount()];
        for (int i = 0; i < n; i++) sum[batch.trajectoryGroup(i)] += out[i];
        boolean[] kept = new boolean[n];
        double[] reward = new double[batch.spanCount()];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            int size = batch.groupSize(g);
            double v = size > 1 ? out[i] - (sum[g] - out[i]) / (size - 1) : out[i];
            int k = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) k++;
            if (count != null && !Float.isNaN(count[i]) && count[i] != k) continue;
            if (k >= maxSteps) continue;
            kept[i] = true;
            int j = 0;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                boolean effect = true;
                if (j < k - 1) {
                    for (int c = s + 1; c < batch.spanEnd(i) && !batch.isPolicySpan(c); c++) {
                        if (noEffect(batch, c, text, flag, marker)) effect = false;
                    }
                }
                reward[s] = v + (effect ? ground : 0.0);
                j++;
            }
        }
        return new Steps(kept, reward);
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Steps st = steps(batch, params);
        // the loss weights go into the buffers' second array (this estimator has no returns)
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] w = Outputs.second(buffers, batch.tokenCount());
        float[] span = new float[batch.spanCount()];
        int kept = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            boolean keep = st.kept()[i];
            if (keep) kept++;
            Arrays.fill(adv, batch.tokenStart(i), batch.tokenEnd(i), 0f);
            Arrays.fill(w, batch.tokenStart(i), batch.tokenEnd(i), 0f);
            if (!keep) continue;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)) continue;
                span[s] = (float) st.reward()[s];
                Arrays.fill(adv, batch.spanTokenStart(s), batch.spanTokenEnd(s), span[s]);
                Arrays.fill(w, batch.spanTokenStart(s), batch.spanTokenEnd(s), 1f);
            }
        }
        return Credit.builder(adv)
                .spanAdvantages(span)
                .lossWeights(w)
                .diagnostic("kept_rollouts", kept)
                .diagnostic("dropped_rollouts", batch.trajectoryCount() - kept)
                .build();
    }

    private static boolean noEffect(Rollouts batch, int span, String[] text, float[] flag, String marker) {
        if (text != null) {
            StringBuilder sb = new StringBuilder();
            for (int t = batch.spanTokenStart(span); t < batch.spanTokenEnd(span); t++)
                if (text[t] != null) sb.append(text[t]);
            return sb.indexOf(marker) >= 0;
        }
        return flag[span] == 1f;
    }
}
