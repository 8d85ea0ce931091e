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
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * PBSD, privileged Bayesian self-distillation ({@code pbsd}): each turn's evidence for the
 * verified answer is the log-likelihood ratio of the turn under an answer-conditioned teacher
 * (the same model with the verified answer in context) and under the student; the evidence
 * re-weights (or shifts) the GRPO advantage turn by turn.
 *
 * <h2>Formula</h2>
 * By Bayes, {@code p(a*|x,τ)/p(a*|x) = p(τ|x,a*)/p(τ|x)}; the trajectory's log ratio splits
 * over its turns (observation tokens cancel: the environment does not see a*):
 * <ul>
 *   <li>evidence of turn t: {@code c_t = Σ_{k ∈ turn t} [log π_T(y_k) − log π_S(y_k)]}, the
 *       token signals {@code teacher_logprob} and {@code student_signal} (default
 *       {@code old_logprob}); {@code evidence_aggregation = mean} divides by the turn
 *       length;</li>
 *   <li>episode advantage {@code A_i = (R_i − μ_g)/(σ_g + ε)} over the group's
 *       {@link Rollouts#scores()}, σ unbiased; a one-trajectory group gets 0;</li>
 *   <li>{@code mode = reweight} (default): {@code A_{i,t} = A_i·w_{i,t}},
 *       {@code w = clip(exp(sign(A_i)·c_{i,t}), w_min, w_max)}: a turn that supports the
 *       verified outcome is pushed up more on a success and blamed less on a failure, and a
 *       turn that undermines it the other way round;</li>
 *   <li>{@code mode = additive}: {@code A_{i,t} = A_i + λ·z(c_{i,t})}, z over all turns of the
 *       group (unbiased std + ε; a group with one turn gives 0);</li>
 *   <li>{@code final_turn = neutral} gives the trajectory's last turn {@code w = 1} (reweight) or
 *       no evidence term (additive), against the teacher copying a* into the answer turn
 *       (answer leakage).</li>
 * </ul>
 * The value is written on every token of the turn; context tokens get 0.
 *
 * <h2>Source</h2>
 * Y. Tian, R. Wang, X. Wen, J. Li, S. Sun, L. Song, J. Bian, B. Zhao, "Privileged Bayesian
 * Self-Distillation for Long-Horizon Credit Assignment", arXiv 2606.09348. Fidelity
 * {@code reconstructed}: only the abstract was available. The evidence {@code c_t} follows its
 * derivation; the re-weighting form and its constants ({@code w_min} = 0.5, {@code w_max} =
 * 2.0, λ = 1) are ours.
 *
 * <h2>Edge cases</h2>
 * {@code A_i = 0} (all outcomes equal) gives 0 under {@code reweight}. A batch without the
 * teacher or student log-probs throws a {@link RolloutException}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Pbsd implements BufferedEstimator {
    static final String ID = "pbsd";

    /** Values of {@code mode}. */
    enum Mode {
        REWEIGHT,
        ADDITIVE
    }

    /** Values of {@code evidence_aggregation}. */
    enum Aggregation {
        SUM,
        MEAN
    }

    /** Values of {@code final_turn}. */
    enum FinalTurn {
        INCLUDE,
        NEUTRAL
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("PBSD: answer-conditioned teacher / student log-ratio per turn re-weights the GRPO advantage")
            .source(
                    "Tian et al., Privileged Bayesian Self-Distillation for Long-Horizon Credit Assignment, arXiv 2606.09348")
            .granularity(Granularity.TURN)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.TEACHER_LOGPROB, "the policy with the verified answer in context"),
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the student (the sampling policy)"),
                    SignalRequirement.trajectory("reward", "the verified outcome")
                            .always())
            .parameters(
                    ParamSpec.choice("mode", Mode.REWEIGHT, "A*clip(exp(sign(A)*c)) or A + lambda*z(c)"),
                    ParamSpec.real("w_min", 0.5, 0.0, null, "lower clip of the weight (reweight)"),
                    ParamSpec.real("w_max", 2.0, 0.0, null, "upper clip of the weight (reweight)"),
                    ParamSpec.real("lambda", 1.0, 0.0, null, "weight of the evidence z-score (additive)"),
                    ParamSpec.choice(
                            "evidence_aggregation",
                            Aggregation.SUM,
                            "sum (the Bayes decomposition) or mean of a turn's token log-ratios"),
                    ParamSpec.choice(
                            "final_turn",
                            FinalTurn.INCLUDE,
                            "neutral: the last turn gets no evidence term (answer leakage)"),
                    ParamSpec.string(
                            "student_signal", Rollouts.OLD_LOGPROB, "token signal with the student's log-probs"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the stds"))
            .preset("paper", Map.of("mode", "reweight", "w_min", 0.5, "w_max", 2.0))
            .summary(
                    "c_t = sum_turn(logp_teacher - logp_student); A_t = A_grpo * clip(exp(sign(A_grpo)*c_t), w_min, w_max)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        boolean reweight = params.getChoice("mode", Mode.class) == Mode.REWEIGHT;
        double wMin = params.getDouble("w_min");
        double wMax = params.getDouble("w_max");
        if (wMin > wMax) {
            throw new IllegalArgumentException(
                    "estimator '" + ID + "': w_min (" + wMin + ") must not exceed w_max (" + wMax + ")");
        }
        double lambda = params.getDouble("lambda");
        boolean mean = params.getChoice("evidence_aggregation", Aggregation.class) == Aggregation.MEAN;
        boolean neutralLast = params.getChoice("final_turn", FinalTurn.class) == FinalTurn.NEUTRAL;
        double eps = params.getDouble("epsilon");
        float[] teacher = batch.requireTokenSignal(
                Rollouts.TEACHER_LOGPROB, ID, "the same policy with the verified answer in context");
        float[] student = batch.requireTokenSignal(params.getString("student_signal"), ID, "the student's log-probs");
        TurnTable turns = TurnTable.of(batch);
        double[] c = turns.sumOfDifference(batch, teacher, student);
        if (mean) {
            int[] len = turns.lengths(batch);
            for (int j = 0; j < c.length; j++) c[j] /= len[j];
        }
        double[] episode = TurnTable.groupOutcomeAdvantage(batch, eps);
        double[] a = new double[c.length];
        if (reweight) {
            for (int j = 0; j < a.length; j++) {
                double ai = episode[turns.trajectory(j)];
                double w = neutralLast && turns.isLast(j)
                        ? 1.0
                        : Math.min(wMax, Math.max(wMin, Math.exp(Math.signum(ai) * c[j])));
                a[j] = ai * w;
            }
        } else {
            double[] pool = c.clone();
            if (neutralLast) for (int j = 0; j < pool.length; j++) if (turns.isLast(j)) pool[j] = Double.NaN;
            int[] groupOfTurn = new int[c.length];
            for (int j = 0; j < c.length; j++) groupOfTurn[j] = batch.trajectoryGroup(turns.trajectory(j));
            double[] z = GroupZScores.zscore(pool, groupOfTurn, batch.groupCount(), true, true, eps);
            for (int j = 0; j < a.length; j++) {
                a[j] = episode[turns.trajectory(j)] + (Double.isNaN(z[j]) ? 0.0 : lambda * z[j]);
            }
        }
        return Credit.builder(turns.broadcast(batch, a, execution, Outputs.advantages(buffers, batch.tokenCount())))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", c.length)
                .build();
    }
}
