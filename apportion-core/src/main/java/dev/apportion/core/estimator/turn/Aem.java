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
 * AEM, adaptive entropy modulation for multi-turn agentic RL ({@code aem}): the GRPO advantage
 * of every response (one agent action = one turn) is rescaled by a bounded function of the
 * product of the advantage and the response's relative surprisal, the quantity that governs
 * how the update moves the policy's entropy.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>{@code A_i}: GRPO advantage of the trajectory, {@code (R_i − μ_g)/(σ_g + ε)} over the
 *       group's {@link Rollouts#scores()}, σ unbiased; a one-trajectory group gets 0.</li>
 *   <li>surprisal of a response {@code s = −(1/|y|)·Σ_k log π(y_k)} over its tokens (the token
 *       signal {@code logprob_signal}, default {@code old_logprob}: the sampling policy). A
 *       response is a turn ({@code unit = turn}) or the whole trajectory's policy tokens
 *       ({@code unit = trajectory}).</li>
 *   <li>relative surprisal {@code u = s − mean(s)} over the group's responses.</li>
 *   <li>balance of the group {@code b = (n₋ − n₊)/(n₋ + n₊)}, with {@code n₊}, {@code n₋} the group's
 *       trajectories with positive and negative {@code A} ({@code balance = group}, the default);
 *       {@code b = 1} under {@code balance = fixed} (apportion's first reconstruction).</li>
 *   <li>{@code w = clip(1 + κ·b·tanh(A·u), 1 − δ, 1 + δ)} and {@code Ã = A·w} on every token of the
 *       response. An update with {@code A·u > 0} raises entropy (a success that was surprising, a
 *       failure that was confident). In a failure-heavy group ({@code b > 0}) those updates are
 *       amplified and the others damped (exploration); in a success-heavy group ({@code b < 0})
 *       the direction flips and entropy-lowering updates are amplified (exploitation); a balanced
 *       group is left as it is. As the policy improves, groups turn success-heavy, so training
 *       moves from exploration to exploitation, the behaviour the paper describes. κ < 0
 *       reverses every direction.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * H. Zhao, S. Zhou, Y. Zhang, S. S.-T. Yau, W. Zhang, L. Tian, T. Zhu, Y. Huang, Y. Zeng, J. Gu,
 * D. Dong, J. Wu, "Adaptive Entropy Modulation for Multi-Turn Agentic RL", arXiv 2605.00425.
 * Fidelity {@code reconstructed}: the abstract states that entropy drift is governed by the
 * product of a response's advantage and its relative surprisal, that AEM rescales advantages
 * with a response-level proxy, and that "the balance of positive and negative samples naturally
 * moves training from exploration to exploitation". The paper's own modulation formula was not
 * available: the tanh form, the balance factor {@code b}, κ = 0.5 and δ = 0.5 are ours. The
 * {@code fixed} balance (preset {@code fixed_sign}) always amplifies entropy-raising updates and
 * therefore cannot make that move (issue 12 audit); it is kept as a named variant and reproduces
 * the worked example of the reference notes.
 *
 * <h2>Edge cases</h2>
 * A group with one response: {@code u = 0}, {@code w = 1}. {@code A = 0}: {@code Ã = 0}. A group
 * with as many positive as negative advantages (or none): {@code b = 0}, {@code w = 1}. A batch
 * without the log-prob signal throws a {@link RolloutException}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Aem implements BufferedEstimator {
    static final String ID = "aem";

    /** Values of {@code unit}: what one response is. */
    enum Unit {
        TURN,
        TRAJECTORY
    }

    /** Values of {@code balance}. */
    enum Balance {
        GROUP,
        FIXED
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("AEM: GRPO advantage rescaled by tanh(advantage x relative surprisal) per response")
            .source("Zhao et al., Adaptive Entropy Modulation for Multi-Turn Agentic RL, arXiv 2605.00425")
            .granularity(Granularity.TURN)
            .methodology(Methodology.INFORMATION_THEORETIC)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the sampling policy's log-probs"),
                    SignalRequirement.trajectory("reward", "the outcome reward").always())
            .parameters(
                    ParamSpec.real("kappa", 0.5, -1.0, 1.0, "strength (and direction) of the modulation"),
                    ParamSpec.real("delta", 0.5, 0.0, 1.0, "the weight is clipped to [1 - delta, 1 + delta]"),
                    ParamSpec.choice("unit", Unit.TURN, "what one response is"),
                    ParamSpec.string(
                            "logprob_signal", Rollouts.OLD_LOGPROB, "token signal with the responses' log-probs"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the GRPO std"),
                    ParamSpec.choice(
                            "balance",
                            Balance.GROUP,
                            "scale kappa by the group's (negatives - positives)/(negatives + positives), or keep it fixed"))
            .preset("paper", Map.of("kappa", 0.5, "delta", 0.5, "unit", "turn", "balance", "group"))
            .preset("fixed_sign", Map.of("kappa", 0.5, "delta", 0.5, "unit", "turn", "balance", "fixed"))
            .summary("u = surprisal - group mean; b = (n_neg - n_pos)/(n_neg + n_pos); "
                    + "A' = A * clip(1 + kappa*b*tanh(A*u), 1-delta, 1+delta)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double kappa = params.getDouble("kappa");
        double delta = params.getDouble("delta");
        boolean perTurn = params.getChoice("unit", Unit.class) == Unit.TURN;
        float[] lp =
                batch.requireTokenSignal(params.getString("logprob_signal"), ID, "the sampling policy's log-probs");
        TurnTable turns = TurnTable.of(batch);
        double[] adv = TurnTable.groupOutcomeAdvantage(batch, params.getDouble("epsilon"));
        int n = batch.trajectoryCount();
        double[] sum = turns.sumOverTurns(batch, lp);
        int[] len = turns.lengths(batch);
        double[] s;
        int[] key;
        int[] unitOfTurn = new int[turns.size()];
        if (perTurn) {
            s = new double[turns.size()];
            key = new int[s.length];
            for (int j = 0; j < s.length; j++) {
                s[j] = -sum[j] / len[j];
                key[j] = batch.trajectoryGroup(turns.trajectory(j));
                unitOfTurn[j] = j;
            }
        } else {
            s = new double[n];
            key = batch.trajectoryGroups();
            for (int i = 0; i < n; i++) {
                double tot = 0;
                long cnt = 0;
                for (int j = turns.start(i); j < turns.end(i); j++) {
                    tot += sum[j];
                    cnt += len[j];
                    unitOfTurn[j] = i;
                }
                s[i] = cnt == 0 ? Double.NaN : -tot / cnt;
            }
        }
        double[] u = GroupZScores.zscore(s, key, batch.groupCount(), false, false, 0.0);
        double[] bal = new double[batch.groupCount()];
        java.util.Arrays.fill(bal, 1.0);
        if (params.getChoice("balance", Balance.class) == Balance.GROUP) {
            int[] pos = new int[bal.length];
            int[] neg = new int[bal.length];
            for (int i = 0; i < n; i++) {
                if (turns.end(i) == turns.start(i)) continue;
                if (adv[i] > 0) pos[batch.trajectoryGroup(i)]++;
                else if (adv[i] < 0) neg[batch.trajectoryGroup(i)]++;
            }
            for (int g = 0; g < bal.length; g++)
                bal[g] = pos[g] + neg[g] == 0 ? 0.0 : (neg[g] - pos[g]) / (double) (pos[g] + neg[g]);
        }
        double[] a = new double[turns.size()];
        for (int j = 0; j < a.length; j++) {
            double ai = adv[turns.trajectory(j)];
            double w = 1 + kappa * bal[batch.trajectoryGroup(turns.trajectory(j))] * Math.tanh(ai * u[unitOfTurn[j]]);
            w = Math.min(1 + delta, Math.max(1 - delta, w));
            a[j] = ai * w;
        }
        return Credit.builder(turns.broadcast(batch, a, execution, Outputs.advantages(buffers, batch.tokenCount())))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("responses", s.length)
                .build();
    }
}
