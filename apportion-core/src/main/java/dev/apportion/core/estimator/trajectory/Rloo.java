package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * RLOO: REINFORCE with the leave-one-out mean of the other group members as baseline.
 *
 * <h2>Formula</h2>
 * For a group of {@code n ≥ 2} with score sum {@code S_g}:
 * <pre>  A_i = s_i − (S_g − s_i)/(n − 1)  =  n/(n − 1) · (s_i − μ_g)</pre>
 * on every policy token of trajectory {@code i}, 0 elsewhere; returns equal the advantages
 * (the same array). {@code s_i} is the trajectory's score (outcome + span + token rewards).
 *
 * <h2>Sources</h2>
 * Ahmadian et al., "Back to Basics" (arXiv 2402.14740). Reference: volcengine/verl@b178a3c
 * {@code compute_rloo_outcome_advantage} (loop: a one-sample group keeps its score) and
 * {@code compute_rloo_vectorized_outcome_advantage} (a one-sample group gets 0);
 * OpenRLHF@3c3be62 (v0.11.0) {@code rloo} (leave-one-out shaping, clip, KL penalty, cumulative
 * returns with γ forced to 1, no whitening).
 *
 * <h2>Parameters and presets</h2>
 * {@code singleton}: {@code raw} (verl loop, default) | {@code zero} (verl vectorized) |
 * {@code error} (OpenRLHF asserts {@code n > 1}; its formula would divide by zero); the OpenRLHF
 * shaping parameters of {@link TokenCredit}. Presets: {@code verl}, {@code verl_vectorized},
 * {@code openrlhf}.
 *
 * <h2>Edge cases</h2>
 * All-equal group: 0. A trajectory without policy tokens still counts in its siblings'
 * baselines. Context tokens: 0.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class Rloo implements BufferedEstimator {
    static final String ID = "rloo";
    private final Descriptor descriptor;

    public Rloo() {
        List<ParamSpec> ps = new ArrayList<>();
        ps.add(
                GroupNormalization.singleton(
                        "raw",
                        List.of("raw", "zero", "error"),
                        "a one-sample group: raw = keeps its score (verl loop), zero = 0 (verl vectorized), error = refuse (OpenRLHF)"));
        ps.addAll(TokenCredit.openRlhfParams());
        this.descriptor = GroupNormalization.outcomeReference(ID, true)
                .title("RLOO (REINFORCE leave-one-out)")
                .source(
                        "Ahmadian et al. 2024, arXiv 2402.14740; reference volcengine/verl@b178a3c compute_rloo_outcome_advantage,"
                                + " compute_rloo_vectorized_outcome_advantage; OpenRLHF@3c3be62 rloo")
                .parameters(ps.toArray(new ParamSpec[0]))
                .preset("verl", Map.of("singleton", "raw"))
                .preset("verl_vectorized", Map.of("singleton", "zero"))
                .preset("openrlhf", Grpo.openRlhf(Map.of()))
                .summary("A_i = s_i − mean of the other members' scores, on every policy token")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** {@inheritDoc} The advantages go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        TokenCredit.Shaping shaping = TokenCredit.Shaping.of(params, ID);
        GroupNormalization.Singleton single = params.getChoice("singleton", GroupNormalization.Singleton.class);
        if (batch.trajectoryCount() == 0) return Credit.of(new float[batch.tokenCount()]);
        if (single == GroupNormalization.Singleton.ERROR) {
            TokenCredit.requireGroupsOfTwo(
                    batch, ID, "with singleton=error (OpenRLHF asserts n_samples_per_prompt > 1)");
        }
        double[] s = batch.scores();
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        double[] a = new double[s.length];
        int singletons = 0;
        for (int g = 0; g < batch.groupCount(); g++) {
            int n = start[g + 1] - start[g];
            if (n == 1) {
                singletons++;
                int i = members[start[g]];
                a[i] = single == GroupNormalization.Singleton.RAW ? s[i] : 0.0;
                continue;
            }
            double sum = 0;
            boolean tied = true;
            double first = s[members[start[g]]];
            for (int k = start[g]; k < start[g + 1]; k++) {
                sum += s[members[k]];
                tied &= s[members[k]] == first;
            }
            if (tied) continue;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                a[i] = s[i] - (sum - s[i]) / (n - 1);
            }
        }
        float[] adv = TokenCredit.assign(batch, a, shaping, ID, execution, buffers);
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups", batch.groupCount())
                .diagnostic("singleton_groups", singletons)
                .diagnostic("gamma_requested", shaping.gammaRequested())
                .build();
    }
}
