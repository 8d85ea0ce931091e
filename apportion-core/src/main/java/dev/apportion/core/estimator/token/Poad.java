package dev.apportion.core.estimator.token;

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
import dev.apportion.core.credit.WireName;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.Map;

/**
 * POAD (Policy Optimization with Action Decomposition): a token-level critic's Bellman backup
 * decomposed inside a language action (no reward, no discount between the tokens of one action)
 * and across actions (reward and discount at the action boundary), with GAE over the result.
 * Modes NTPO (naive token-level PPO: discount between every pair of tokens) and ARCHER-style
 * (bootstrapping from the last token of the next action), and the action-level PPO baseline.
 *
 * <p>Source: M. Wen et al., "Reinforcing Language Agents via Policy Optimization with Action
 * Decomposition", NeurIPS 2024, arXiv 2405.15821; reference code morning9393/ADRL @
 * 5ec1aa5450d150906455056c2a6718fcaeb2d12b, {@code mappo/utils/language_buffer.py}
 * {@code LanguageBuffer.batch_process_tppo} (algorithms {@code POAD}, {@code NTPO},
 * {@code ARCHER}) and {@code LanguageBuffer.batch_process_appo} (action level); defaults in
 * {@code mappo/config.py}. Fidelity: reference (golden family {@code prl-poad-itpo.jsonl},
 * semantics {@code prl-poad-itpo.md} §2).
 *
 * <h2>On apportion's model</h2>
 * <ul>
 *   <li>A trajectory is one agent's episode (or the part of it in the batch); each <b>policy
 *       span</b> is one action (an utterance), context spans between them are observations.</li>
 *   <li>Token signal {@code value}: the token-level critic's value of each action token (at action
 *       level the action's value is the value of its first token).</li>
 *   <li>The reward of action k: the dense token rewards ({@link Rollouts#denseTokenRewards()}:
 *       span rewards, token rewards, the outcome on the last policy token) summed from the
 *       action's first token up to the next action's first token.</li>
 *   <li>Trajectory signal {@code next_value} (optional): the critic's value of the state after the
 *       last action when the episode goes on beyond the batch (the reference's {@code next_value}
 *       with mask 1); absent (or NaN) means the episode ended with the last action (mask 0).</li>
 * </ul>
 * The reference's buffer holds several episodes per thread separated by {@code masks = 0}; a mask
 * of 0 cuts both the bootstrap and the GAE carry, so one trajectory per episode computes the same.
 *
 * <h2>Formula (token level)</h2>
 * Backwards over actions k = K−1 … 0 and their tokens l = last … 0, carrying g (reset to 0 at the
 * episode end):
 * <ul>
 *   <li>last token of action k: {@code δ = r_k + γ·v' − V_{k,last}}, {@code g = δ + γλ·g}, where v'
 *       is the value of the first token of action k+1 ({@code POAD}, {@code NTPO}) or of its last
 *       token ({@code ARCHER}), {@code next_value} after the last action, or 0 (and g restarts)
 *       when the episode ended;</li>
 *   <li>inside the action: {@code POAD}: {@code δ = V_{l+1} − V_l}, {@code g = δ + λ·g};
 *       {@code NTPO}, {@code ARCHER}: {@code δ = γ·V_{l+1} − V_l}, {@code g = δ + γλ·g};</li>
 *   <li>advantage {@code g}, return {@code g + V_l}.</li>
 * </ul>
 * <b>Action level</b> ({@code level = action}, {@code batch_process_appo}): per action
 * {@code δ = r_k + γ·V_{k+1} − V_k}, {@code g = δ + γλ·g}; every token of the action gets g, its
 * return is {@code V_k + g}; {@code algorithm} is ignored.
 *
 * <h2>Quirks of the reference and how they map</h2>
 * <ul>
 *   <li>The reference cuts only trailing pad tokens, so a pad id inside an action counts as a
 *       token, and it uses agent 0's action length for every agent of a thread. Both concern how
 *       token slots become actions: here the policy spans are the actions, and the golden adapter
 *       reproduces the two rules when it lays the reference's slots out as spans.</li>
 *   <li>An action without tokens (all pad in the reference, which then fails) is refused.</li>
 * </ul>
 *
 * <h2>Parameters</h2>
 * {@code algorithm} POAD, {@code level} token, {@code gamma} 0.95, {@code gae_lambda} 0.95
 * ({@code mappo/config.py}; {@code train_llm.sh} keeps them for VirtualHome and has a commented
 * Overcooked command with γ = 0.99: preset {@code overcooked}). Presets {@code ntpo},
 * {@code archer}, {@code appo} select the other modes.
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy spans gets 0. Context tokens get 0 (advantage and return). Computed
 * in double from float32 inputs (the reference computes in float32; within the golden tolerances).
 *
 * <p>Cost: one pass over the tokens. At token level the per-action reward sums and the backup,
 * each a dependent double chain per trajectory, run four trajectories side by side
 * ({@code PoadLanes}); every trajectory gets exactly the operations, in the same order, it would
 * get alone, so the result does not depend on the batch, the lane or the thread count.
 *
 * <p>Stateless and thread-safe; trajectories are independent and processed in parallel.
 */
public final class Poad implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "poad";

    /** Trajectory signal: bootstrap value after the last action when the episode goes on. */
    public static final String NEXT_VALUE = "next_value";

    /** The backup rule ({@code algorithm}), written as the upper-case names of the paper. */
    enum Algorithm implements WireName {
        /** no discount inside an action */
        POAD,
        /** discount between all tokens */
        NTPO,
        /** NTPO bootstrapping from the next action's last token */
        ARCHER;

        @Override
        public String wire() {
            return name();
        }
    }

    /** Level of the backup ({@code level}). */
    enum Level {
        /** token-level backup (batch_process_tppo) */
        TOKEN,
        /** action-level GAE (batch_process_appo) */
        ACTION
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title(
                    "POAD: token-level Bellman backup with action decomposition (POAD / NTPO / ARCHER; action-level GAE)")
            .source(
                    "Wen et al., arXiv 2405.15821 (NeurIPS 2024); morning9393/ADRL@5ec1aa5 mappo/utils/language_buffer.py "
                            + "LanguageBuffer.batch_process_tppo, batch_process_appo")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.VALUE, "the token-level critic"),
                    SignalRequirement.span("reward", "the environment (reward of each action), or the outcome"))
            .parameters(
                    ParamSpec.choice(
                            "algorithm",
                            Algorithm.POAD,
                            "POAD: no discount inside an action; NTPO: discount between all tokens; ARCHER: NTPO bootstrapping "
                                    + "from the next action's last token"),
                    ParamSpec.choice(
                            "level",
                            Level.TOKEN,
                            "token: token-level backup (batch_process_tppo); action: action-level GAE (batch_process_appo)"),
                    ParamSpec.real(
                            "gamma", 0.95, 0.0, 1.0, "discount between actions (and between tokens for NTPO/ARCHER)"),
                    ParamSpec.real("gae_lambda", 0.95, 0.0, 1.0, "GAE lambda"))
            .preset("ntpo", Map.of("algorithm", Algorithm.NTPO.wire()))
            .preset("archer", Map.of("algorithm", Algorithm.ARCHER.wire()))
            .preset("appo", Map.of("level", "action"))
            .preset("overcooked", Map.of("gamma", 0.99))
            .summary(
                    "inside an action delta = V(l+1) - V(l), g = delta + lambda g; at its end delta = r + gamma V(next action) - V, "
                            + "g = delta + gamma lambda g")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * {@inheritDoc} Advantages and returns go into {@code buffers} when given (every token is
     * written). The arithmetic is the same with and without: per action the reward sum, then the
     * backup, in double from the float inputs, each output rounded to float.
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Algorithm algorithm = params.getChoice("algorithm", Algorithm.class);
        boolean actionLevel = params.getChoice("level", Level.class) == Level.ACTION;
        double gamma = params.getDouble("gamma");
        double lambda = params.getDouble("gae_lambda");
        float[] value = batch.requireTokenSignal(Rollouts.VALUE, ID, "the token-level critic");
        DenseRewards reward = new DenseRewards(batch);
        float[] next = batch.trajectorySignal(NEXT_VALUE);
        int n = batch.tokenCount();
        boolean zeroed = buffers == null;
        float[] adv = zeroed ? new float[n] : buffers.advantages(n);
        float[] ret = zeroed ? new float[n] : buffers.returns(n);
        for (int i = 0; i < batch.trajectoryCount(); i++) checkActions(batch, i);
        execution.forTrajectories(batch, (chunk, from, to) -> {
            for (int i = from; i < to; i++) {
                int s0 = batch.spanStart(i);
                int s1 = batch.spanEnd(i);
                if (!zeroed) {
                    for (int s = s0; s < s1; s++) {
                        if (!batch.isPolicySpan(s)) {
                            Arrays.fill(adv, batch.spanTokenStart(s), batch.spanTokenEnd(s), 0f);
                            Arrays.fill(ret, batch.spanTokenStart(s), batch.spanTokenEnd(s), 0f);
                        }
                    }
                }
                if (!actionLevel) continue;
                // action level: one step per action, every token of the action gets it
                double g = 0;
                boolean goesOn = next != null && !Float.isNaN(next[i]);
                int ns = -1; // the next action (policy span) after s, -1 after the last
                for (int s = s1 - 1; s >= s0; s--) {
                    if (!batch.isPolicySpan(s)) continue;
                    int first = batch.spanTokenStart(s);
                    int last = batch.spanTokenEnd(s) - 1;
                    // rewards from the action's first token up to the next action's first token
                    double r = reward.sum(i, s, ns >= 0 ? ns : s1);
                    double m;
                    double vn;
                    if (ns >= 0) {
                        m = 1;
                        vn = value[batch.spanTokenStart(ns)];
                    } else {
                        m = goesOn ? 1 : 0;
                        vn = goesOn ? next[i] : 0;
                    }
                    ns = s;
                    double v = value[first];
                    g = r + gamma * vn * m - v + gamma * lambda * m * g;
                    for (int t = first; t <= last; t++) {
                        adv[t] = (float) g;
                        ret[t] = (float) (g + v);
                    }
                }
            }
            // token level: the backup, four trajectories' chains side by side
            if (!actionLevel) {
                new PoadLanes(
                                batch,
                                value,
                                next,
                                adv,
                                ret,
                                reward,
                                algorithm == Algorithm.POAD,
                                algorithm == Algorithm.ARCHER,
                                gamma,
                                lambda)
                        .run(from, to);
            }
        });
        return Credit.builder(adv).returns(ret).build();
    }

    /**
     * The dense token rewards of {@link Rollouts#denseTokenRewards()} (token reward, span rewards
     * on their last token, the outcome on the last policy token), summed per action without the
     * token-sized copy that method makes: the same floats, added in token order in double.
     */
    private static final class DenseRewards implements PoadLanes.Rewards {
        private final Rollouts batch;
        private final float[] token;
        private final float[] span;
        /** The outcome as denseTokenRewards adds it, or null when the batch has no outcome at all. */
        private final double[] outcome;

        DenseRewards(Rollouts batch) {
            this.batch = batch;
            this.token = batch.tokenSignal(Rollouts.REWARD);
            this.span = batch.spanReward();
            float[] o = batch.outcome();
            Map<String, float[]> comps = batch.outcomeComponents();
            if (o == null && comps.isEmpty()) {
                outcome = null;
            } else {
                int n = batch.trajectoryCount();
                outcome = new double[n];
                if (o != null) {
                    for (int i = 0; i < n; i++) if (!Float.isNaN(o[i])) outcome[i] = o[i];
                } else {
                    for (float[] c : comps.values()) {
                        for (int i = 0; i < n; i++) if (!Float.isNaN(c[i])) outcome[i] += c[i];
                    }
                }
            }
        }

        /**
         * {@code Σ dense[t]} over the tokens of spans {@code [from, to)} of trajectory {@code i}, in
         * token order, in double. Without a token reward signal the dense reward is +0 except on
         * the last token of a span (a +0 term leaves a sum that starts at +0 unchanged), so only
         * those tokens are added.
         */
        @Override
        public double sum(int i, int from, int to) {
            int lastPolicy = batch.lastPolicyToken(i);
            double r = 0;
            for (int s = from; s < to; s++) {
                int ts = batch.spanTokenStart(s);
                int te = batch.spanTokenEnd(s);
                if (te == ts) continue;
                if (token != null) for (int t = ts; t < te - 1; t++) r += token[t];
                r += last(i, s, lastPolicy);
            }
            return r;
        }

        @Override
        public float[] tokenRewards() {
            return token;
        }

        @Override
        public float last(int i, int s, int lastPolicy) {
            int te = batch.spanTokenEnd(s);
            float d = token != null ? token[te - 1] : 0f;
            if (span != null && !Float.isNaN(span[s])) d += span[s];
            if (outcome != null && te - 1 == lastPolicy) d += (float) outcome[i];
            return d;
        }
    }

    /** Refuses an action (policy span) without tokens: the first one of trajectory {@code i}. */
    private static void checkActions(Rollouts batch, int i) {
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) == batch.spanTokenStart(s)) actions(batch, i);
        }
    }

    /** The policy spans (actions) of trajectory {@code i}; an empty one is refused. */
    private static int[] actions(Rollouts batch, int i) {
        int count = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) if (batch.isPolicySpan(s)) count++;
        int[] out = new int[count];
        int k = 0;
        for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
            if (!batch.isPolicySpan(s)) continue;
            if (batch.spanTokenEnd(s) == batch.spanTokenStart(s)) {
                throw new RolloutException(
                        batch.describe(i) + ": spans[" + (s - batch.spanStart(i))
                                + "] is an action without tokens; estimator '" + ID
                                + "' needs every action (policy span) to have at least one "
                                + "token (the reference fails on an all-pad action)",
                        i,
                        "spans[" + (s - batch.spanStart(i)) + "].tokens");
            }
            out[k++] = s;
        }
        return out;
    }
}
