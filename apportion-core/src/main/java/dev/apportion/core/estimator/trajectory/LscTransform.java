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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Broadcast;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The log-sigmoid-centred (LSC) reward transform of "Transforming and Combining Rewards"
 * ({@code lsc}): a Bradley–Terry reward becomes the log-probability that the response is better
 * than a reference response of the same prompt, and several rewards combine as the
 * log-probability of being good on all of them.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} with rewards {@code r_{i,c}} (its outcome components, each one
 * property; or its outcome as the only property) and per-prompt reference rewards
 * {@code r_ref,c}:
 * <pre>
 *   u_i = Σ_c log σ(r_{i,c} − r_ref,c)                    (= log Π_c P(good_c), the logical AND)
 *   A_i = u_i − b_i,   b = 0 (none) | mean_g u (group_mean) | mean_{j≠i, j∈g} u_j (leave_one_out)
 * </pre>
 * {@code A_i} is laid on the trajectory's policy tokens; returns hold {@code u_i}. The transform
 * gives diminishing returns to already-good responses (less reward hacking) and large gradients to
 * poor ones (less underfitting).
 *
 * <h2>Reference reward</h2>
 * {@code reference = signal} (default) reads trajectory signal {@code reference_signal} (for a
 * component {@code c}, {@code <reference_signal>.<c>} when present, else {@code reference_signal}):
 * the paper takes {@code r_ref(x)} from base-policy samples of the prompt, computed upstream.
 * {@code reference = group_quantile} uses the {@code quantile} of the group's own rewards
 * (linear interpolation), a stand-in of ours for when no base-policy samples exist.
 *
 * <h2>Source and fidelity</h2>
 * Z. Wang, C. Nagpal, J. Berant, J. Eisenstein, A. D'Amour, S. Koyejo, V. Veitch, "Transforming
 * and Combining Rewards for Aligning Large Language Models", arXiv 2402.00742 (ICML 2024).
 * Fidelity {@code paper} for the transform and the sum over properties; the baselines and the
 * group-quantile reference are ours (the paper feeds {@code u} to RLHF with a learned critic; the
 * quantile it used for {@code r_ref} was not verified).
 *
 * <h2>Edge cases</h2>
 * A NaN reward or reference is a {@link RolloutException} naming the trajectory (the AND of
 * properties needs all of them). {@code leave_one_out} in a one-trajectory group gives 0. The
 * log-sigmoid is evaluated stably for large differences.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class LscTransform implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "lsc";

    /** Where r_ref comes from ({@code reference}). */
    enum Reference {
        /** a trajectory signal */
        SIGNAL,
        /** a quantile of the group's rewards */
        GROUP_QUANTILE
    }

    /** What is subtracted from the utility ({@code baseline}). */
    enum Baseline {
        /** nothing */
        NONE,
        /** the group mean */
        GROUP_MEAN,
        /** the mean of the others */
        LEAVE_ONE_OUT
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .aliases("lsc_transform")
            .title("LSC reward transform: log σ(r − r_ref), summed over properties (logical AND)")
            .source("Wang, Nagpal, Berant, Eisenstein, D'Amour, Koyejo, Veitch, arXiv 2402.00742")
            .granularity(Granularity.TRAJECTORY)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory(
                            "outcome", "a Bradley-Terry reward model (or outcome components, one " + "per property)"),
                    SignalRequirement.trajectory(
                            "reward_reference",
                            "the reward of a reference response of the prompt " + "(reference=signal)"))
            .parameters(
                    ParamSpec.choice(
                            "reference",
                            Reference.SIGNAL,
                            "signal: r_ref from a trajectory signal; group_quantile: a quantile of the group's rewards"),
                    ParamSpec.string("reference_signal", "reward_reference", "trajectory signal holding r_ref"),
                    ParamSpec.real(
                            "quantile", 0.5, 0.0, 1.0, "quantile of the group's rewards (reference=group_quantile)"),
                    ParamSpec.choice(
                            "baseline",
                            Baseline.NONE,
                            "subtracted from the utility: nothing (the paper's reward), the group mean, or the mean "
                                    + "of the others"))
            .preset(
                    "group_median_rloo",
                    Map.of("reference", "group_quantile", "quantile", 0.5, "baseline", "leave_one_out"))
            .summary(
                    "u = Σ_properties log σ(r − r_ref); credit u (optionally minus a group baseline) on every policy token")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** log σ(x), stable for large |x|. */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean fromSignal = params.getChoice("reference", Reference.class) == Reference.SIGNAL;
        String refName = params.getString("reference_signal");
        double q = params.getDouble("quantile");
        Baseline baseline = params.getChoice("baseline", Baseline.class);
        int n = batch.trajectoryCount();

        Map<String, float[]> props = new LinkedHashMap<>();
        if (!batch.outcomeComponents().isEmpty()) props.putAll(batch.outcomeComponents());
        else if (batch.outcome() != null) props.put("outcome", batch.outcome());
        else
            throw new RolloutException(
                    "estimator '" + ID + "' needs an outcome (a reward model score) or outcome "
                            + "components, which the batch lacks",
                    -1,
                    "outcome");

        double[] u = new double[n];
        boolean components = !batch.outcomeComponents().isEmpty();
        for (Map.Entry<String, float[]> e : props.entrySet()) {
            String field = components ? "outcome." + e.getKey() : "outcome";
            float[] r = e.getValue();
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(r[i])) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "' needs " + field
                                    + " (every property's reward) but it is absent",
                            i,
                            field);
                }
            }
            double[] ref = fromSignal
                    ? referenceFromSignal(batch, refName, components ? e.getKey() : null)
                    : groupQuantile(batch, r, q);
            for (int i = 0; i < n; i++) u[i] += logSigmoid(r[i] - ref[i]);
        }
        double[] adv = u.clone();
        if (baseline != Baseline.NONE) {
            int[] start = batch.groupMemberStart();
            int[] members = batch.groupMembers();
            for (int g = 0; g < batch.groupCount(); g++) {
                int m = start[g + 1] - start[g];
                double sum = 0;
                for (int j = start[g]; j < start[g + 1]; j++) sum += u[members[j]];
                for (int j = start[g]; j < start[g + 1]; j++) {
                    int i = members[j];
                    if (baseline == Baseline.GROUP_MEAN) adv[i] = u[i] - sum / m;
                    else adv[i] = m < 2 ? 0.0 : u[i] - (sum - u[i]) / (m - 1);
                }
            }
        }
        float[] out = TokenCredit.advantagesArray(buffers, batch.tokenCount());
        Broadcast.trajectories(batch, adv, out, execution);
        float[] ret = TokenCredit.returnsArray(buffers, batch.tokenCount());
        Broadcast.trajectories(batch, u, ret, execution);
        return Credit.builder(out)
                .returns(ret)
                .diagnostic("properties", props.size())
                .build();
    }

    private static double[] referenceFromSignal(Rollouts batch, String name, String component) {
        String specific = component == null ? null : name + "." + component;
        String use = specific != null && batch.trajectorySignal(specific) != null ? specific : name;
        float[] v = batch.requireTrajectorySignal(
                use, ID, "the reward of a reference response of the prompt, " + "e.g. from base-policy samples");
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    /** Per trajectory, the {@code q}-quantile (linear interpolation) of its group's rewards. */
    static double[] groupQuantile(Rollouts batch, float[] r, double q) {
        double[] out = new double[batch.trajectoryCount()];
        int[] start = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        for (int g = 0; g < batch.groupCount(); g++) {
            double[] sorted = new double[start[g + 1] - start[g]];
            for (int j = start[g]; j < start[g + 1]; j++) sorted[j - start[g]] = r[members[j]];
            Arrays.sort(sorted);
            double pos = q * (sorted.length - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(sorted.length - 1, lo + 1);
            double v = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
            for (int j = start[g]; j < start[g + 1]; j++) out[members[j]] = v;
        }
        return out;
    }
}
