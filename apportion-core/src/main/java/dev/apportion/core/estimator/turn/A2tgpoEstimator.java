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
import dev.apportion.core.credit.WireName;
import dev.apportion.core.kernel.DenseRewards;
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnBoundaries;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;

/**
 * A²TGPO ({@code a2tgpo}): agentic turn-group policy optimization with adaptive turn-level
 * clipping, the information-gain advantage of the authors' {@code compute_igpo_step_advantage}
 * in its four modes.
 *
 * <h2>Inputs</h2>
 * As {@link IgpoEstimator}: the dense rewards ({@link Rollouts#denseTokenRewards()}) carry each
 * non-final turn's information gain (IG) at its last token and the outcome at the last policy
 * token; in apportion's model, IG = the span reward of each policy span and the outcome = the
 * trajectory outcome give exactly that layout. Boundaries ({@code turn_boundaries}):
 * {@code nonzero_reward} (the reference: policy tokens with a reward that is not exactly 0,
 * plus the last policy token) or {@code policy_spans} (the end of every non-empty policy span).
 * The last boundary holds the outcome {@code R_i}; the others are IG turns {@code k = 0..n−1}.
 * A boundary's value is written on the policy tokens after the previous boundary up to and
 * including its own.
 *
 * <h2>popnorm</h2>
 * Population z-score within a statistics group: {@code σ = sqrt(var_pop + 1e-8)}, σ = 1 for a
 * group of one (so its member gets 0); {@code (x − μ)/(σ + ε)}, or {@code x − μ} when
 * {@code normalize_by_std} is false.
 *
 * <h2>Modes</h2>
 * <ul>
 *   <li>{@code turn-group-v1d} (the paper's method, default): {@code z_k} = popnorm of IG turn
 *       k within the cell (prompt group, k); {@code o_i} = popnorm of the outcome within the
 *       prompt group; {@code D_k = (Σ_{j≥k} γ^{j−k} z_j)/sqrt(n − k)}; IG turn k gets
 *       {@code α·D_k + o_i}, the outcome turn {@code o_i}; no further accumulation. Clip scale
 *       ({@link Credit#clipScales()}): IG turn k gets
 *       {@code 1 + clip_modulation·(2·sigmoid(z_k) − 1)} ∈ (0.7, 1.3), the outcome turn and
 *       context tokens 1. The PPO loss then clips the ratio to
 *       {@code [1 − ε_low·c, 1 + ε_high·c]}.</li>
 *   <li>{@code separate} (the original IGPO): popnorm of the group's outcomes and, apart, of the
 *       pool of all its IG values; {@code A_j = v_j + γ·A_{j+1}} backwards.</li>
 *   <li>{@code joint}: as separate, with one popnorm over the group's outcomes and IG values
 *       together.</li>
 *   <li>{@code turn-group}: batch scale {@code s = σ_out/σ_ig} (population std of all outcomes
 *       and of all IG values of the batch, each clamped to ≥ ε, or 1 with fewer than two
 *       values); {@code next = γ·R_i}, then for k = n−1..0: {@code d_k = s·x_k + γ·next},
 *       {@code next = d_k}; {@code z_k} = popnorm of {@code d_k} within (prompt group, k);
 *       IG turn k gets {@code z_k + turn_group_outcome_weight·o_i}, the outcome turn
 *       {@code o_i}.</li>
 * </ul>
 * Only {@code turn-group-v1d} produces clip scales (the reference returns none otherwise).
 *
 * <h2>Source</h2>
 * Chen et al., "A²TGPO: Agentic Turn-Group Policy Optimization with Adaptive Turn-level
 * Clipping", arXiv 2605.06200; code CuSO4-Chen/A-TGPO,
 * {@code ATGPO/verl_atgpo/verl/trainer/ppo/core_algos.py} {@code compute_igpo_step_advantage}
 * (+ {@code _compute_turn_level_advantage}); the commit was not recorded, the golden file pins
 * the functions' text by a sha256 prefix (872539d3024f). Fidelity {@code reference}: the golden
 * vectors of {@code a2tgpo-igpo-gdpo.jsonl} pass for all four modes.
 *
 * <h2>Parameters, presets, quirks</h2>
 * {@code mode} = turn-group-v1d, {@code gamma} = 1.0, {@code alpha} = 0.3 (the recipe value;
 * the function's own default {@code adv_rescale_alpha} is 1.0), {@code epsilon} = 1e-6,
 * {@code normalize_by_std} = true, {@code clip_modulation} = 0.3 and
 * {@code turn_group_outcome_weight} = 1.5 (both hard-coded in the reference),
 * {@code turn_group_double_discount} = true, {@code turn_boundaries} = nonzero_reward.
 * Presets: {@code paper} (turn-group-v1d, α 0.3, γ 1), {@code igpo} (mode separate),
 * {@code corrected} (turn_boundaries policy_spans, turn_group_double_discount false).
 * Quirks of the reference reproduced by default: boundaries from non-zero rewards (an IG of
 * exactly 0 merges its turn into the next and shifts later turn indices); in
 * {@code turn-group} the outcome reaches the last IG turn with weight γ² (seeded with γ·R, then
 * multiplied by γ again; {@code turn_group_double_discount = false} seeds with R), it uses the
 * raw outcome and a batch-level scale.
 *
 * <h2>Edge cases</h2>
 * A (group, k) cell with one member gives {@code z = 0} (clip scale 1). A trajectory with no
 * IG turn gets {@code o_i} on all its policy tokens. A singleton group's outcome normalizes to
 * 0 (except under {@code joint}). A trajectory without policy tokens gets no credit and enters
 * no statistics. Returns equal the advantages.
 *
 * <p>Group locality: every mode except {@code turn-group} is group-local; {@code turn-group}
 * scales IG by batch-wide statistics, so the descriptor declares the estimator not
 * group-local. Stateless and thread-safe.
 */
public final class A2tgpoEstimator implements BufferedEstimator {
    static final String ID = "a2tgpo";

    /** Values of the {@code mode} parameter, written with the reference's hyphens. */
    enum Mode implements WireName {
        /** the paper's turn-group advantage with adaptive clipping */
        V1D("turn-group-v1d"),
        /** IGPO, IG and outcome normalised together */
        JOINT("joint"),
        /** IGPO, IG and outcome normalised apart */
        SEPARATE("separate"),
        /** IG scaled by batch-wide turn-group statistics */
        TURN_GROUP("turn-group");

        private final String wire;

        Mode(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("A²TGPO turn-group information-gain advantage with adaptive turn-level clipping")
            .source("Chen et al., arXiv 2605.06200; CuSO4-Chen/A-TGPO ATGPO/verl_atgpo/verl/trainer/ppo/core_algos.py "
                    + "compute_igpo_step_advantage (function text sha256 872539d3024f; commit not recorded)")
            .granularity(Granularity.TURN)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.token(
                            Rollouts.REWARD,
                            "IGPO's reward function: information gain at each non-final turn's last token, outcome at the last "
                                    + "policy token (or IG as span rewards and the outcome as the trajectory outcome)")
                    .always())
            .parameters(
                    ParamSpec.choice(
                            "mode", Mode.V1D, "turn-group-v1d (the paper), joint, separate (IGPO), turn-group"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount over IG turns"),
                    ParamSpec.real(
                            "alpha",
                            0.3,
                            null,
                            null,
                            "turn-group-v1d: weight of the IG term D_k (adv_rescale_alpha; the function default is 1.0)"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std outside the square root"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the std in every popnorm"),
                    ParamSpec.real(
                            "clip_modulation",
                            0.3,
                            0.0,
                            1.0,
                            "turn-group-v1d: clip scale 1 + clip_modulation*(2*sigmoid(z)-1) (hard-coded 0.3)"),
                    ParamSpec.real(
                            "turn_group_outcome_weight",
                            1.5,
                            null,
                            null,
                            "turn-group: weight of the normalized outcome added to IG turns (hard-coded 1.5)"),
                    ParamSpec.bool(
                            "turn_group_double_discount",
                            true,
                            "turn-group: seed the accumulation with gamma*R, so the last IG turn sees gamma^2*R (reference)"),
                    ParamSpec.choice(
                            "turn_boundaries",
                            "nonzero_reward",
                            List.of("nonzero_reward", "policy_spans"),
                            "nonzero_reward: turns end at non-zero rewards (reference); policy_spans: at policy span ends"))
            .preset("paper", Map.of("mode", Mode.V1D.wire(), "alpha", 0.3, "gamma", 1.0))
            .preset("igpo", Map.of("mode", Mode.SEPARATE.wire()))
            .preset("corrected", Map.of("turn_boundaries", "policy_spans", "turn_group_double_discount", false))
            .summary(
                    "turn-group-v1d: A_k = alpha*sum_j gamma^(j-k) z_j/sqrt(n-k) + o_i, z = popnorm per (group, turn); "
                            + "clip scale 1 + 0.3*(2*sigmoid(z_k)-1)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Mode mode = params.getChoice("mode", Mode.class);
        double gamma = params.getDouble("gamma");
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");
        TurnBoundaries.Rule rule = params.getChoice("turn_boundaries", TurnBoundaries.Rule.class);

        // boundaries and their rewards straight from the batch: no dense reward array over the tokens
        TurnBoundaries b = TurnBoundaries.of(rule, batch, execution);
        double[] raw = DenseRewards.at(batch, b.tokens, b.trajectory);
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] clip = null;
        switch (mode) {
            case SEPARATE:
            case JOINT: {
                double[] v = IgpoKernel.separateOrJoint(batch, b, raw, mode == Mode.JOINT, gamma, eps, byStd);
                b.broadcast(batch, v, 0f, adv, execution);
                break;
            }
            case V1D: {
                double[] clipPerBoundary = new double[raw.length];
                double[] v = turnGroupV1d(
                        batch,
                        b,
                        raw,
                        gamma,
                        params.getDouble("alpha"),
                        eps,
                        byStd,
                        params.getDouble("clip_modulation"),
                        clipPerBoundary);
                b.broadcast(batch, v, 0f, adv, execution);
                clip = Outputs.second(buffers, batch.tokenCount());
                b.broadcast(batch, clipPerBoundary, 1f, clip, execution);
                break;
            }
            case TURN_GROUP: {
                double[] v = turnGroup(
                        batch,
                        b,
                        raw,
                        gamma,
                        eps,
                        byStd,
                        params.getDouble("turn_group_outcome_weight"),
                        params.getBoolean("turn_group_double_discount"));
                b.broadcast(batch, v, 0f, adv, execution);
                break;
            }
            default:
                throw new IllegalArgumentException("estimator '" + ID + "': unknown mode '" + mode.wire() + "'");
        }
        return Credit.builder(adv)
                .returns(buffers == null ? adv.clone() : adv)
                .spanAdvantages(TurnBoundaries.spanValues(batch, adv))
                .clipScales(clip)
                .diagnostic("boundaries", b.size())
                .build();
    }

    /** IG turn index per boundary, -1 at outcome boundaries. */
    private static int[] igTurnIndex(TurnBoundaries b) {
        int[] k = new int[b.size()];
        for (int j = 0; j < k.length; j++) k[j] = b.isLast(j) ? -1 : b.indexInTrajectory(j);
        return k;
    }

    /**
     * popnorm of {@code x} within (prompt group, IG turn index) cells; NaN at outcome
     * boundaries.
     */
    private static double[] cellZ(Rollouts batch, TurnBoundaries b, double[] x, double eps, boolean byStd) {
        int[] cellCount = new int[1];
        int[] cell = TurnBoundaries.cells(
                igTurnIndex(b), b.trajectory, batch.trajectoryGroups(), batch.groupCount(), cellCount);
        double[] ig = IgpoKernel.infoGains(b, x);
        for (int j = 0; j < cell.length; j++) if (cell[j] < 0) cell[j] = 0; // outcome entries are NaN: skipped
        return GroupZScores.populationZ(ig, cell, Math.max(1, cellCount[0]), eps, byStd);
    }

    /** Outcome popnorm per prompt group, as one value per boundary (the trajectory's o_i). */
    private static double[] normalizedOutcomeByBoundary(
            Rollouts batch, TurnBoundaries b, double[] raw, double eps, boolean byStd) {
        double[] o = GroupZScores.populationZ(
                IgpoKernel.outcomes(b, raw), IgpoKernel.groupOfBoundary(batch, b), batch.groupCount(), eps, byStd);
        double[] out = new double[raw.length];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            int from = b.offsets[i];
            int to = b.offsets[i + 1];
            if (from == to) continue;
            double oi = o[to - 1];
            for (int j = from; j < to; j++) out[j] = oi;
        }
        return out;
    }

    static double[] turnGroupV1d(
            Rollouts batch,
            TurnBoundaries b,
            double[] raw,
            double gamma,
            double alpha,
            double eps,
            boolean byStd,
            double modulation,
            double[] clipOut) {
        double[] z = cellZ(batch, b, raw, eps, byStd);
        double[] o = normalizedOutcomeByBoundary(batch, b, raw, eps, byStd);
        double[] v = new double[raw.length];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            int from = b.offsets[i];
            int to = b.offsets[i + 1];
            if (from == to) continue;
            int last = to - 1;
            v[last] = o[last];
            clipOut[last] = 1.0;
            double sum = 0;
            for (int j = last - 1; j >= from; j--) {
                sum = z[j] + gamma * sum;
                int remaining = last - j;
                v[j] = alpha * sum / Math.sqrt(remaining) + o[j];
                clipOut[j] = 1.0 + modulation * (2.0 * sigmoid(z[j]) - 1.0);
            }
        }
        return v;
    }

    static double[] turnGroup(
            Rollouts batch,
            TurnBoundaries b,
            double[] raw,
            double gamma,
            double eps,
            boolean byStd,
            double outcomeWeight,
            boolean doubleDiscount) {
        double[] ig = IgpoKernel.infoGains(b, raw);
        double[] out = IgpoKernel.outcomes(b, raw);
        double scale = batchStd(out, eps) / batchStd(ig, eps);
        double[] d = new double[raw.length];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            int from = b.offsets[i];
            int to = b.offsets[i + 1];
            if (from == to) continue;
            int last = to - 1;
            double next = doubleDiscount ? gamma * raw[last] : raw[last];
            for (int j = last - 1; j >= from; j--) {
                d[j] = scale * raw[j] + gamma * next;
                next = d[j];
            }
            d[last] = raw[last]; // not an IG entry; ignored by cellZ
        }
        double[] z = cellZ(batch, b, d, eps, byStd);
        double[] o = normalizedOutcomeByBoundary(batch, b, raw, eps, byStd);
        double[] v = new double[raw.length];
        for (int j = 0; j < v.length; j++) v[j] = b.isLast(j) ? o[j] : z[j] + outcomeWeight * o[j];
        return v;
    }

    /** Population std of the non-NaN entries clamped to ≥ eps, or 1 with fewer than two. */
    private static double batchStd(double[] values, double eps) {
        if (GroupZScores.count(values) < 2) return 1.0;
        return Math.max(GroupZScores.populationStd(values), eps);
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
