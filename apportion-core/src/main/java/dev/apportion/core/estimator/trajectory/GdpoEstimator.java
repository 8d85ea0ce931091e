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
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.RepeatedSum;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Broadcast;
import dev.apportion.core.stats.Whitening;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GDPO ({@code gdpo}): group reward-decoupled normalization. Each reward dimension gets its
 * own GRPO normalization within the prompt group, the per-dimension advantages are summed with
 * weights, and the sum is whitened over the batch's policy tokens.
 *
 * <h2>Reward dimensions (how the inputs map onto apportion)</h2>
 * The reference reads reward component {@code key} of each rollout from verl's non-tensor batch
 * ({@code gdpo_reward_keys}). Here a dimension is a named <b>outcome component</b>
 * ({@link Rollouts#outcomeComponents()}, what the TRL adapter also produces from
 * {@code rewards_per_func}):
 * <ul>
 *   <li>{@code reward_keys} given (comma-separated, a JSON list is accepted): one dimension
 *       per key, in that order; a key the batch lacks, or a NaN component value, is an
 *       error naming the trajectory.</li>
 *   <li>{@code reward_keys} empty and the batch has outcome components: every component, in
 *       the batch's order.</li>
 *   <li>otherwise one dimension, the trajectory score {@link Rollouts#scores()} (outcome +
 *       span rewards + all token rewards), the reference's fallback on the row sums of
 *       {@code token_level_rewards}.</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Per dimension k, within each prompt group: {@code a_ki = (s_ki − μ)/(σ + ε)} with the
 *       unbiased std, or {@code s_ki − μ} when {@code normalize_by_std} is false; a group of
 *       one gets mean 0 and std 1 (verl's GRPO).</li>
 *   <li>{@code A_i = Σ_k w_k·a_ki}, {@code w} = {@code reward_weights} (all 1 when empty; else
 *       one weight per dimension).</li>
 *   <li>{@code A_i} on every policy token of trajectory i, then batch whitening over the policy
 *       tokens as verl's {@code masked_whiten}: token-weighted mean, unbiased variance,
 *       {@code (v − m)/sqrt(var + 1e-8)}; context tokens 0.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * GDPO, arXiv 2601.05242; code dl-m9/SIOP @ a871ef9, {@code verl/trainer/ppo/core_algos.py}
 * {@code compute_gdpo_outcome_advantage} (+ {@code compute_grpo_outcome_advantage},
 * {@code verl/utils/torch_functional.py} {@code masked_whiten}). Fidelity {@code reference}: the
 * golden vectors of {@code a2tgpo-igpo-gdpo.jsonl} (component and fallback paths, error case)
 * pass.
 *
 * <h2>Parameters, presets, quirks</h2>
 * {@code epsilon} = 1e-6, {@code normalize_by_std} = true, {@code reward_keys} = "" ,
 * {@code reward_weights} = [] . Preset {@code reference} = the defaults. Quirk: SIOP's trainer
 * calls the function without its config, so {@code normalize_by_std} is always true there and
 * ε always 1e-6; the parameter is exposed anyway. Whitening weights each trajectory by its
 * number of policy tokens, so longer responses weigh more.
 *
 * <h2>Edge cases</h2>
 * Fewer than two policy tokens in the batch is an error (the variance is undefined), as in the
 * reference. A group of one keeps {@code s/(1+ε)} per dimension before whitening. Not
 * group-local (batch whitening). Returns equal the advantages.
 *
 * <p>Stateless and thread-safe.
 */
public final class GdpoEstimator implements BufferedEstimator {
    static final String ID = "gdpo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("GDPO: per-reward-dimension GRPO, weighted sum, batch whitening")
            .source(
                    "GDPO, arXiv 2601.05242; dl-m9/SIOP@a871ef9 verl/trainer/ppo/core_algos.py compute_gdpo_outcome_advantage")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(SignalRequirement.trajectory(
                            Rollouts.REWARD,
                            "the reward functions, one named outcome component per reward dimension (else the summed reward)")
                    .always())
            .parameters(
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"),
                    ParamSpec.bool("normalize_by_std", true, "divide each dimension by its group std"),
                    ParamSpec.string(
                            "reward_keys",
                            "",
                            "outcome components used as reward dimensions, comma-separated (JSON list accepted); "
                                    + "empty: every outcome component, or the summed reward when there is none"),
                    ParamSpec.realList("reward_weights", List.of(), "weight per reward dimension (empty: all 1)"))
            .preset("reference", Map.of("epsilon", 1e-6, "normalize_by_std", true))
            .summary("A = whiten(sum_k w_k * GRPO_group(s_k)) over policy tokens")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double eps = params.getDouble("epsilon");
        boolean byStd = params.getBoolean("normalize_by_std");
        List<String> keys = parseKeys(params.getString("reward_keys"));
        double[] weights = params.getDoubleList("reward_weights");
        int n = batch.trajectoryCount();

        List<double[]> dims = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (keys.isEmpty() && !batch.outcomeComponents().isEmpty())
            keys = new ArrayList<>(batch.outcomeComponents().keySet());
        if (keys.isEmpty()) {
            dims.add(batch.scores());
            names.add("score");
        } else {
            for (String k : keys) {
                float[] c = batch.outcomeComponents().get(k);
                if (c == null) {
                    throw new RolloutException(
                            "estimator '" + ID + "' needs the outcome component '" + k
                                    + "' (reward_keys), which the batch lacks (outcome components: "
                                    + String.join(
                                            ", ", batch.outcomeComponents().keySet()) + ")",
                            -1,
                            "outcome." + k);
                }
                double[] s = new double[n];
                for (int i = 0; i < n; i++) {
                    if (Float.isNaN(c[i])) {
                        throw new RolloutException(
                                batch.describe(i) + ": estimator '" + ID + "' needs outcome." + k + " but it is absent",
                                i,
                                "outcome." + k);
                    }
                    s[i] = c[i];
                }
                dims.add(s);
                names.add(k);
            }
        }
        if (weights.length != 0 && weights.length != dims.size()) {
            throw new IllegalArgumentException("estimator '" + ID + "': reward_weights has " + weights.length
                    + " entries but there are " + dims.size() + " reward dimensions " + names);
        }
        double[] sum = new double[n];
        int[] groupOf = batch.trajectoryGroups();
        for (int k = 0; k < dims.size(); k++) {
            double w = weights.length == 0 ? 1.0 : weights[k];
            double[] a = GroupZScores.verl(dims.get(k), groupOf, batch.groupCount(), eps, byStd);
            for (int i = 0; i < n; i++) sum[i] += w * a[i];
        }
        // the broadcast sums are constant on each trajectory's policy tokens: whiten them per trajectory
        // (bit for bit the token whitening, see RepeatedSum), then broadcast the whitened values once
        float[] x = new float[n];
        int[] count = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) sum[i];
            count[i] = batch.policyTokenCount(i);
        }
        float[] y = new float[n];
        Whitening.Stats ws;
        try {
            ws = RepeatedSum.whitenConstantRuns(
                    x, count, y, Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("estimator '" + ID + "': " + e.getMessage(), e);
        }
        double[] whitened = new double[n];
        for (int i = 0; i < n; i++) whitened[i] = y[i];
        float[] adv = TokenCredit.advantagesArray(buffers, batch.tokenCount());
        Broadcast.trajectories(batch, whitened, adv, execution);
        // returns equal the advantages: one array for both, as in GRPO (no second 4-byte-per-token write)
        return Credit.builder(adv)
                .returns(adv)
                .diagnostic("reward_dimensions", dims.size())
                .diagnostic("whiten_mean", ws.mean())
                .diagnostic("whiten_variance", ws.variance())
                .build();
    }

    /** Splits "a, b" or "[a, b]" (a JSON list rendered as text) into names; blank gives none. */
    static List<String> parseKeys(String raw) {
        String t = raw.trim();
        if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
        List<String> out = new ArrayList<>();
        for (String part : t.split(",")) {
            String k = part.trim();
            if (k.length() >= 2 && (k.startsWith("\"") && k.endsWith("\"") || k.startsWith("'") && k.endsWith("'"))) {
                k = k.substring(1, k.length() - 1);
            }
            if (!k.isEmpty()) out.add(k);
        }
        if (out.size() != new java.util.HashSet<>(out).size()) {
            throw new IllegalArgumentException(
                    "estimator '" + ID + "': reward_keys names a component twice: " + String.join(", ", out));
        }
        return out;
    }
}
