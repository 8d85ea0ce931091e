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
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * F-GRPO, factorized GRPO ({@code f_grpo}): one sequence is produced in phases (candidate
 * generation, then ranking), each phase has its own reward, and the tokens of each phase get
 * the group-relative advantage of that phase's reward only.
 *
 * <h2>On apportion's model</h2>
 * A phase is named by the {@code agent} of its spans (the same model playing two roles in one
 * sequence is a two-agent trajectory): the spans of phase {@code p} are the policy spans whose
 * agent is {@code p}, for each {@code p} in {@code phases} (default {@code gen,rank}). The
 * phase reward {@code R_{p,i}} is the outcome component named {@code p}
 * ({@code phase_reward_source = outcome_components}) or the sum of the span rewards of the
 * phase's spans ({@code span_rewards}).
 *
 * <h2>Formula</h2>
 * {@code A_{p,i} = (R_{p,i} − μ_{p,g})/(σ_{p,g} + ε)} over the trajectories of group g that have
 * a value for phase p, σ unbiased ({@code torch.std}); a single such trajectory gets 0. Every
 * token of a phase-p span of trajectory i gets {@code A_{p,i}}; context tokens get 0.
 *
 * <h2>Source</h2>
 * R. Surana, G. Mundada, J. Wu, X. Li, Y. Jiao, B. Jin, S. Zhou, T. Yu, R. Sinha, J. Han,
 * J. Shang, J. McAuley, "F-GRPO: Factorized GRPO for Unified Candidate Generation and
 * Ranking", arXiv 2605.12995. Fidelity {@code reconstructed}: the factorized policy
 * {@code π_gen(s)·π_rank(r|s)}, the two phase rewards and the separate group-relative
 * advantages follow a summary of the method; the std convention and the phase delimiting by
 * span agent are ours. The phase rewards themselves (coverage, NDCG) are computed upstream.
 *
 * <h2>Edge cases</h2>
 * A policy span whose agent is not a listed phase (or has no agent) throws a
 * {@link RolloutException}, or, with {@code unphased = outcome}, gets the plain GRPO advantage
 * of the trajectory's {@link Rollouts#scores()}. A trajectory whose phase reward is NaN (a
 * component with no value) is left out of that phase's statistics and its phase tokens get 0.
 *
 * <p>Stateless and thread-safe.
 */
public final class FGrpo implements BufferedEstimator {
    static final String ID = "f_grpo";

    /** Where a phase's reward comes from ({@code phase_reward_source}). */
    enum PhaseRewardSource {
        /** the outcome component named like the phase */
        OUTCOME_COMPONENTS,
        /** the sum of the phase's span rewards */
        SPAN_REWARDS
    }

    /** A policy span outside every phase ({@code unphased}). */
    enum Unphased {
        /** refused */
        ERROR,
        /** the GRPO advantage of the trajectory score */
        OUTCOME
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("F-GRPO: phase-factorized GRPO (each phase's tokens get its own reward's group advantage)")
            .source(
                    "Surana et al., F-GRPO: Factorized GRPO for Unified Candidate Generation and Ranking, arXiv 2605.12995")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span("agent", "the phase of every policy span (gen, rank)"),
                    SignalRequirement.trajectory("outcome_components", "one reward per phase, named like the phase"))
            .parameters(
                    ParamSpec.string("phases", "gen,rank", "comma-separated phase names (span agents)"),
                    ParamSpec.choice(
                            "phase_reward_source",
                            PhaseRewardSource.OUTCOME_COMPONENTS,
                            "the outcome component named like the phase, or the sum of the phase's span rewards"),
                    ParamSpec.choice(
                            "unphased",
                            Unphased.ERROR,
                            "a policy span outside every phase: error, or the GRPO advantage of the trajectory score"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"))
            .preset("paper", Map.of("phases", "gen,rank", "phase_reward_source", "outcome_components"))
            .summary("A_p,i = z_group(R_p,i) on the tokens of phase p (phases = span agents)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} Every token of the buffers' advantages is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        List<String> phases = new ArrayList<>();
        for (String p : params.getString("phases").split(",")) if (!p.trim().isEmpty()) phases.add(p.trim());
        if (phases.isEmpty())
            throw new IllegalArgumentException("estimator '" + ID + "': parameter 'phases' names no phase");
        Map<String, Integer> phaseIndex = new HashMap<>();
        for (String p : phases) {
            if (phaseIndex.put(p, phaseIndex.size()) != null) {
                throw new IllegalArgumentException("estimator '" + ID + "': phase '" + p + "' is listed twice");
            }
        }
        boolean fromComponents = params.getChoice("phase_reward_source", PhaseRewardSource.class)
                == PhaseRewardSource.OUTCOME_COMPONENTS;
        boolean unphasedOutcome = params.getChoice("unphased", Unphased.class) == Unphased.OUTCOME;
        boolean byStd = params.getBoolean("normalize_by_std");
        double eps = params.getDouble("epsilon");

        int n = batch.trajectoryCount();
        int k = phases.size();
        TurnTable turns = TurnTable.of(batch);
        String[] agentOf = batch.spanAgent();
        int[] phaseOfTurn = new int[turns.size()];
        for (int j = 0; j < phaseOfTurn.length; j++) {
            String a = agentOf == null ? null : agentOf[turns.span(j)];
            Integer p = a == null ? null : phaseIndex.get(a);
            if (p == null) {
                if (!unphasedOutcome) {
                    int i = turns.trajectory(j);
                    int local = turns.span(j) - batch.spanStart(i);
                    throw new RolloutException(
                            batch.describe(i) + ": policy span " + local + " has agent "
                                    + (a == null ? "none" : "'" + a + "'") + ", which is not one of the phases "
                                    + phases
                                    + " of estimator '" + ID + "' (set unphased=outcome to give it the GRPO advantage)",
                            i,
                            "spans[" + local + "].agent");
                }
                phaseOfTurn[j] = -1;
            } else {
                phaseOfTurn[j] = p;
            }
        }
        // phase rewards, NaN where the trajectory has no value for the phase
        double[] reward = new double[n * k];
        java.util.Arrays.fill(reward, Double.NaN);
        if (fromComponents) {
            for (int p = 0; p < k; p++) {
                float[] c = batch.outcomeComponents().get(phases.get(p));
                if (c == null) {
                    throw new RolloutException(
                            "estimator '" + ID + "' needs the outcome component '" + phases.get(p)
                                    + "' (the reward of phase '" + phases.get(p) + "'), which the batch lacks (outcome."
                                    + phases.get(p) + ")",
                            -1,
                            "outcome." + phases.get(p));
                }
                for (int i = 0; i < n; i++) reward[i * k + p] = c[i];
            }
        } else {
            double[] sr = turns.spanRewards(batch);
            for (int j = 0; j < sr.length; j++) {
                int p = phaseOfTurn[j];
                if (p < 0) continue;
                int idx = turns.trajectory(j) * k + p;
                reward[idx] = (Double.isNaN(reward[idx]) ? 0 : reward[idx]) + sr[j];
            }
        }
        int[] key = new int[n * k];
        for (int i = 0; i < n; i++) for (int p = 0; p < k; p++) key[i * k + p] = batch.trajectoryGroup(i) * k + p;
        double[] z = GroupZScores.zscore(reward, key, batch.groupCount() * k, byStd, true, eps);
        double[] fallback = unphasedOutcome ? TurnTable.groupOutcomeAdvantage(batch, eps) : null;
        double[] a = new double[turns.size()];
        for (int j = 0; j < a.length; j++) {
            int i = turns.trajectory(j);
            int p = phaseOfTurn[j];
            double v = p < 0 ? fallback[i] : z[i * k + p];
            a[j] = Double.isNaN(v) ? 0.0 : v;
        }
        float[] spanAdv = turns.spanValues(batch, a);
        float[] out;
        if (buffers == null) out = turns.broadcast(batch, a, execution);
        else {
            // the span values hold each turn's value and 0 elsewhere: lay them on every token
            float[] o = buffers.advantages(batch.tokenCount());
            int[] spanOff = batch.trajectorySpanOffsets();
            int[] tokOff = batch.spanTokenOffsets();
            execution.forTrajectories(batch, Execution.Cost.LIGHT, (c, from, to) -> {
                for (int s = spanOff[from]; s < spanOff[to]; s++)
                    java.util.Arrays.fill(o, tokOff[s], tokOff[s + 1], spanAdv[s]);
            });
            out = o;
        }
        return Credit.builder(out)
                .spanAdvantages(spanAdv)
                .diagnostic("phases", k)
                .build();
    }
}
