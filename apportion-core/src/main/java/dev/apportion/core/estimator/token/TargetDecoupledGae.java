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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;

/**
 * Multi-timescale GAE with target decoupling ({@code target_decoupled_gae}): a critic with K
 * value heads, one per discount {@code γ_k}; GAE runs per head, and the actor's advantage is
 * the advantage of ONE fixed head (the longest horizon), not a routed mixture of heads.
 *
 * <h2>Formula</h2>
 * Per head k, over the policy tokens of a trajectory in order (the next policy token is
 * {@code s'}; after the last one the episode ends):
 * {@code δ_k = r_t + γ_k·V_k(s')·(1 − d) − V_k(s_t)},
 * {@code A_k(t) = δ_k + γ_k·λ·(1 − d)·A_k(t+1)}, return {@code A_k + V_k}. Rewards are the batch's
 * dense token rewards ({@link Rollouts#denseTokenRewards()}) on policy tokens.
 * <ul>
 *   <li>{@code mode = decoupled} (the paper's fix): the actor gets {@code A_{actor_head}}.</li>
 *   <li>{@code mode = routed}: the actor gets {@code Σ_k w_k(t)·A_k(t)} with router weights
 *       {@code w_k} from token signals {@code route_h<k>} (inputs): the multi-timescale router
 *       the paper shows to be exploitable ("surrogate objective hacking"), kept to compare.</li>
 *   <li>{@code mode = mean}: the unweighted mean of the heads' advantages.</li>
 * </ul>
 * With {@code normalize} (default on) the actor advantage is whitened over the batch's policy
 * tokens: {@code (A − mean)/(std + 1e-8)}, std unbiased ({@code torch.std}); the code whitens
 * per minibatch, here the batch is the minibatch. Returns are the actor head's
 * {@code A + V} (before whitening).
 *
 * <h2>Inputs and defaults</h2>
 * Head k's values are the k-th token signal of {@code value_signals} (default
 * {@code value_h0..value_h3}), the router weights those of {@code route_signals}; γ = {0.5, 0.9, 0.99, 0.999},
 * λ = 0.95, actor head 3 (γ = 0.999), as in the authors' script.
 *
 * <h2>Source</h2>
 * J. Sun, "Representation over Routing: Overcoming Surrogate Hacking in Multi-Timescale PPO",
 * arXiv 2604.13517; equations as read in ben-dlwlrma/Representation-Over-Routing@0633ab1
 * {@code 4_target_decoupling_final.py} (shared/docs/reference/methods-agentic.md §22). Fidelity
 * {@code paper}: the per-head GAE, the fixed actor head and the whitening follow that code; no
 * golden cases exist. Ours: the LLM mapping (policy tokens as the time steps, the end of a
 * trajectory as the terminal, context-token rewards unseen) and the comparison modes.
 *
 * <h2>Edge cases</h2>
 * A missing head signal is an error naming it. A batch with fewer than two policy tokens is not
 * whitened. Context tokens get 0. Not group-local (batch whitening).
 *
 * <h2>Cost</h2>
 * One backward GAE chain per head and trajectory into a trajectory-sized scratch of doubles, whose
 * values are added into the outputs right after the trajectory's scan (while in cache); the outputs
 * go into {@link Credit.Buffers} when given (no batch-sized arrays per call). Then the whitening's
 * three masked passes. The per-token arithmetic is the same as with a batch-sized scratch.
 *
 * <p>Stateless and thread-safe.
 */
public final class TargetDecoupledGae implements BufferedEstimator {
    static final String ID = "target_decoupled_gae";

    /** How the value heads combine ({@code mode}). */
    enum Mode {
        /** one fixed head */
        DECOUPLED,
        /** router-weighted heads */
        ROUTED,
        /** the average of the heads */
        MEAN
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("Multi-timescale GAE with target decoupling: the actor uses the longest-horizon head only")
            .source(
                    "Sun, Representation over Routing: Overcoming Surrogate Hacking in Multi-Timescale PPO, arXiv 2604.13517; "
                            + "ben-dlwlrma/Representation-Over-Routing@0633ab1 4_target_decoupling_final.py")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.PAPER)
            .groupLocal(false)
            .requires(SignalRequirement.token(
                    "value_h0", "value head k of a multi-timescale critic (value_h0 .. value_h<K-1>)"))
            .parameters(
                    ParamSpec.realList("gammas", List.of(0.5, 0.9, 0.99, 0.999), "discount of each value head"),
                    ParamSpec.real("lambda", 0.95, 0.0, 1.0, "GAE λ"),
                    ParamSpec.integer(
                            "actor_head", 3, 0, null, "the head whose advantage the actor uses (decoupled mode)"),
                    ParamSpec.choice(
                            "mode",
                            Mode.DECOUPLED,
                            "decoupled: one fixed head; routed: router-weighted heads (route_h<k>); mean: average of heads"),
                    ParamSpec.bool("normalize", true, "whiten the actor advantage over the batch's policy tokens"),
                    ParamSpec.string(
                            "value_signals",
                            "value_h0,value_h1,value_h2,value_h3",
                            "token signals with the value heads, one per gamma, comma-separated"),
                    ParamSpec.string(
                            "route_signals",
                            "route_h0,route_h1,route_h2,route_h3",
                            "token signals with the router weights of the heads (routed mode)"))
            .preset("paper", Map.of("mode", "decoupled", "actor_head", 3, "lambda", 0.95))
            .summary("per-head GAE (γ_k ∈ {.5,.9,.99,.999}, λ=.95); actor advantage = head γ=.999 only, whitened")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /** Writes the advantages and returns into {@code buffers} when given (every token overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        double[] gammas = params.getDoubleList("gammas");
        int k = gammas.length;
        if (k == 0) throw new IllegalArgumentException("estimator '" + ID + "': parameter 'gammas' is empty");
        double lambda = params.getDouble("lambda");
        int actor = params.getInt("actor_head");
        Mode mode = params.getChoice("mode", Mode.class);
        if (actor >= k) {
            throw new IllegalArgumentException(
                    "estimator '" + ID + "': actor_head " + actor + " but only " + k + " gammas");
        }
        int first = mode == Mode.DECOUPLED ? actor : 0;
        int last = mode == Mode.DECOUPLED ? actor : k - 1;
        String[] valueNames = names(params.getString("value_signals"), k, "value_signals");
        String[] routeNames = mode == Mode.ROUTED ? names(params.getString("route_signals"), k, "route_signals") : null;
        float[][] values = new float[k][];
        float[][] route = new float[k][];
        for (int h = first; h <= last; h++) {
            values[h] = batch.requireTokenSignal(valueNames[h], ID, "value head " + h + " (γ = " + gammas[h] + ")");
            if (routeNames != null)
                route[h] = batch.requireTokenSignal(routeNames[h], ID, "the router's weight of head " + h);
        }
        float[] rewards = batch.denseTokenRewards();
        byte[] mask = batch.mask();
        int tokens = batch.tokenCount();
        float[] out;
        float[] returns;
        if (buffers == null) {
            out = new float[tokens];
            returns = new float[tokens];
        } else {
            out = buffers.advantages(tokens);
            returns = buffers.returns(tokens);
            java.util.Arrays.fill(out, 0f);
            java.util.Arrays.fill(returns, 0f);
        }
        int longest = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++)
            longest = Math.max(longest, batch.tokenEnd(i) - batch.tokenStart(i));
        double[] head = new double[longest];
        for (int h = first; h <= last; h++) {
            double g = gammas[h];
            if (!(g >= 0 && g <= 1))
                throw new IllegalArgumentException("estimator '" + ID + "': gamma " + g + " is not in [0, 1]");
            float[] v = values[h];
            double wk = 1.0 / k;
            for (int i = 0; i < batch.trajectoryCount(); i++) {
                int base = batch.tokenStart(i);
                double nextValue = 0;
                double nextAdv = 0;
                for (int t = batch.tokenEnd(i) - 1; t >= batch.tokenStart(i); t--) {
                    if (mask[t] == 0) continue;
                    if (!Float.isFinite(v[t])) {
                        throw new RolloutException(
                                batch.describe(i) + ": token_signals." + valueNames[h] + "[" + (t - batch.tokenStart(i))
                                        + "] is " + v[t],
                                i,
                                "token_signals." + valueNames[h]);
                    }
                    double delta = rewards[t] + g * nextValue - v[t];
                    double a = delta + g * lambda * nextAdv;
                    head[t - base] = a;
                    nextValue = v[t];
                    nextAdv = a;
                }
                // this trajectory's head values into the outputs, token by token as before
                for (int t = base; t < batch.tokenEnd(i); t++) {
                    if (mask[t] == 0) continue;
                    double w = mode == Mode.DECOUPLED ? 1.0 : mode == Mode.MEAN ? wk : route[h][t];
                    out[t] += (float) (w * head[t - base]);
                    if (h == actor) returns[t] = (float) (head[t - base] + v[t]);
                }
            }
        }
        int n = 0;
        double mean = 0;
        for (int t = 0; t < tokens; t++)
            if (mask[t] != 0) {
                mean += out[t];
                n++;
            }
        if (params.getBoolean("normalize") && n > 1) {
            mean /= n;
            double ss = 0;
            for (int t = 0; t < tokens; t++) if (mask[t] != 0) ss += (out[t] - mean) * (out[t] - mean);
            double std = Math.sqrt(ss / (n - 1));
            for (int t = 0; t < tokens; t++) if (mask[t] != 0) out[t] = (float) ((out[t] - mean) / (std + 1e-8));
        }
        return Credit.builder(out).returns(returns).diagnostic("heads", k).build();
    }

    private static String[] names(String list, int k, String param) {
        String[] out = list.split(",");
        for (int i = 0; i < out.length; i++) out[i] = out[i].trim();
        if (out.length != k) {
            throw new IllegalArgumentException("estimator '" + ID + "': parameter '" + param + "' names " + out.length
                    + " signals but 'gammas' has " + k);
        }
        return out;
    }
}
