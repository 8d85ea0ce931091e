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
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * CALM, credit assignment with language models ({@code calm}): an LLM judges, for every
 * transition, whether one of the task's subgoals was achieved (an option terminated), and each
 * achieved subgoal adds an auxiliary reward; the shaped rewards are turned into turn credit
 * by their return and a group baseline.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>shaped reward of turn t: {@code r'_t = r_t + r_aux·s_t}, with {@code r_t} the turn's
 *       span reward (0 where absent), plus the trajectory's outcome (or the sum of its outcome
 *       components; 0 when it has none) on its last turn, and
 *       {@code s_t} the span signal {@code subgoal} (1 when the LLM judged a subgoal achieved
 *       at this turn, 0 otherwise; a count when several were). Each subgoal should be flagged
 *       once per episode upstream, as in the paper.</li>
 *   <li>return {@code G_t = Σ_{k ≥ t} γ^{k−t}·r'_k};</li>
 *   <li>{@code A_t = G_t − mean} over the group's trajectories at the same turn index (divided
 *       by their unbiased std + ε with {@code normalize_by_std}); a turn index that only one
 *       trajectory of the group reaches gets 0.</li>
 * </ul>
 *
 * <h2>Source</h2>
 * E. Pignatelli, J. Ferret, T. Rocktäschel, E. Grefenstette, D. Paglieri, S. Coward, L. Toni,
 * "Assessing the Zero-Shot Capabilities of LLMs for Action Evaluation in RL" (CALM),
 * arXiv 2409.12798. Fidelity {@code reconstructed}: the shaped reward
 * {@code r + r_aux·𝟙[subgoal]} follows the paper, which evaluates the LLM's judgements offline
 * only; {@code r_aux} = 0.1 (the reference notes' example), the return and the per-turn-index
 * group baseline are ours.
 *
 * <h2>Edge cases</h2>
 * A turn without the subgoal signal (NaN) counts as no subgoal. A one-trajectory group gets 0.
 * Any LLM-as-critic verdict per turn (for example a step verifier's {@code verifier} signal)
 * can be used through {@code subgoal_signal}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Calm implements BufferedEstimator {
    static final String ID = "calm";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("CALM: LLM-judged subgoal completions as auxiliary rewards; shaped return minus a group baseline")
            .source(
                    "Pignatelli et al., Assessing the Zero-Shot Capabilities of LLMs for Action Evaluation in RL, arXiv 2409.12798")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(SignalRequirement.span(
                    "subgoal", "the LLM's verdict that a subgoal was achieved at the turn (0/1)"))
            .parameters(
                    ParamSpec.real("r_aux", 0.1, null, null, "auxiliary reward per achieved subgoal"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount of the return over turns"),
                    ParamSpec.string("subgoal_signal", "subgoal", "span signal holding the subgoal verdict"),
                    ParamSpec.bool("normalize_by_std", false, "divide by the cell's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"))
            .preset("paper", Map.of("r_aux", 0.1, "gamma", 1.0))
            .summary("r'_t = r_t + r_aux*subgoal_t (+ outcome at the end); A_t = G'_t - mean over the group at turn t")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double rAux = params.getDouble("r_aux");
        double gamma = params.getDouble("gamma");
        boolean byStd = params.getBoolean("normalize_by_std");
        double eps = params.getDouble("epsilon");
        String name = params.getString("subgoal_signal");
        float[] sub = batch.spanSignal(name);
        if (sub == null) {
            throw new dev.apportion.core.rollout.RolloutException(
                    "estimator '" + ID + "' needs the span signal '" + name
                            + "' (the LLM's subgoal verdicts), which the batch lacks (spans[].signals." + name + ")",
                    -1,
                    "spans.signals." + name);
        }
        TurnTable turns = TurnTable.of(batch);
        double[] r = turns.spanRewards(batch);
        double[] outcome = TurnTable.outcomesOrZero(batch);
        for (int j = 0; j < r.length; j++) {
            float s = sub[turns.span(j)];
            if (!Float.isNaN(s)) r[j] += rAux * s;
            if (turns.isLast(j)) r[j] += outcome[turns.trajectory(j)];
        }
        int m = r.length;
        double[] g = turns.returns(r, gamma);
        int[] cells = new int[1];
        int[] cell = turns.groupTurnIndexCells(batch, cells);
        double[] a = GroupZScores.zscore(g, cell, cells[0], byStd, true, eps);
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] ret = Outputs.second(buffers, batch.tokenCount());
        turns.broadcast(batch, a, adv, g, ret, execution);
        return Credit.builder(adv)
                .returns(ret)
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", m)
                .build();
    }
}
