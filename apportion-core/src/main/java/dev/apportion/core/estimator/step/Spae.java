package dev.apportion.core.estimator.step;

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
import dev.apportion.core.kernel.PaperSteps;
import dev.apportion.core.kernel.StepTokens;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;
import java.util.Map;

/**
 * SPAE, step potential advantage estimation ({@code spae}): a probe after every reasoning step
 * measures how close the model is to the answer (accuracy and confidence of a forced answer);
 * the resulting step potential damps the outcome credit of steps after the answer was already
 * reached and shapes every step by its change in potential.
 *
 * <h2>Formula</h2>
 * For step {@code k} of trajectory {@code i} (its policy spans, see {@link PaperSteps}), with
 * probe accuracy {@code Acc_k} and confidence {@code Conf_k} in [0, 1] (span signals), or a
 * potential given directly ({@code potential_from = signal}):
 * <pre>
 *   Φ_k  = 1.5·Acc_k·Conf_k + 0.5·Acc_k − Conf_k            (∈ [−1, 1]; −1 = confidently wrong)
 *   ΔΦ_1 = 0,  ΔΦ_k = Φ_k − Φ_{k−1}
 *   sat_k = [∃ j &lt; k : Φ_j &gt; τ]                              (the answer was reached before step k)
 *   Â^G_i = (R_i − mean_g R) / (std_g R + ε)                  (GRPO on the outcome)
 *   A_{i,k} = Â^G_i·(1 − α·sat_k) + ξ·ΔΦ_k                    (saturation = scale, default)
 *   A_{i,k} = Â^G_i − α·|Â^G_i|·sat_k + ξ·ΔΦ_k                (saturation = penalize)
 * </pre>
 * then ({@code batch_normalize}) whitening over the policy tokens of the batch (token-weighted,
 * unbiased variance, {@code rsqrt(var + 1e-8)}). Groups whose outcomes are all equal are dropped
 * before probing in the paper's pipeline ({@code filter_uniform_groups}): their tokens get 0 and
 * take no part in the whitening.
 *
 * <h2>Source and fidelity</h2>
 * F. Wu, Z. Zhang, Q. Chang, J. Zhang, Q. Liu, J. Du, "Step Potential Advantage Estimation:
 * Harnessing Intermediate Confidence and Correctness for Efficient Mathematical Reasoning", arXiv
 * 2601.03823; the potential from cii030/SPAE-RL@ed529f8 {@code inference/probe_mechanism_example.py}
 * (the training code is not public). Fidelity {@code reconstructed}: Φ, ΔΦ, the form
 * {@code Â^G·f(Φ) + ξ·g(ΔΦ)}, the batch normalization and α = ξ = 0.5 are the authors'; the
 * saturation factor {@code f = 1 − α·sat} with τ = 0.9 (the code's "answer reached" threshold)
 * and {@code g(ΔΦ) = ΔΦ} are ours. With a negative {@code Â^G} the default {@code scale} makes
 * post-saturation steps <em>less</em> negative; {@code penalize} makes them more negative
 * (a right-then-wrong response is blamed most after it had the answer) — pick by experiment.
 *
 * <h2>Edge cases</h2>
 * A one-trajectory group has {@code Â^G = 0} (and is filtered when filtering is on). The first
 * step has {@code ΔΦ = 0}. When fewer than two policy tokens remain to whiten, the values are left
 * unwhitened. A step without its probe signals, probe values outside [0, 1], or a trajectory
 * without an outcome are {@link RolloutException}s.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class Spae implements BufferedEstimator {
    /** Values of the {@code std} parameter (lower-case names on the wire). */
    enum Std {
        UNBIASED,
        POPULATION
    }

    /** Values of the {@code saturation} parameter (lower-case names on the wire). */
    enum Saturation {
        SCALE,
        PENALIZE
    }

    /** Values of the {@code potential_from} parameter (lower-case names on the wire). */
    enum PotentialFrom {
        ACC_CONF,
        SIGNAL
    }

    /** Registry id. */
    public static final String ID = "spae";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SPAE: GRPO credit damped after the probe potential saturates, plus potential-difference shaping")
            .source("Wu, Zhang, Chang, Zhang, Liu, Du, arXiv 2601.03823; cii030/SPAE-RL@ed529f8 (probe only)")
            .granularity(Granularity.STEP)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(false)
            .requires(
                    SignalRequirement.trajectory("outcome", "the verifier"),
                    SignalRequirement.span(
                            "probe_acc",
                            "the answer probe: mean probability of the ground-truth answer after the step"),
                    SignalRequirement.span(
                            "probe_conf", "the answer probe: mean exp(−entropy) of the forced answer after the step"))
            .parameters(
                    ParamSpec.choice(
                            "potential_from",
                            PotentialFrom.ACC_CONF,
                            "acc_conf: Φ from the probe's accuracy and confidence; signal: Φ given as a span signal"),
                    ParamSpec.string("acc_signal", "probe_acc", "span signal: probe accuracy in [0,1]"),
                    ParamSpec.string("conf_signal", "probe_conf", "span signal: probe confidence in [0,1]"),
                    ParamSpec.string("potential_signal", "potential", "span signal: Φ (potential_from=signal)"),
                    ParamSpec.real("alpha", 0.5, 0.0, 1.0, "penalty factor α on steps after saturation"),
                    ParamSpec.real("xi", 0.5, 0.0, null, "shaping factor ξ on ΔΦ"),
                    ParamSpec.real("tau", 0.9, -1.0, 1.0, "saturation threshold τ on Φ"),
                    ParamSpec.choice(
                            "saturation",
                            Saturation.SCALE,
                            "scale: Â^G·(1 − α); penalize: Â^G − α·|Â^G| after saturation"),
                    ParamSpec.bool("filter_uniform_groups", true, "drop groups whose outcomes are all equal"),
                    ParamSpec.bool(
                            "batch_normalize", true, "whiten the final advantages over the batch's policy tokens"),
                    ParamSpec.choice("std", Std.UNBIASED, "std of the GRPO outcome z-score"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"))
            .preset(
                    "paper",
                    Map.of("alpha", 0.5, "xi", 0.5, "tau", 0.9, "filter_uniform_groups", true, "batch_normalize", true))
            .preset("penalize", Map.of("saturation", "penalize"))
            .summary("Φ = 1.5·Acc·Conf + 0.5·Acc − Conf; A = Â^G·(1 − α·[Φ saturated earlier]) + ξ·ΔΦ; batch-whitened")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Φ = 1.5·Acc·Conf + 0.5·Acc − Conf (the probe's step potential). */
    static double potential(double acc, double conf) {
        return 1.5 * acc * conf + 0.5 * acc - conf;
    }

    /**
     * Shapes one trajectory's steps.
     *
     * @param phi read, one potential per step in {@code [from, to)}
     * @param out written, indices {@code [from, to)}
     * @return number of saturated steps
     */
    static int shape(
            double aGroup,
            double[] phi,
            int from,
            int to,
            double alpha,
            double xi,
            double tau,
            boolean penalize,
            double[] out) {
        boolean saturated = false;
        int count = 0;
        for (int k = from; k < to; k++) {
            double dPhi = k == from ? 0.0 : phi[k] - phi[k - 1];
            double base;
            if (!saturated) base = aGroup;
            else base = penalize ? aGroup - alpha * Math.abs(aGroup) : aGroup * (1 - alpha);
            if (saturated) count++;
            out[k] = base + xi * dPhi;
            if (phi[k] > tau) saturated = true;
        }
        return count;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean fromSignal = params.getChoice("potential_from", PotentialFrom.class) == PotentialFrom.SIGNAL;
        double alpha = params.getDouble("alpha");
        double xi = params.getDouble("xi");
        double tau = params.getDouble("tau");
        boolean penalize = params.getChoice("saturation", Saturation.class) == Saturation.PENALIZE;
        boolean filter = params.getBoolean("filter_uniform_groups");
        boolean whiten = params.getBoolean("batch_normalize");
        boolean unbiased = params.getChoice("std", Std.class) == Std.UNBIASED;
        double eps = params.getDouble("epsilon");

        double[] outcome = Capo.requireOutcome(batch, ID, "the verifier");
        PaperSteps steps = PaperSteps.of(batch);
        double[] phi;
        if (fromSignal) {
            phi = steps.signal(batch, params.getString("potential_signal"), ID, "the step potential Φ", false);
        } else {
            String accName = params.getString("acc_signal");
            String confName = params.getString("conf_signal");
            double[] acc = steps.signal(batch, accName, ID, "the answer probe's accuracy", false);
            double[] conf = steps.signal(batch, confName, ID, "the answer probe's confidence", false);
            phi = new double[steps.total()];
            for (int k = 0; k < phi.length; k++) {
                checkUnit(batch, steps, k, accName, acc[k]);
                checkUnit(batch, steps, k, confName, conf[k]);
                phi[k] = potential(acc[k], conf[k]);
            }
        }

        int n = batch.trajectoryCount();
        double[] aGroup = GroupZScores.ofGroupMembers(batch, outcome, 1.0, unbiased, eps);
        boolean[] dropped = new boolean[n];
        int droppedGroups = 0;
        if (filter) {
            int[] start = batch.groupMemberStart();
            int[] members = batch.groupMembers();
            for (int g = 0; g < batch.groupCount(); g++) {
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (int j = start[g]; j < start[g + 1]; j++) {
                    lo = Math.min(lo, outcome[members[j]]);
                    hi = Math.max(hi, outcome[members[j]]);
                }
                if (lo == hi) {
                    droppedGroups++;
                    for (int j = start[g]; j < start[g + 1]; j++) dropped[members[j]] = true;
                }
            }
        }
        double[] adv = new double[steps.total()];
        int saturated = 0;
        for (int i = 0; i < n; i++) {
            if (dropped[i]) continue;
            saturated += shape(aGroup[i], phi, steps.start(i), steps.end(i), alpha, xi, tau, penalize, adv);
        }
        float[] values = StepTokens.floats(adv);
        Whitening.Stats st = whiten ? StepTokens.whitenUnbiased(batch, steps, values, dropped, 1e-8) : null;
        float[] out = StepCredit.advantages(batch, buffers);
        StepTokens.write(batch, steps, values, out, execution);
        Credit.Builder c = Credit.builder(out);
        if (st != null) c.diagnostic("whiten_mean", st.mean()).diagnostic("whiten_scale", st.scale());
        return c.spanAdvantages(steps.spanValues(batch, adv))
                .diagnostic("dropped_groups", droppedGroups)
                .diagnostic("saturated_steps", saturated)
                .build();
    }

    private static void checkUnit(Rollouts batch, PaperSteps steps, int k, String name, double v) {
        if (v < 0 || v > 1) {
            int i = steps.trajectory(k);
            int local = steps.span(k) - batch.spanStart(i);
            throw new RolloutException(
                    batch.describe(i) + ": spans[" + local + "].signals." + name
                            + " must be in [0, 1] (a probe average), got " + v,
                    i,
                    "spans[" + local + "].signals." + name);
        }
    }
}
