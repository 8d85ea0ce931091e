package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
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
public final class ReMax implements BufferedEstimator {
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

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        float[] baseline = batch.requireTrajectorySignal(
                "reward_baseline", ID, "the reward of a greedy rollout of the same prompt");
        RewardShaping rewards = RewardShaping.dense(batch, ID);
        int n = batch.tokenCount();
        float[] adv = buffers == null ? new float[n] : buffers.advantages(n);
        float[] ret = buffers == null ? new float[n] : buffers.returns(n);
        int maxLen = RewardShaping.maxTrajectoryLength(batch);
        execution.forTrajectories(batch, (chunk, from, to) -> {
            float[] rhoA = new float[maxLen];
            float[] rhoB = new float[maxLen];
            int i = from;
            for (; i + 1 < to; i += 2) pair(batch, rewards, baseline, i, i + 1, rhoA, rhoB, adv, ret);
            if (i < to) pair(batch, rewards, baseline, i, -1, rhoA, rhoB, adv, ret);
        });
        return Credit.builder(adv).returns(ret).build();
    }

    /**
     * The credit of trajectories {@code a} and {@code b} ({@code b = -1}: {@code a} alone), their two
     * reward-to-go chains run side by side. Each chain is the plain backward sum of its own
     * trajectory ({@code g += ρ_t} in double, token by token), so the bits are those of one
     * trajectory at a time; running two independent chains in one loop hides the latency of the
     * dependent addition (the chain, not memory, bounded the one-chain loop).
     */
    private static void pair(
            Rollouts batch,
            RewardShaping rewards,
            float[] baseline,
            int a,
            int b,
            float[] rhoA,
            float[] rhoB,
            float[] adv,
            float[] ret) {
        rewards.fill(a, rhoA);
        zeroContext(batch, a, adv, ret);
        int offA = batch.tokenStart(a);
        double bA = baseline[a];
        double gA = 0;
        int sA = previousPolicySpan(batch, batch.spanEnd(a) - 1, batch.spanStart(a));
        int tA = sA < 0 ? 0 : batch.spanTokenEnd(sA) - 1;
        int lowA = sA < 0 ? 0 : batch.spanTokenStart(sA);
        if (b >= 0) {
            rewards.fill(b, rhoB);
            zeroContext(batch, b, adv, ret);
            int offB = batch.tokenStart(b);
            double bB = baseline[b];
            double gB = 0;
            int sB = previousPolicySpan(batch, batch.spanEnd(b) - 1, batch.spanStart(b));
            int tB = sB < 0 ? 0 : batch.spanTokenEnd(sB) - 1;
            int lowB = sB < 0 ? 0 : batch.spanTokenStart(sB);
            while (sA >= 0 && sB >= 0) {
                int m = Math.min(tA - lowA, tB - lowB) + 1; // tokens left in both current spans
                for (int q = 0; q < m; q++) {
                    int ta = tA - q;
                    int tb = tB - q;
                    gA += rhoA[ta - offA];
                    gB += rhoB[tb - offB];
                    ret[ta] = (float) gA;
                    adv[ta] = (float) (gA - bA);
                    ret[tb] = (float) gB;
                    adv[tb] = (float) (gB - bB);
                }
                tA -= m;
                tB -= m;
                if (tA < lowA) {
                    sA = previousPolicySpan(batch, sA - 1, batch.spanStart(a));
                    if (sA >= 0) {
                        tA = batch.spanTokenEnd(sA) - 1;
                        lowA = batch.spanTokenStart(sA);
                    }
                }
                if (tB < lowB) {
                    sB = previousPolicySpan(batch, sB - 1, batch.spanStart(b));
                    if (sB >= 0) {
                        tB = batch.spanTokenEnd(sB) - 1;
                        lowB = batch.spanTokenStart(sB);
                    }
                }
            }
            chain(batch, b, sB, tB, lowB, gB, bB, rhoB, offB, adv, ret);
        }
        chain(batch, a, sA, tA, lowA, gA, bA, rhoA, offA, adv, ret);
    }

    /**
     * Continues one trajectory's chain alone from token {@code t} of policy span {@code s}
     * (nothing when {@code s < 0}) down to its first policy token.
     */
    private static void chain(
            Rollouts batch,
            int i,
            int s,
            int t,
            int low,
            double g,
            double base,
            float[] rho,
            int off,
            float[] adv,
            float[] ret) {
        while (s >= 0) {
            for (; t >= low; t--) {
                g += rho[t - off];
                ret[t] = (float) g;
                adv[t] = (float) (g - base);
            }
            s = previousPolicySpan(batch, s - 1, batch.spanStart(i));
            if (s >= 0) {
                t = batch.spanTokenEnd(s) - 1;
                low = batch.spanTokenStart(s);
            }
        }
    }

    /** The last non-empty policy span among {@code [first, s]}, or -1. */
    private static int previousPolicySpan(Rollouts batch, int s, int first) {
        for (; s >= first; s--) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s)) return s;
        }
        return -1;
    }

    /** Advantages and returns 0 on the context tokens of trajectory {@code i}. */
    private static void zeroContext(Rollouts batch, int i, float[] adv, float[] ret) {
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s)) continue;
            int ts = batch.spanTokenStart(s);
            int te = batch.spanTokenEnd(s);
            Arrays.fill(adv, ts, te, 0f);
            Arrays.fill(ret, ts, te, 0f);
        }
    }
}
