package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * GRPO for pass@k: only the best trajectory of each group gets credit, the margin over the
 * runner-up.
 *
 * <h2>Formula</h2>
 * With {@code r_max} and {@code r_2nd} the two largest scores of group {@code g} (equal when
 * the maximum is tied) and {@code σ_g} the group's unbiased std:
 * <pre>  A_best = (r_max − r_2nd) / (σ_g + ε)    (no division when normalize_by_std is false)
 *  A_other = 0</pre>
 * on every policy token, 0 on context tokens. Returns equal the advantages (the same array).
 * Example: groups [1, 0, 0] and [1, .5, .5] give [1.73205, 0, 0, 1.73204, 0, 0].
 *
 * <h2>Sources</h2>
 * The pass@k objective of arXiv 2503.19595, as implemented by volcengine/verl@b178a3c
 * {@code compute_grpo_passk_outcome_advantage} (this is the reference).
 *
 * <h2>Parameters and presets</h2>
 * {@code epsilon} (1e-6), {@code normalize_by_std} (true). Preset {@code verl} (the defaults).
 *
 * <h2>Edge cases</h2>
 * A group of one is refused with a {@link RolloutException} naming the group (verl raises
 * "Pass@k requires at least 2 samples per group"). Tied maximum: everyone gets 0. When several
 * trajectories share the maximum, the margin is 0 so which one is "best" does not matter.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class GrpoPassK implements BufferedEstimator {
    static final String ID = "grpo_passk";
    private final Descriptor descriptor = GroupNormalization.outcomeReference(ID, true)
            .title("GRPO pass@k (best-of-group margin)")
            .source("arXiv 2503.19595; reference volcengine/verl@b178a3c compute_grpo_passk_outcome_advantage")
            .parameters(
                    GroupNormalization.epsilon(1e-6),
                    ParamSpec.bool(
                            "normalize_by_std",
                            true,
                            "divide the margin by the group's std (verl norm_adv_by_std_in_grpo)"))
            .preset("verl", Map.of("epsilon", 1e-6, "normalize_by_std", true))
            .summary("best of group: (r_max − r_2nd)/(std + ε); others 0")
            .build();

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /**
     * {@inheritDoc} The advantages go into {@code buffers} when given (every token is overwritten;
     * the margins are never −0, so the values are bit-identical to a fresh array's).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");
        int n = batch.trajectoryCount();
        if (n == 0) return Credit.of(new float[batch.tokenCount()]);
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        for (int g = 0; g < batch.groupCount(); g++) {
            if (start[g + 1] - start[g] < 2) {
                int i = members[start[g]];
                throw new RolloutException(
                        "estimator '" + ID + "' (pass@k) needs at least 2 trajectories per group; group '"
                                + batch.groupKey(g) + "' has only " + batch.describe(i),
                        i,
                        "group");
            }
        }
        double[] s = batch.scores();
        double[] a = new double[n];
        GroupMoments m = new GroupMoments();
        for (int g = 0; g < batch.groupCount(); g++) {
            int best = -1;
            double max = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int k = start[g]; k < start[g + 1]; k++) {
                double v = s[members[k]];
                if (v > max) {
                    second = max;
                    max = v;
                    best = members[k];
                } else if (v > second) {
                    second = v;
                }
            }
            double margin = max - second;
            if (margin == 0) continue;
            if (byStd) {
                m.twoPass(s, members, start[g], start[g + 1], true);
                margin /= Math.sqrt(m.variance) + eps;
            }
            a[best] = margin;
        }
        float[] adv = buffers == null
                ? TokenCredit.broadcast(batch, a, execution)
                : TokenCredit.broadcastInto(batch, a, execution, buffers.advantages(batch.tokenCount()));
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("groups", batch.groupCount())
                .build();
    }
}
