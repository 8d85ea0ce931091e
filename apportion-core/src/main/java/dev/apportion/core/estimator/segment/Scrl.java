package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.kernel.PaperSteps;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * SCRL, subproblem curriculum RL ({@code scrl}): a hard problem is decomposed into verifiable
 * subproblems answered in one rollout; each answer span is rewarded for the consecutive correct
 * prefix it extends, and rewards are normalized independently at every subproblem position
 * across the group.
 *
 * <h2>Formula</h2>
 * Segment {@code k} of trajectory {@code i} is its {@code k}-th policy span (the reasoning and
 * answer for subproblem k; the last segment answers the original problem). With verdicts
 * {@code v_{i,k}} (span signal {@code verdict_signal}, 1 correct / 0 wrong):
 * <pre>
 *   r_{i,k} = Π_{j ≤ k} v_{i,j}         (progress = prefix, default)   or   r_{i,k} = v_{i,k}   (independent)
 *   A_{i,k} = (r_{i,k} − mean_i r_{·,k}) / (std_i r_{·,k} + ε)           per group, per position k
 * </pre>
 * and every token of segment {@code k} gets {@code A_{i,k}}; context tokens get 0.
 *
 * <h2>Source and fidelity</h2>
 * X. Jiang, Z. Tang, W. Lin, Y. Yue, S. Wang, G. Huang, "From Reasoning Chains to Verifiable
 * Subproblems: Curriculum Reinforcement Learning Enables Credit Assignment for LLM Reasoning",
 * arXiv 2605.22074 (no public code). Fidelity {@code reconstructed}: "subproblem-level
 * normalization … assigns the resulting advantages to the corresponding answer spans" and the
 * consecutive-prefix reward are from the abstract and a digest; the product form, the span
 * boundaries (a segment includes the reasoning before its answer), {@code std = unbiased} and
 * {@code ε = 1e-6} are ours.
 *
 * <h2>Edge cases</h2>
 * A position where every rollout of the group has the same reward gets 0. A position present in
 * fewer than two rollouts gets 0. A rollout with fewer segments than the longest rollout of its
 * group is, by default ({@code missing = fail}), scored as failing the subproblems it did not
 * answer (reward 0 at those positions, which still enter the statistics); with
 * {@code missing = skip} it takes no part at those positions. A segment without a verdict is a
 * {@link dev.apportion.core.rollout.RolloutException}.
 *
 * <p>Stateless and thread-safe; results do not depend on the number of threads.
 */
public final class Scrl implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "scrl";

    /** How a segment's reward is formed ({@code progress}). */
    enum Progress {
        /** the product of the verdicts up to k */
        PREFIX,
        /** the segment's own verdict */
        INDEPENDENT
    }

    /** Standard deviation across the group at one position ({@code std}). */
    enum Std {
        /** n − 1 */
        UNBIASED,
        /** n */
        POPULATION
    }

    /** A rollout without segment k ({@code missing}). */
    enum Missing {
        /** scored 0 there */
        FAIL,
        /** left out of position k */
        SKIP
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SCRL: per-subproblem-position group normalization of consecutive-correct-prefix rewards")
            .source("Jiang, Tang, Lin, Yue, Wang, Huang, arXiv 2605.22074 (no public code)")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.span(
                    "subproblem_correct",
                    "a verifier of each subproblem's answer span, 1/0 (or the span signal named by verdict_signal)"))
            .parameters(
                    ParamSpec.string(
                            "verdict_signal", "subproblem_correct", "span signal: verdict of the segment's answer"),
                    ParamSpec.choice(
                            "progress",
                            Progress.PREFIX,
                            "prefix: reward = product of verdicts up to k (consecutive correct prefix); "
                                    + "independent: reward = verdict of k"),
                    ParamSpec.choice("std", Std.UNBIASED, "standard deviation across the group at one position"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the standard deviation"),
                    ParamSpec.choice(
                            "missing",
                            Missing.FAIL,
                            "a rollout without segment k: scored 0 there (fail) or left out of position k (skip)"))
            .preset("population_std", Map.of("std", "population"))
            .summary("r_{i,k} = Π_{j≤k} v_{i,j}; A_{i,k} = (r_{i,k} − mean_i r_{·,k}) / (std_i r_{·,k} + ε); "
                    + "segment k's tokens get A_{i,k}")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' advantages is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        String signal = params.getString("verdict_signal");
        boolean prefix = params.getChoice("progress", Progress.class) == Progress.PREFIX;
        boolean unbiased = params.getChoice("std", Std.class) == Std.UNBIASED;
        double eps = params.getDouble("epsilon");
        boolean fail = params.getChoice("missing", Missing.class) == Missing.FAIL;
        PaperSteps steps = PaperSteps.of(batch);
        double[] verdict =
                steps.signal(batch, signal, ID, "a verifier of the subproblem answered in the segment", false);

        double[] reward = new double[steps.total()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            double run = 1;
            for (int k = steps.start(i); k < steps.end(i); k++) {
                run *= verdict[k];
                reward[k] = prefix ? run : verdict[k];
            }
        }
        double[] adv = new double[steps.total()];
        int[] start = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        for (int g = 0; g < batch.groupCount(); g++) {
            int positions = 0;
            for (int j = start[g]; j < start[g + 1]; j++) positions = Math.max(positions, steps.count(members[j]));
            for (int p = 0; p < positions; p++) {
                int n = 0;
                double sum = 0;
                for (int j = start[g]; j < start[g + 1]; j++) {
                    int i = members[j];
                    if (p < steps.count(i)) {
                        n++;
                        sum += reward[steps.start(i) + p];
                    } else if (fail) {
                        n++; // an unanswered subproblem scores 0
                    }
                }
                if (n < 2) continue;
                double mean = sum / n;
                double ss = 0;
                for (int j = start[g]; j < start[g + 1]; j++) {
                    int i = members[j];
                    double x;
                    if (p < steps.count(i)) x = reward[steps.start(i) + p];
                    else if (fail) x = 0;
                    else continue;
                    ss += (x - mean) * (x - mean);
                }
                double sd = Math.sqrt(ss / (unbiased ? n - 1 : n));
                for (int j = start[g]; j < start[g + 1]; j++) {
                    int i = members[j];
                    if (p < steps.count(i)) {
                        int k = steps.start(i) + p;
                        adv[k] = (reward[k] - mean) / (sd + eps);
                    }
                }
            }
        }
        float[] out;
        if (buffers == null) {
            out = new float[batch.tokenCount()];
            steps.broadcast(batch, adv, out, execution);
        } else {
            out = buffers.advantages(batch.tokenCount());
            steps.broadcastAll(batch, adv, out, execution);
        }
        return Credit.builder(out)
                .spanAdvantages(steps.spanValues(batch, adv))
                .diagnostic("segments", steps.total())
                .build();
    }
}
