package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * OPO: the optimal-reward baseline, a length-weighted group mean.
 *
 * <h2>Formula</h2>
 * With {@code L_j} the number of policy tokens of trajectory {@code j} and {@code s_j} its score
 * (outcome + span + token rewards):
 * <pre>  b_g = Σ_{j∈g} L_j·s_j / Σ_{j∈g} L_j,     A_i = s_i − b_g</pre>
 * on every policy token of trajectory {@code i}, 0 elsewhere; no std. Returns equal the
 * advantages (the same array).
 *
 * <h2>Sources</h2>
 * Hao et al., "On-Policy RL with Optimal Reward Baseline" (arXiv 2505.23585). Reference:
 * volcengine/verl@b178a3c {@code compute_opo_outcome_advantage} (L = response-mask sum).
 *
 * <h2>Parameters and presets</h2>
 * {@code singleton}: {@code raw} (verl: baseline 0, the trajectory keeps its score) |
 * {@code zero}. Preset {@code verl} (the defaults).
 *
 * <h2>Edge cases</h2>
 * All-equal group: 0. A group whose members have no policy token at all: baseline 0 (verl
 * would compute 0/0; no token carries the result anyway). A trajectory without policy tokens
 * weighs 0 in its group's baseline. Context tokens: 0.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class Opo implements BufferedEstimator {
    static final String ID = "opo";

    /** What a one-sample group gets ({@code singleton}). */
    enum Singleton {
        /** baseline 0: the trajectory keeps its score (verl) */
        RAW,
        /** 0 */
        ZERO
    }

    private final Descriptor descriptor = GroupNormalization.outcomeReference(ID, true)
            .title("OPO (optimal reward baseline)")
            .source(
                    "Hao et al. 2025, arXiv 2505.23585; reference volcengine/verl@b178a3c compute_opo_outcome_advantage")
            .parameters(ParamSpec.choice(
                    "singleton",
                    Singleton.RAW,
                    "a one-sample group: raw = baseline 0, keeps its score (verl); zero = 0"))
            .preset("verl", Map.of("singleton", "raw"))
            .summary("A_i = s_i − Σ L_j s_j / Σ L_j over the group (L = policy tokens)")
            .build();

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean raw = params.getChoice("singleton", Singleton.class) == Singleton.RAW;
        int n = batch.trajectoryCount();
        if (n == 0) return Credit.of(new float[batch.tokenCount()]);
        double[] s = batch.scores();
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        double[] a = new double[n];
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            if (size == 1) {
                int i = members[start[g]];
                a[i] = raw ? s[i] : 0.0;
                continue;
            }
            double num = 0;
            double den = 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                int len = batch.policyTokenCount(i);
                num += len * s[i];
                den += len;
            }
            double baseline = den == 0 ? 0.0 : num / den;
            for (int k = start[g]; k < start[g + 1]; k++) a[members[k]] = s[members[k]] - baseline;
        }
        float[] adv = TokenCredit.broadcastInto(
                batch, a, execution, TokenCredit.advantagesArray(buffers, batch.tokenCount()));
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups", batch.groupCount())
                .build();
    }
}
