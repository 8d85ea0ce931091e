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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * MT-GRPO turn-level + outcome advantages ({@code mt_grpo}): the tokens an agent emits before
 * its first successful tool result get the episode's turn-level GRPO advantage on top of the
 * outcome GRPO advantage; the rest get the outcome advantage alone.
 *
 * <h2>Formula</h2>
 * One trajectory per completion (a whole multi-turn episode: assistant turns = policy spans,
 * tool/user messages and padding = context spans), groups = prompts. Reward functions are the
 * trajectory's outcome components: those whose name starts with {@code turn} are the turn-level
 * functions (in the paper: tool executed, answer in the search results), the others the outcome
 * functions, each class in insertion order.
 * <ol>
 *   <li>{@code T = Σ wT_f·turn_f}, {@code O = Σ wO_f·outcome_f}, {@code C = T + O}.</li>
 *   <li>GRPO per group, separately for T, O and C: mean and <em>unbiased</em> std,
 *       {@code z(x) = (x − μ)/(σ + std_epsilon)}.</li>
 *   <li>Result position r of the trajectory: trajectory signal {@code result_segment} (the index
 *       of the first tool message containing {@code <result>} that answers an assistant message,
 *       −1 for none, exactly as the reference's {@code _find_result_positions}); when absent, the
 *       mask run that holds the first context span with span signal {@code tool_result} = 1
 *       right after a policy span (−1 for none).</li>
 *   <li>Mask runs of the trajectory: boundaries {@code [0, every t with mask[t] ≠ mask[t−1], L]};
 *       run k is taken to be message k.</li>
 *   <li>r &gt; 0: {@code split = boundaries[r]} ({@code r ≥ len(boundaries)} is an error for the
 *       whole batch, as in the reference); token advantage
 *       {@code z(O) + λ·z(T)·[t < split]}. r = −1: {@code z(C)} on every token. Context tokens 0.</li>
 * </ol>
 *
 * <h2>Source</h2>
 * S. Zeng et al., "Reinforcing Multi-Turn Reasoning in LLM Agents via Turn-Level Reward Design"
 * (first titled "… via Turn-Level Credit Assignment"; MT-GRPO), arXiv 2505.11821; code SiliangZeng/Multi-Turn-RL-Agent @
 * 7dbdd08bdb27810019bc1511dbd0af3c7cfaac7a, {@code verifiers/trainers/mt_grpo_env_trainer.py}
 * ({@code _generate_and_score_completions}, {@code _find_result_positions},
 * {@code _assign_advantages}) and {@code verifiers/trainers/grpo_env_trainer.py}
 * ({@code _calculate_rewards}, {@code _compute_normalized_advantages}); defaults from
 * {@code scripts/run_mt_grpo.sh}, {@code verifiers/examples/triviaqa_search.py}. Fidelity
 * {@code reference}: matches the 16 public golden cases of {@code agentic-turn.md} §1.
 *
 * <h2>Parameters and presets</h2>
 * {@code turn_advantage_coef} λ = 1.0, {@code turn_reward_weights} / {@code outcome_reward_weights}
 * empty = all ones (else one weight per function), {@code std_epsilon} 1e-4 (hard-coded in the
 * reference, added to the std outside the square root). Preset {@code paper} = the defaults
 * (the paper's group size 21 is a rollout setting).
 *
 * <h2>Edge cases (reproduced quirks)</h2>
 * Episodes without a {@code <result>} get {@code z(T+O)}, a different scale than their group
 * mates' {@code z(O) + λ z(T)}. The turn advantage covers every assistant token before the first
 * result, including failed tool calls. A one-trajectory group has an undefined (NaN) unbiased std
 * in the reference; here it is an error. All-equal groups give exactly 0. A NaN reward component
 * is an error.
 *
 * <p>Stateless and thread-safe.
 */
public final class MtGrpo implements BufferedEstimator {
    public static final String ID = "mt_grpo";
    /** Trajectory signal: message index of the first {@code <result>} tool response (−1 none). */
    public static final String RESULT_SEGMENT = "result_segment";
    /** Span signal: 1 on a tool-response (context) span that holds a {@code <result>}. */
    public static final String TOOL_RESULT = "tool_result";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("MT-GRPO: turn-level + outcome GRPO advantages split at the first tool result")
            .source("Zeng et al., MT-GRPO, arXiv 2505.11821; SiliangZeng/Multi-Turn-RL-Agent@7dbdd08 "
                    + "verifiers/trainers/mt_grpo_env_trainer.py + grpo_env_trainer.py")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(SignalRequirement.trajectory(
                    "outcome",
                    "turn-level ('turn*') and outcome reward functions as outcome components; optional trajectory signal result_segment"
                            + " or span signal tool_result marks the first tool result"))
            .parameters(
                    ParamSpec.real(
                            "turn_advantage_coef",
                            1.0,
                            null,
                            null,
                            "λ: weight of the turn advantage before the first result"),
                    ParamSpec.realList(
                            "turn_reward_weights", List.of(), "weights of the turn reward functions (empty = all 1)"),
                    ParamSpec.realList(
                            "outcome_reward_weights",
                            List.of(),
                            "weights of the outcome reward functions (empty = all 1)"),
                    ParamSpec.real("std_epsilon", 1e-4, 0.0, null, "added to the unbiased std"))
            .preset("paper", Map.of())
            .summary("A_t = z(O) + lambda*z(T)*[t < first <result> response], or z(T+O) when the episode has no result")
            .build();

    /** Per-trajectory intermediates of one call. */
    public record Components(
            double[] turnAdvantage, double[] outcomeAdvantage, double[] combinedAdvantage, int[] resultSegment) {}

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** The three GRPO advantages and the result position of every trajectory. */
    public Components components(Rollouts batch, Params params) {
        int n = batch.trajectoryCount();
        List<float[]> turnF = new ArrayList<>();
        List<float[]> outF = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, float[]> e : batch.outcomeComponents().entrySet()) {
            (e.getKey().startsWith("turn") ? turnF : outF).add(e.getValue());
            names.add(e.getKey());
        }
        if (turnF.isEmpty() && outF.isEmpty() && batch.outcome() != null) outF.add(batch.outcome());
        if (outF.isEmpty() && turnF.isEmpty()) {
            throw new RolloutException(
                    "estimator '" + ID
                            + "' needs reward functions: outcome components ('turn*' = turn level, others = outcome)",
                    -1,
                    "outcome");
        }
        double[] t = weighted(batch, turnF, params.getDoubleList("turn_reward_weights"), "turn_reward_weights");
        double[] o = weighted(batch, outF, params.getDoubleList("outcome_reward_weights"), "outcome_reward_weights");
        double[] c = new double[n];
        for (int i = 0; i < n; i++) c[i] = t[i] + o[i];
        double eps = params.getDouble("std_epsilon");
        for (int g = 0; g < batch.groupCount(); g++) {
            if (batch.groupSize(g) < 2) {
                int i = batch.groupMembers()[batch.groupMemberStart()[g]];
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID + "' needs at least 2 completions per group"
                                + " (the reference's unbiased std of one value is NaN)",
                        i,
                        "group");
            }
        }
        int[] r = resultSegments(batch);
        return new Components(z(batch, t, eps), z(batch, o, eps), z(batch, c, eps), r);
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Components comp = components(batch, params);
        double lambda = params.getDouble("turn_advantage_coef");
        byte[] mask = batch.mask();
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        int withResult = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int from = batch.tokenStart(i);
            int to = batch.tokenEnd(i);
            int r = comp.resultSegment()[i];
            if (r > 0) {
                int split = boundary(mask, from, to, r);
                if (split < 0) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "': the first <result> is message " + r
                                    + " but the token mask has only " + (runs(mask, from, to))
                                    + " runs (not enough segments)",
                            i,
                            RESULT_SEGMENT);
                }
                withResult++;
                double out = comp.outcomeAdvantage()[i];
                double both = out + lambda * comp.turnAdvantage()[i];
                fillPolicy(batch, i, adv, from + split, (float) both, (float) out);
            } else {
                float v = (float) comp.combinedAdvantage()[i];
                fillPolicy(batch, i, adv, from, v, v);
            }
        }
        return Credit.builder(adv)
                .diagnostic("trajectories_with_result", withResult)
                .build();
    }

    /**
     * Writes trajectory {@code i}'s advantages span by span (policy tokens are exactly the tokens
     * of policy spans): {@code before} on policy tokens before token {@code cut}, {@code after}
     * on policy tokens from it on, 0 on every other token.
     */
    private static void fillPolicy(Rollouts batch, int i, float[] adv, int cut, float before, float after) {
        int[] spanTok = batch.spanTokenOffsets();
        int t = batch.tokenStart(i);
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            Arrays.fill(adv, t, spanTok[s], 0f);
            int a = spanTok[s];
            t = spanTok[s + 1];
            if (!batch.isPolicySpan(s)) {
                Arrays.fill(adv, a, t, 0f);
            } else {
                int c = Math.max(a, Math.min(t, cut));
                Arrays.fill(adv, a, c, before);
                Arrays.fill(adv, c, t, after);
            }
        }
        Arrays.fill(adv, t, batch.tokenEnd(i), 0f);
    }

    /** Offset (from the trajectory start) of run boundary r, or -1 when r ≥ the number of boundaries. */
    private static int boundary(byte[] mask, int from, int to, int r) {
        if (r == 0) return 0;
        int k = 0;
        for (int t = from + 1; t < to; t++) {
            if (mask[t] != mask[t - 1] && ++k == r) return t - from;
        }
        return ++k == r ? to - from : -1;
    }

    private static int runs(byte[] mask, int from, int to) {
        if (to == from) return 0;
        int k = 1;
        for (int t = from + 1; t < to; t++) if (mask[t] != mask[t - 1]) k++;
        return k;
    }

    private static int[] resultSegments(Rollouts batch) {
        int n = batch.trajectoryCount();
        int[] out = new int[n];
        float[] sig = batch.trajectorySignal(RESULT_SEGMENT);
        float[] tool = batch.spanSignal(TOOL_RESULT);
        byte[] mask = batch.mask();
        for (int i = 0; i < n; i++) {
            out[i] = -1;
            if (sig != null && !Float.isNaN(sig[i])) {
                out[i] = (int) sig[i];
                continue;
            }
            if (tool == null) continue;
            for (int s = batch.spanStart(i) + 1; s < batch.spanEnd(i); s++) {
                if (!batch.isPolicySpan(s)
                        && batch.isPolicySpan(s - 1)
                        && tool[s] == 1f
                        && batch.spanTokenEnd(s) > batch.spanTokenStart(s)) {
                    out[i] = runs(mask, batch.tokenStart(i), batch.spanTokenStart(s) + 1) - 1;
                    break;
                }
            }
        }
        return out;
    }

    private static double[] weighted(Rollouts batch, List<float[]> fs, double[] w, String param) {
        int n = batch.trajectoryCount();
        if (w.length != 0 && w.length != fs.size()) {
            throw new IllegalArgumentException("parameter '" + param + "' has " + w.length
                    + " weights but the batch has " + fs.size() + " such reward functions");
        }
        double[] out = new double[n];
        for (int f = 0; f < fs.size(); f++) {
            float[] v = fs.get(f);
            double wf = w.length == 0 ? 1.0 : w[f];
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(v[i])) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID + "': reward function " + f + " of " + param
                                    + " has no value",
                            i,
                            "outcome");
                }
                out[i] += wf * v[i];
            }
        }
        return out;
    }

    private static double[] z(Rollouts batch, double[] x, double eps) {
        int groups = batch.groupCount();
        double[] sum = new double[groups];
        double[] ss = new double[groups];
        int n = x.length;
        for (int i = 0; i < n; i++) sum[batch.trajectoryGroup(i)] += x[i];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            double d = x[i] - sum[g] / batch.groupSize(g);
            ss[g] += d * d;
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            int k = batch.groupSize(g);
            out[i] = (x[i] - sum[g] / k) / (Math.sqrt(ss[g] / (k - 1)) + eps);
        }
        return out;
    }
}
