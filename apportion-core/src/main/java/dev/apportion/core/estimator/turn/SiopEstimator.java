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
import dev.apportion.core.kernel.DenseRewards;
import dev.apportion.core.kernel.TurnBoundaries;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * SIOP's turn-level advantage ({@code siop}): every turn reward of a prompt group is z-scored
 * against the pool of all turn rewards of that group, then accumulated backwards over the
 * trajectory's turns.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} of group {@code g} with turns {@code j = 0..T_i−1}:
 * <ul>
 *   <li>turn reward {@code r_ij} = the dense reward at the turn's last token
 *       ({@link Rollouts#denseTokenRewards()}: token {@code reward} there, plus the span's
 *       reward, plus the outcome on the trajectory's last policy token). SIOP's own reward
 *       (cluster-weighted log-ratio of the outcome potential after each turn) is computed
 *       upstream and arrives this way.</li>
 *   <li>pool {@code P_g} = every {@code r_ij} of the group (all trajectories, all turns);
 *       {@code μ_g}, unbiased {@code σ_g}; if {@code σ_g < ε} then {@code σ_g = 1};
 *       {@code z_ij = (r_ij − μ_g)/(σ_g + ε)}, or {@code r_ij − μ_g} when
 *       {@code normalize_by_std} is false. A pool of at most one reward gives {@code z = 0}.</li>
 *   <li>{@code A_ij = z_ij + γ·A_i,j+1}, written on every token of turn {@code j}; context
 *       tokens get 0.</li>
 * </ul>
 * Turns are the non-empty policy spans (runs of {@code response_mask == 1} in the reference).
 *
 * <h2>Source</h2>
 * Hu et al., "Self-Induced Outcome Potential: Turn-Level Credit Assignment for Agents without
 * Verifiers", arXiv 2605.04984; code dl-m9/SIOP @ a871ef9,
 * {@code verl/trainer/ppo/core_algos.py} {@code compute_siop_turn_level_advantage} with its
 * helper {@code _compute_turn_level_advantage}. Fidelity {@code reference}: the golden vectors
 * of {@code matchtir-and-siop.jsonl} pass. The reference's GRPO fallbacks
 * ({@code siop_enable_two_pass=false}, {@code siop_advantage_mode=broadcast}) are plain
 * {@code grpo} and are not repeated here.
 *
 * <h2>Parameters and presets</h2>
 * {@code gamma} = 1.0 (verl {@code algorithm.gamma}, 1.0 in {@code train_siop.sh}),
 * {@code normalize_by_std} = true, {@code epsilon} = 1e-6. Preset {@code reference} = the
 * defaults.
 *
 * <h2>Edge cases</h2>
 * A group with a single turn reward in total (one single-turn trajectory) gets 0 everywhere. A
 * trajectory without policy tokens has no turn and contributes nothing to the pool. A policy
 * span with no tokens is not a turn. Returns equal the advantages; span advantages are the
 * turn values.
 *
 * <p>Stateless and thread-safe.
 */
public final class SiopEstimator implements BufferedEstimator {
    static final String ID = "siop";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SIOP turn-level advantage (group-pooled turn rewards, discounted over turns)")
            .source("Hu et al., arXiv 2605.04984; dl-m9/SIOP@a871ef9 verl/trainer/ppo/core_algos.py "
                    + "compute_siop_turn_level_advantage")
            .granularity(Granularity.TURN)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.token(
                            Rollouts.REWARD,
                            "SIOP's process reward at each turn's last token (or span rewards / an outcome)")
                    .always())
            .parameters(
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount of the backward accumulation over turns"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the group std (verl norm_adv_by_std_in_grpo)"),
                    ParamSpec.real(
                            "epsilon", 1e-6, 0.0, null, "added to the group std; a std below it is replaced by 1"))
            .preset("reference", Map.of("gamma", 1.0, "normalize_by_std", true, "epsilon", 1e-6))
            .summary(
                    "z_ij = (r_ij - mean_g)/(std_g + eps) over all turn rewards of the group; A_ij = z_ij + gamma*A_i,j+1")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double gamma = params.getDouble("gamma");
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");

        int n = batch.trajectoryCount();
        int[] groupOf = batch.trajectoryGroups();
        TurnTable table = TurnTable.of(batch);
        TurnBoundaries turns = TurnBoundaries.policySpanEnds(batch, table, execution);
        double[] r = DenseRewards.at(batch, turns.tokens, turns.trajectory);
        int[] groupOfTurn = new int[r.length];
        for (int j = 0; j < r.length; j++) groupOfTurn[j] = groupOf[turns.trajectory[j]];
        GroupStats st = GroupStats.of(r, groupOfTurn, batch.groupCount());
        // per group once: the divisor (the same double as computing it for every turn)
        int groups = batch.groupCount();
        double[] div = new double[groups];
        if (byStd) {
            for (int g = 0; g < groups; g++) {
                if (st.count(g) <= 1) continue;
                double sigma = Math.sqrt(st.unbiasedVariance(g));
                if (sigma < eps) sigma = 1.0;
                div[g] = sigma + eps;
            }
        }
        double[] a = new double[r.length];
        for (int j = 0; j < r.length; j++) {
            int g = groupOfTurn[j];
            if (st.count(g) <= 1) continue;
            double d = r[j] - st.mean(g);
            if (byStd) d /= div[g];
            a[j] = d;
        }
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = turns.offsets[i + 1] - 1; j >= turns.offsets[i]; j--) {
                acc = a[j] + gamma * acc;
                a[j] = acc;
            }
        }
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        turns.broadcast(batch, a, 0f, adv, execution);
        return Credit.builder(adv)
                .returns(buffers == null ? adv.clone() : adv)
                // turn j's value on its span: the value broadcast on the span's last token, boundary j
                .spanAdvantages(table.spanValues(batch, a))
                .diagnostic("turns", turns.size())
                .build();
    }
}
