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
import java.util.Map;

/**
 * CAPO, credit assignment with an LLM as generative process reward model ({@code capo}): a
 * frozen LLM lists the wrong steps of each response, several critiques are combined by voting,
 * and every token of a step voted wrong loses a process penalty on top of the verifiable
 * outcome reward.
 *
 * <h2>Formula</h2>
 * For trajectory {@code i} with verifier outcome {@code r_v} (the trajectory outcome) and steps
 * {@code k} (its policy spans, see {@link PaperSteps}), with {@code v_k ∈ [0, 1]} the fraction of
 * the N critiques that list step k as wrong (span signal {@code error_signal}; 0 or 1 for a single
 * critique or a step verifier):
 * <pre>
 *   p_k = [v_k &gt; 1/2] (majority) | [v_k = 1] (intersection) | v_k (average) | [v_k &gt; 0] (union)
 *   R_{i,t} = W_whole·r_v − W_process·p_k    (t in step k)
 * </pre>
 * <b>Voting rules (issue 12 audit).</b> The paper names three rules; the one text of it we could
 * read (a summary of the paper, cognaptus.com, 2025-08-05: "majority, intersection, or average
 * vote") calls the third <i>average</i>, and the reference notes wrote "average/union". The
 * paper's method section itself could not be read here and the authors' code is not public. So
 * {@code average} is offered as the paper's third rule, read as a soft penalty proportional to
 * the share of critiques that flag the step (our reading of "average"); {@code union} (flag a
 * step any critique lists), which this estimator offered as the third rule before, stays
 * available as apportion's own variant, not the paper's.
 * then ({@code normalization}):
 * <ul>
 *   <li>{@code group_tokens} (default): {@code A = (R − μ)/(σ + ε)}, μ and σ over every policy
 *       token of the group (token-weighted);</li>
 *   <li>{@code outcome_plus_penalty}: {@code A = (W_whole·r_v − μ_g)/(σ_g + ε) − W_process·[wrong]},
 *       an outcome z-score over the group's trajectories plus the raw penalty;</li>
 *   <li>{@code none}: {@code A = R}.</li>
 * </ul>
 *
 * <h2>Source and fidelity</h2>
 * G. Xie, Y. Shi, H. Tian, T. Yao, X. Zhang, J. Xu, "CAPO: Towards Enhancing LLM Reasoning through
 * (Verifiable) Generative Credit Assignment", arXiv 2508.02298 (code not released: andyclsr/CAPO
 * holds a README only). Fidelity {@code reconstructed}: the reward form {@code C − P} on wrong
 * steps and the three voting rules follow the paper's overview figure; the normalization of the
 * token rewards and the weights {@code W_whole = 2}, {@code W_process = 1} are ours (the paper's
 * values were not recovered; it argues for an asymmetric weighting, which 2 and 1 satisfy: a
 * correct response with flagged steps still earns more than any incorrect one).
 *
 * <h2>Edge cases</h2>
 * No step flagged: pure outcome credit. A correct answer with flagged steps gives those tokens
 * {@code W_whole − W_process}. A group whose token rewards are all equal gets 0 (and so does a
 * group with fewer than two policy tokens, or, for {@code outcome_plus_penalty}, a one-trajectory
 * group's outcome term). Vote fractions outside [0, 1], a step without a vote value, or a
 * trajectory without an outcome are {@link RolloutException}s.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class Capo implements BufferedEstimator {
    /** Values of the {@code std} parameter (lower-case names on the wire). */
    enum Std {
        UNBIASED,
        POPULATION
    }

    /** Values of the {@code normalization} parameter (lower-case names on the wire). */
    enum Normalization {
        GROUP_TOKENS,
        OUTCOME_PLUS_PENALTY,
        NONE
    }

    /** Values of the {@code voting} parameter (lower-case names on the wire). */
    enum Voting {
        MAJORITY,
        INTERSECTION,
        AVERAGE,
        UNION
    }

    /** Registry id. */
    public static final String ID = "capo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("CAPO: verifier outcome minus a penalty on steps an LLM critic votes wrong")
            .source("Xie, Shi, Tian, Yao, Zhang, Xu, arXiv 2508.02298 (no public code)")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("outcome", "the rule-based verifier (0/1)"),
                    SignalRequirement.span(
                            "step_error_votes",
                            "the LLM-as-GenPRM critiques: fraction of critiques listing the step as wrong "
                                    + "(or the span signal named by error_signal)"))
            .parameters(
                    ParamSpec.string(
                            "error_signal",
                            "step_error_votes",
                            "span signal: fraction in [0,1] of the critiques that list the step as wrong"),
                    ParamSpec.choice(
                            "voting",
                            Voting.MAJORITY,
                            "penalty 1 if more than half / all critiques list the step, the listing share (average), "
                                    + "or 1 if any does (union, not in the paper's text)"),
                    ParamSpec.real("w_whole", 2.0, 0.0, null, "weight of the verifier outcome (our assumption: 2)"),
                    ParamSpec.real("w_process", 1.0, 0.0, null, "penalty on tokens of wrong steps (our assumption: 1)"),
                    ParamSpec.choice(
                            "normalization",
                            Normalization.GROUP_TOKENS,
                            "group_tokens: z-score over the group's policy tokens; outcome_plus_penalty: outcome "
                                    + "z-score minus the raw penalty; none: raw token rewards"),
                    ParamSpec.choice("std", Std.UNBIASED, "standard deviation convention of the normalization"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the standard deviation"))
            .preset("intersection", Map.of("voting", "intersection"))
            .preset("average", Map.of("voting", "average"))
            .preset("union", Map.of("voting", "union"))
            .summary(
                    "R_t = W_whole·r_v − W_process·p_step (vote: majority/intersection/average share); A = z-score of R over the group's tokens")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String signal = params.getString("error_signal");
        Voting voting = params.getChoice("voting", Voting.class);
        double wWhole = params.getDouble("w_whole");
        double wProcess = params.getDouble("w_process");
        Normalization norm = params.getChoice("normalization", Normalization.class);
        boolean unbiased = params.getChoice("std", Std.class) == Std.UNBIASED;
        double eps = params.getDouble("epsilon");

        double[] outcome = requireOutcome(batch, ID, "the rule-based verifier's verdict");
        PaperSteps steps = PaperSteps.of(batch);
        double[] votes = steps.signal(batch, signal, ID, "fraction of LLM critiques listing the step as wrong", false);
        int nSteps = steps.total();
        boolean[] wrong = new boolean[nSteps];
        double[] pen = new double[nSteps];
        for (int k = 0; k < nSteps; k++) {
            double v = votes[k];
            if (v < -1e-9 || v > 1 + 1e-9) {
                int i = steps.trajectory(k);
                int local = steps.span(k) - batch.spanStart(i);
                throw new RolloutException(
                        batch.describe(i) + ": spans[" + local + "].signals." + signal
                                + " must be a vote fraction in [0, 1], got " + v,
                        i,
                        "spans[" + local + "].signals." + signal);
            }
            pen[k] = voting == Voting.AVERAGE ? Math.min(1.0, Math.max(0.0, v)) : vote(voting, v) ? 1.0 : 0.0;
            wrong[k] = pen[k] > 0;
        }
        double[] reward = new double[nSteps];
        for (int k = 0; k < nSteps; k++) {
            reward[k] = wWhole * outcome[steps.trajectory(k)] - wProcess * pen[k];
        }

        double[] adv = new double[nSteps];
        int groups = batch.groupCount();
        switch (norm) {
            case NONE:
                System.arraycopy(reward, 0, adv, 0, nSteps);
                break;
            case GROUP_TOKENS: {
                double[] n = new double[groups];
                double[] sum = new double[groups];
                for (int k = 0; k < nSteps; k++) {
                    int g = batch.trajectoryGroup(steps.trajectory(k));
                    int len = tokens(batch, steps, k);
                    n[g] += len;
                    sum[g] += len * reward[k];
                }
                double[] mean = new double[groups];
                for (int g = 0; g < groups; g++) mean[g] = n[g] == 0 ? 0 : sum[g] / n[g];
                double[] ss = new double[groups];
                for (int k = 0; k < nSteps; k++) {
                    int g = batch.trajectoryGroup(steps.trajectory(k));
                    double d = reward[k] - mean[g];
                    ss[g] += tokens(batch, steps, k) * d * d;
                }
                for (int k = 0; k < nSteps; k++) {
                    int g = batch.trajectoryGroup(steps.trajectory(k));
                    if (n[g] < 2) continue;
                    double sd = Math.sqrt(ss[g] / (unbiased ? n[g] - 1 : n[g]));
                    adv[k] = (reward[k] - mean[g]) / (sd + eps);
                }
                break;
            }
            case OUTCOME_PLUS_PENALTY: {
                double[] z = GroupZScores.ofGroupMembers(batch, outcome, wWhole, unbiased, eps);
                for (int k = 0; k < nSteps; k++) adv[k] = z[steps.trajectory(k)] - wProcess * pen[k];
                break;
            }
            default:
                throw new IllegalStateException("normalization " + norm);
        }
        float[] out = StepCredit.advantages(batch, buffers);
        StepTokens.write(batch, steps, adv, out, execution);
        int flagged = 0;
        for (boolean w : wrong) if (w) flagged++;
        return Credit.builder(out)
                .spanAdvantages(steps.spanValues(batch, adv))
                .diagnostic("steps", nSteps)
                .diagnostic("wrong_steps", flagged)
                .build();
    }

    /** The voting rule applied to one step's vote fraction. */
    static boolean vote(Voting rule, double fraction) {
        switch (rule) {
            case MAJORITY:
                return fraction > 0.5;
            case INTERSECTION:
                return fraction >= 1 - 1e-9;
            case UNION:
                return fraction > 1e-9;
            default:
                throw new IllegalArgumentException("voting rule '" + rule + "' is not a vote");
        }
    }

    private static int tokens(Rollouts batch, PaperSteps steps, int k) {
        int s = steps.span(k);
        return batch.spanTokenEnd(s) - batch.spanTokenStart(s);
    }

    /** The outcome of every trajectory; absent outcomes are an error. */
    static double[] requireOutcome(Rollouts batch, String estimator, String producedBy) {
        float[] o = batch.outcome();
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            float v = o == null ? Float.NaN : o[i];
            if (Float.isNaN(v)) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + estimator + "' needs the outcome (" + producedBy
                                + ") but it is absent",
                        i,
                        "outcome");
            }
            out[i] = v;
        }
        return out;
    }
}
