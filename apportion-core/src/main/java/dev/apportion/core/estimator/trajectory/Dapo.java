package dev.apportion.core.estimator.trajectory;

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
import dev.apportion.core.credit.WireName;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DAPO, as far as it decides credit: GRPO advantages, the dynamic-sampling filter, the
 * token-level loss weights and the soft overlong penalty.
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Score {@code s_i} = outcome + span + token rewards, plus, when enabled, the soft
 *       overlong penalty on the policy-token count {@code L}:
 *       {@code 0} if {@code L ≤ L_max − L_cache}; {@code ((L_max − L_cache) − L)/L_cache}
 *       if {@code L ≤ L_max}; {@code −1} beyond (times {@code overlong_penalty_factor}).</li>
 *   <li>Dynamic sampling: a group whose scores before the length penalty are all equal (all
 *       correct or all wrong, or a single trajectory) carries no group-relative signal; DAPO
 *       drops it from the batch. Here its trajectories get advantage 0 and loss weight 0, and
 *       the number of such groups is the diagnostic {@code filtered_groups}.</li>
 *   <li>Advantage {@code A_i = (s_i − μ_g)/(σ_g + ε)} (unbiased σ), on every policy token.</li>
 *   <li>Token-level loss: every policy token of a kept trajectory has loss weight
 *       {@code 1 / Σ_{kept j} |o_j|} (the token-mean over the batch), instead of GRPO's
 *       {@code 1 / (|o_i| · N)} per-sequence mean ({@code loss_agg=seq-mean-token-mean} gives
 *       the latter, for comparison). Weights sum to 1 over the batch.</li>
 * </ol>
 * Returns equal the advantages (the same array). Clip-Higher (ε_low 0.2, ε_high 0.28) is a
 * property of the policy loss, not of credit, and is not represented.
 *
 * <h2>Sources</h2>
 * Yu et al., "DAPO: An Open-Source LLM Reinforcement Learning System at Scale"
 * (arXiv 2503.14476). Fidelity: paper (no golden vectors); the GRPO step follows verl.
 *
 * <h2>Parameters and presets</h2>
 * {@code epsilon} (1e-6), {@code std} (unbiased), {@code epsilon_on} (std),
 * {@code dynamic_sampling} (true), {@code loss_agg} ({@code token-mean}),
 * {@code overlong_max_length} / {@code overlong_buffer} (0 = no length penalty; the paper uses
 * 20480 / 4096), {@code overlong_penalty_factor} (1). Preset {@code paper} (the defaults).
 *
 * <h2>Edge cases</h2>
 * All groups filtered: every advantage and loss weight is 0. A one-sample group is always
 * filtered when dynamic sampling is on, and gets 0 otherwise. A trajectory without policy
 * tokens gets no weight and does not count in the normaliser. Context tokens: 0.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class Dapo implements BufferedEstimator {
    static final String ID = "dapo";

    /** Values of the {@code loss_agg} parameter, written with verl's hyphens. */
    enum LossAgg implements WireName {
        /** {@code 1 / Σ|o|} per policy token (DAPO) */
        TOKEN_MEAN("token-mean"),
        /** {@code 1 / (|o_i| · N)} per policy token (GRPO) */
        SEQ_MEAN_TOKEN_MEAN("seq-mean-token-mean");

        private final String wire;

        LossAgg(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    private final Descriptor descriptor;

    public Dapo() {
        Map<String, Object> paper = new LinkedHashMap<>();
        paper.put("epsilon", 1e-6);
        paper.put("dynamic_sampling", true);
        paper.put("loss_agg", LossAgg.TOKEN_MEAN.wire());
        this.descriptor = Descriptor.builder(ID)
                .title("DAPO (decoupled clip and dynamic sampling policy optimization)")
                .source("Yu et al. 2025, arXiv 2503.14476")
                .granularity(Granularity.TRAJECTORY)
                .methodology(Methodology.MONTE_CARLO)
                .fidelity(Fidelity.PAPER)
                .groupLocal(false)
                .requires(SignalRequirement.trajectory(
                                "reward", "the reward model or verifier (outcome, span or token rewards)")
                        .always())
                .parameters(
                        GroupNormalization.epsilon(1e-6),
                        GroupNormalization.std(),
                        GroupNormalization.epsilonOn(),
                        ParamSpec.bool(
                                "dynamic_sampling",
                                true,
                                "groups whose scores are all equal get advantage 0 and loss weight 0 (DAPO drops them)"),
                        ParamSpec.choice(
                                "loss_agg",
                                LossAgg.TOKEN_MEAN,
                                "loss weights: token-mean = 1/total policy tokens (DAPO); seq-mean-token-mean = 1/(|o_i|·N) (GRPO)"),
                        ParamSpec.integer(
                                "overlong_max_length",
                                0,
                                0,
                                null,
                                "L_max of the soft overlong penalty (paper 20480); 0 = no penalty"),
                        ParamSpec.integer(
                                "overlong_buffer", 0, 0, null, "L_cache of the soft overlong penalty (paper 4096)"),
                        ParamSpec.real("overlong_penalty_factor", 1.0, 0.0, null, "scale of the overlong penalty"))
                .preset("paper", paper)
                .summary("GRPO z-score; all-equal groups filtered (weight 0); loss weight 1/Σ|o| per policy token")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean dynamic = params.getBoolean("dynamic_sampling");
        boolean tokenMean = params.getChoice("loss_agg", LossAgg.class) == LossAgg.TOKEN_MEAN;
        int maxLen = params.getInt("overlong_max_length");
        int buffer = params.getInt("overlong_buffer");
        double factor = params.getDouble("overlong_penalty_factor");
        if (maxLen > 0 && (buffer <= 0 || buffer > maxLen)) {
            throw new IllegalArgumentException("estimator 'dapo': overlong_buffer must be in [1, overlong_max_length="
                    + maxLen + "], got " + buffer);
        }
        int n = batch.trajectoryCount();
        if (n == 0)
            return Credit.builder(new float[batch.tokenCount()])
                    .lossWeights(new float[batch.tokenCount()])
                    .build();
        double[] raw = batch.scores();
        int[] len = new int[n];
        for (int i = 0; i < n; i++) len[i] = batch.policyTokenCount(i);
        double[] s = raw;
        if (maxLen > 0) {
            s = raw.clone();
            int expected = maxLen - buffer;
            for (int i = 0; i < n; i++) {
                if (len[i] > maxLen) s[i] -= factor;
                else if (len[i] > expected) s[i] += factor * (expected - len[i]) / buffer;
            }
        }
        GroupNormalization.Settings settings = new GroupNormalization.Settings(
                GroupNormalization.Scale.GROUP,
                params.getChoice("std", GroupNormalization.Std.class) == GroupNormalization.Std.UNBIASED,
                params.getDouble("epsilon"),
                params.getChoice("epsilon_on", GroupNormalization.EpsilonOn.class)
                        == GroupNormalization.EpsilonOn.VARIANCE,
                0.0,
                GroupNormalization.Singleton.ZERO,
                false,
                new double[0],
                false);
        GroupNormalization.Stats st = new GroupNormalization.Stats();
        double[] a = GroupNormalization.advantages(batch, s, settings, st);

        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        boolean[] kept = new boolean[n];
        Arrays.fill(kept, true);
        int filtered = 0;
        if (dynamic) {
            for (int g = 0; g < batch.groupCount(); g++) {
                double first = raw[members[start[g]]];
                boolean allEqual = true;
                for (int k = start[g] + 1; k < start[g + 1] && allEqual; k++) allEqual = raw[members[k]] == first;
                if (!allEqual) continue;
                filtered++;
                for (int k = start[g]; k < start[g + 1]; k++) {
                    kept[members[k]] = false;
                    a[members[k]] = 0.0;
                }
            }
        }
        long tokens = 0;
        int sequences = 0;
        for (int i = 0; i < n; i++) {
            if (kept[i] && len[i] > 0) {
                tokens += len[i];
                sequences++;
            }
        }
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            if (!kept[i] || len[i] == 0) continue;
            w[i] = tokenMean ? 1.0 / tokens : 1.0 / ((double) len[i] * sequences);
        }
        float[] adv = TokenCredit.broadcastInto(
                batch, a, execution, TokenCredit.advantagesArray(buffers, batch.tokenCount()));
        float[] weights = TokenCredit.broadcastInto(
                batch, w, execution, TokenCredit.lossWeightsArray(buffers, batch.tokenCount()));
        return Credit.builder(adv)
                .returns(adv)
                .lossWeights(weights)
                .diagnostic("groups", batch.groupCount())
                .diagnostic("filtered_groups", filtered)
                .diagnostic("kept_trajectories", n - countFalse(kept))
                .diagnostic("loss_tokens", tokens)
                .build();
    }

    private static int countFalse(boolean[] b) {
        int c = 0;
        for (boolean x : b) if (!x) c++;
        return c;
    }
}
