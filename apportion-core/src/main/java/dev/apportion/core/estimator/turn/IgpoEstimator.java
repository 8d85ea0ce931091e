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
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;

/**
 * IGPO's turn-level advantage ({@code igpo}): information-gain turn rewards and the outcome,
 * z-scored within the prompt group (separately or jointly), then accumulated backwards over
 * turns.
 *
 * <h2>Where the rewards sit</h2>
 * IGPO's reward function writes each non-final turn's information gain
 * {@code IG_t = P_t − P_{t−1}} (P = the policy's geometric-mean probability of the gold answer
 * after turn t) at the turn's last token, and the outcome (F1/EM) at the trajectory's last
 * policy token. This estimator reads the dense rewards ({@link Rollouts#denseTokenRewards()}:
 * token {@code reward}, plus each span's reward on its last token, plus the outcome on the last
 * policy token), so in apportion's model the natural input is: IG of turn t = the span reward
 * of policy span t, outcome = the trajectory outcome (or everything as token rewards, as the
 * verl layout carries it).
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} of group {@code g}:
 * <ol>
 *   <li>Boundaries ({@code turn_boundaries}): {@code nonzero_reward} (the reference) takes every
 *       policy token whose dense reward is not exactly 0, plus the last policy token;
 *       {@code policy_spans} takes the last token of every non-empty policy span. The last
 *       boundary holds the outcome {@code R_i} (even if 0), the others hold IG values.</li>
 *   <li>Weights: outcome × {@code curriculum_f1_weight}, IG × {@code curriculum_ig_weight}.</li>
 *   <li>popnorm (population variance, {@code σ = sqrt(var + 1e-8)}, σ = 1 for one member;
 *       {@code (x − μ)/(σ + ε)} or {@code x − μ} without std): {@code separate} normalizes the
 *       group's outcomes and, apart, the pool of all its IG values; {@code joint} normalizes
 *       outcomes and IG values of the group together.</li>
 *   <li>{@code A_j = v_j + γ·A_{j+1}} over the trajectory's boundaries, from the last one.</li>
 *   <li>{@code A_j} is written on every policy token after the previous boundary up to and
 *       including boundary {@code j}; context tokens get 0.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * IGPO (information-gain-based policy optimization), G. Wang, S. Dai et al., arXiv 2510.14967; code
 * dl-m9/SIOP @ a871ef9, {@code verl/trainer/ppo/core_algos.py}
 * {@code compute_igpo_turn_level_advantage} (+ {@code _compute_turn_level_advantage}).
 * Fidelity {@code reference}: the golden vectors of {@code a2tgpo-igpo-gdpo.jsonl} pass.
 *
 * <h2>Parameters, presets, quirks</h2>
 * {@code mode} = separate, {@code gamma} = 1.0, {@code epsilon} = 1e-6,
 * {@code normalize_by_std} = true, {@code curriculum_f1_weight} = {@code curriculum_ig_weight}
 * = 1.0, {@code turn_boundaries} = nonzero_reward. Presets: {@code reference} (the defaults),
 * {@code joint}, {@code corrected} ({@code turn_boundaries = policy_spans}).
 * Reference quirk: boundaries come from non-zero rewards, so a turn whose IG is exactly 0
 * (IGPO's reward function stores 1e-10 instead to avoid this) has no boundary and takes the
 * next turn's value; any non-zero token reward inside a turn (a KL penalty, say) also cuts it.
 * {@code policy_spans} fixes both by cutting at the policy spans. With {@code separate} and
 * std normalization the curriculum weights cancel up to the 1e-8 and ε terms.
 *
 * <h2>Edge cases</h2>
 * A singleton group's outcome normalizes to 0 under {@code separate}; under {@code joint} a
 * singleton with IG turns gets non-zero values. A trajectory without policy tokens gets no
 * credit and enters no statistics. Returns equal the advantages; span advantages are the value
 * on each policy span's last token.
 *
 * <p>Stateless and thread-safe.
 */
public final class IgpoEstimator implements BufferedEstimator {
    static final String ID = "igpo";

    /** Values of {@code mode}. */
    enum Mode {
        SEPARATE,
        JOINT
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("IGPO turn-level advantage (information gain + outcome, group z-scores, discounted over turns)")
            .source("IGPO, Wang, Dai et al., arXiv 2510.14967; dl-m9/SIOP@a871ef9 verl/trainer/ppo/core_algos.py "
                    + "compute_igpo_turn_level_advantage")
            .granularity(Granularity.TURN)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.token(
                            Rollouts.REWARD,
                            "IGPO's reward function: information gain at each non-final turn's last token, outcome at the last "
                                    + "policy token (or IG as span rewards and the outcome as the trajectory outcome)")
                    .always())
            .parameters(
                    ParamSpec.choice(
                            "mode",
                            Mode.SEPARATE,
                            "separate: outcome and IG normalized apart within the group; joint: together"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount of the backward accumulation over turns"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std outside the square root"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the std (verl norm_adv_by_std_in_grpo)"),
                    ParamSpec.real(
                            "curriculum_f1_weight", 1.0, null, null, "multiplies the outcome before normalization"),
                    ParamSpec.real(
                            "curriculum_ig_weight", 1.0, null, null, "multiplies every IG value before normalization"),
                    ParamSpec.choice(
                            "turn_boundaries",
                            "nonzero_reward",
                            List.of("nonzero_reward", "policy_spans"),
                            "nonzero_reward: turns end at non-zero rewards (reference); policy_spans: at policy span ends"))
            .preset(
                    "reference",
                    Map.of(
                            "mode",
                            "separate",
                            "gamma",
                            1.0,
                            "epsilon",
                            1e-6,
                            "normalize_by_std",
                            true,
                            "curriculum_f1_weight",
                            1.0,
                            "curriculum_ig_weight",
                            1.0,
                            "turn_boundaries",
                            "nonzero_reward"))
            .preset("joint", Map.of("mode", "joint"))
            .preset("corrected", Map.of("turn_boundaries", "policy_spans"))
            .summary("v = popnorm_group(outcome), popnorm_group(IG) (or jointly); A_j = v_j + gamma*A_{j+1}")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean joint = params.getChoice("mode", Mode.class) == Mode.JOINT;
        double gamma = params.getDouble("gamma");
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");
        double wF = params.getDouble("curriculum_f1_weight");
        double wIg = params.getDouble("curriculum_ig_weight");
        TurnBoundaries.Rule rule = params.getChoice("turn_boundaries", TurnBoundaries.Rule.class);

        // boundaries and their rewards straight from the batch: no dense reward array over the tokens
        TurnBoundaries b = TurnBoundaries.of(rule, batch, execution);
        double[] raw = DenseRewards.at(batch, b.tokens, b.trajectory);
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        for (int j = 0; j < raw.length; j++) raw[j] *= b.isLast(j) ? wF : wIg;
        double[] v = IgpoKernel.separateOrJoint(batch, b, raw, joint, gamma, eps, byStd);
        b.broadcast(batch, v, 0f, adv, execution);
        return Credit.builder(adv)
                .returns(buffers == null ? adv.clone() : adv)
                .spanAdvantages(TurnBoundaries.spanValues(batch, adv))
                .diagnostic("boundaries", b.size())
                .build();
    }
}
