package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * GPG: group-mean baseline scaled by the inverse share of trajectories with a non-zero score.
 *
 * <h2>Formula</h2>
 * With {@code B} trajectories in the batch, {@code M} of them with a non-zero score:
 * <pre>  α = B / max(M, 1),     A_i = α · (s_i − μ_g) / f_norm</pre>
 * on every policy token of trajectory {@code i}, 0 elsewhere. The group std is not used.
 * Returns equal the advantages (the same array). Example: six trajectories, four non-zero
 * scores, so α = 1.5; scores [1, 0, 0 | 1 | .5, .5] give [1, −.5, −.5, 1.5, 0, 0].
 *
 * <h2>Sources</h2>
 * Chu et al., "GPG: A Simple and Strong Reinforcement Learning Baseline for Model Reasoning"
 * (arXiv 2504.02546). Reference: volcengine/verl@b178a3c {@code compute_gpg_outcome_advantage},
 * which overwrites its {@code alpha} argument with {@code B / max(M, 1)}.
 *
 * <h2>Parameters and presets</h2>
 * {@code f_norm} (1.0, &gt; 0). Preset {@code verl} (the defaults).
 *
 * <h2>Edge cases</h2>
 * One-sample group: mean 0, so {@code A = α·s/f_norm} (verl). All scores zero: α = B and every
 * advantage 0. α depends on the whole batch, so credit is not group-local. Context tokens: 0.
 *
 * <p>Outputs go into {@link Credit.Buffers} when given (one token write per call, no fresh array).
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class Gpg implements Estimator {
    static final String ID = "gpg";
    private final Descriptor descriptor = Descriptor.builder(ID)
            .title("GPG (group policy gradient)")
            .source(
                    "Chu et al. 2025, arXiv 2504.02546; reference volcengine/verl@b178a3c compute_gpg_outcome_advantage")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.trajectory(
                            "reward", "the reward model or verifier (outcome, span or token rewards)")
                    .always())
            .parameters(ParamSpec.real("f_norm", 1.0, Double.MIN_VALUE, null, "divisor of the advantage (verl f_norm)"))
            .preset("verl", Map.of("f_norm", 1.0))
            .summary("A_i = (B / #nonzero scores) · (s_i − mean_g) / f_norm")
            .build();

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} The advantages (which are also the returns) go into {@code buffers} when given;
     * every token is written (0 on context tokens).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double fNorm = params.getDouble("f_norm");
        int n = batch.trajectoryCount();
        if (n == 0) return Credit.of(new float[batch.tokenCount()]);
        double[] s = batch.scores();
        int nonZero = 0;
        for (double v : s) if (v != 0) nonZero++;
        double alpha = (double) n / Math.max(nonZero, 1);
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        GroupMoments m = new GroupMoments();
        double[] a = new double[n];
        for (int g = 0; g < batch.groupCount(); g++) {
            m.twoPass(s, members, start[g], start[g + 1], true);
            double mean = m.count == 1 ? 0.0 : m.mean;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                a[i] = m.tied && m.count > 1 ? 0.0 : alpha * (s[i] - mean) / fNorm;
            }
        }
        // a value that rounds to a float zero is written as +0 on both paths (the fresh array skips it)
        for (int i = 0; i < n; i++) if ((float) a[i] == 0f) a[i] = 0.0;
        float[] adv = buffers == null
                ? TokenCredit.broadcast(batch, a, execution)
                : TokenCredit.broadcastInto(batch, a, execution, buffers.advantages(batch.tokenCount()));
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("alpha", alpha)
                .diagnostic("nonzero_scores", nonZero)
                .diagnostic("groups", batch.groupCount())
                .build();
    }
}
