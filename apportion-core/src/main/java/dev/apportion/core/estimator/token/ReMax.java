package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * ReMax: the reward-to-go minus the reward of the greedy rollout ({@code remax}).
 *
 * <h2>Formula</h2>
 * Per trajectory {@code i} with greedy-rollout reward {@code b_i} (trajectory signal
 * {@code reward_baseline}): {@code G_t = Σ_{t' ≥ t, t' policy} r_t'} (undiscounted, over policy
 * tokens only) and {@code A_t = G_t − b_i} on policy tokens; returns {@code G}. Token rewards
 * are the dense rewards of {@link Rollouts#denseTokenRewards()} (token reward + span rewards +
 * outcome on the last policy token); rewards on context tokens do not count. No normalisation.
 * With an outcome-only reward this is the paper's {@code r(x, y) − r(x, ŷ_greedy)} on every
 * token.
 *
 * <h2>Sources</h2>
 * Li et al., "ReMax: A Simple, Effective, and Efficient Reinforcement Learning Method for
 * Aligning Large Language Models", arXiv 2310.10505. verl
 * {@code compute_remax_outcome_advantage} (volcengine/verl@b178a3c). Fidelity: reference.
 *
 * <h2>Defaults and presets</h2>
 * No parameters; preset {@code verl} is the defaults.
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens gets zeros. Every trajectory needs its
 * {@code reward_baseline} ({@link dev.apportion.core.rollout.RolloutException} naming the
 * trajectory otherwise). Advantages and returns are 0 on context tokens.
 *
 * <p>Thread-safety: stateless; parallel per trajectory; each trajectory's credit depends on
 * that trajectory only.
 */
public final class ReMax implements Estimator {
    /** Id in the registry (verl's name). */
    public static final String ID = "remax";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("ReMax (reward-to-go minus the greedy rollout's reward)")
            .source("arXiv 2310.10505; volcengine/verl@b178a3c compute_remax_outcome_advantage")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.REWARD, "any reward: outcome, span or token reward"),
                    SignalRequirement.trajectory(
                            "reward_baseline", "the reward of a greedy rollout of the same prompt"))
            .preset("verl", Map.of())
            .summary("A_t = Σ_{t'≥t} r_t' − b (b = the greedy rollout's reward); returns the reward-to-go")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        float[] baseline = batch.requireTrajectorySignal(
                "reward_baseline", ID, "the reward of a greedy rollout of the same prompt");
        RewardShaping rewards = RewardShaping.dense(batch, ID);
        int n = batch.tokenCount();
        float[] adv = new float[n];
        float[] ret = new float[n];
        int maxLen = RewardShaping.maxTrajectoryLength(batch);
        int[] spanOff = batch.trajectorySpanOffsets();
        int[] tok = batch.spanTokenOffsets();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            float[] rho = new float[maxLen];
            for (int i = from; i < to; i++) {
                rewards.fill(i, rho);
                int base = batch.tokenStart(i);
                double b = baseline[i];
                double g = 0;
                for (int s = spanOff[i + 1] - 1; s >= spanOff[i]; s--) {
                    int ts = tok[s];
                    int te = tok[s + 1];
                    if (batch.isPolicySpan(s)) {
                        for (int t = te - 1; t >= ts; t--) {
                            g += rho[t - base];
                            ret[t] = (float) g;
                            adv[t] = (float) (g - b);
                        }
                    } else {
                        for (int t = ts; t < te; t++) {
                            adv[t] = 0f;
                            ret[t] = 0f;
                        }
                    }
                }
            }
        });
        return Credit.builder(adv).returns(ret).build();
    }
}
