package dev.apportion.core.estimator.agent;

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
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * COMA's counterfactual advantage per agent turn: the value of the action the agent took minus
 * the value of the same situation with only that agent's action re-drawn from its own policy,
 * everyone else's held fixed. Two registered variants share this class.
 *
 * <h2>{@code coma}: values given as span signals (the paper)</h2>
 * For every turn (non-empty policy span) {@code t} of agent {@code a}:
 * <pre>  A_t = Q(s_t, u_t) − Σ_{u'} π^a(u' | τ^a_t)·Q(s_t, (u_t^{−a}, u'))</pre>
 * with {@code Q(s_t, u_t)} the span signal {@code q_value} (a centralised critic's value of the
 * joint action that was played) and the counterfactual baseline (the sum) the span signal
 * {@code counterfactual_baseline}. Both names can be changed with {@code q_signal} and
 * {@code baseline_signal}. The advantage is written on every token of the turn.
 *
 * <h2>{@code coma_critic}: agents act one at a time, values from a state critic</h2>
 * When agents take turns (one agent acts per turn, as in apportion's rollouts), the other
 * agents have no simultaneous action, so the counterfactual sum over the acting agent's own
 * actions under its policy is exactly the state value: {@code Σ_{u'} π(u'|s)Q(s,u') = V(s_t)}.
 * With a state critic on the token {@code value} signal:
 * <pre>  Q(s_t, u_t) ≈ r_t + γ·V(s_{t+1}),   A_t = r_t + γ·V(s_{t+1}) − V(s_t)</pre>
 * where {@code V(s_t)} is the critic's value at the turn's first token, {@code V(s_{t+1})} the
 * value at the next turn's first token (0 after the last turn: terminal), and {@code r_t} the
 * sum of {@link Rollouts#denseTokenRewards()} from the turn's first token up to the next
 * turn's first token (the turn's span reward, rewards of the observation that follows, token
 * rewards, and the outcome on the trajectory's last policy token). Rewards before a
 * trajectory's first turn are credited to no turn.
 *
 * <h2>Source</h2>
 * J. Foerster, G. Farquhar, T. Afouras, N. Nardelli, S. Whiteson, "Counterfactual Multi-Agent
 * Policy Gradients", arXiv 1705.08926 (AAAI 2018), Eq. (4). {@code coma}: fidelity
 * {@code paper} (the advantage of the paper, given the critic's values). {@code coma_critic}:
 * fidelity {@code reconstructed}: the reduction of the counterfactual baseline to {@code V(s)}
 * for agents that act one at a time is exact, but estimating {@code Q} by one TD step from a
 * state-value critic is our choice (COMA learns {@code Q} itself).
 *
 * <h2>Parameters</h2>
 * {@code coma}: {@code q_signal} = q_value, {@code baseline_signal} = counterfactual_baseline.
 * {@code coma_critic}: {@code gamma} = 1.0. No normalization is applied (COMA uses the raw
 * advantage).
 *
 * <h2>Edge cases</h2>
 * A turn without the signals (NaN) or a batch without them throws a
 * {@link RolloutException} naming the trajectory and span. One agent: the formula is the
 * single-agent advantage {@code Q − V}. A trajectory without turns gets nothing. The credit of
 * a trajectory depends on that trajectory only.
 *
 * <p>Stateless and thread-safe.
 */
public final class Coma implements BufferedEstimator {
    static final String ID = "coma";
    static final String CRITIC_ID = "coma_critic";

    private final boolean critic;
    private final Descriptor descriptor;

    private Coma(boolean critic) {
        this.critic = critic;
        this.descriptor = critic ? criticDescriptor() : signalDescriptor();
    }

    /** {@code coma}: Q and the counterfactual baseline given as span signals. */
    public static Coma withSignals() {
        return new Coma(false);
    }

    /** {@code coma_critic}: turn-based reduction with a state-value critic. */
    public static Coma withCritic() {
        return new Coma(true);
    }

    private static Descriptor signalDescriptor() {
        return Descriptor.builder(ID)
                .title("COMA counterfactual advantage: Q(s,u) minus the acting agent's policy-weighted Q")
                .source("Foerster et al., Counterfactual Multi-Agent Policy Gradients, arXiv 1705.08926, Eq. 4")
                .granularity(Granularity.MULTI_AGENT)
                .methodology(Methodology.GAME_THEORETIC)
                .fidelity(Fidelity.PAPER)
                .groupLocal(true)
                .requires(
                        SignalRequirement.span(
                                "q_value", "a centralised critic's Q of the joint action played at the turn"),
                        SignalRequirement.span(
                                "counterfactual_baseline",
                                "the critic's sum over the acting agent's actions u' of pi(u')*Q(s,(u^-a,u'))"))
                .parameters(
                        ParamSpec.string("q_signal", "q_value", "span signal holding Q(s_t, u_t)"),
                        ParamSpec.string(
                                "baseline_signal",
                                "counterfactual_baseline",
                                "span signal holding the counterfactual baseline"))
                .preset("paper", Map.of("q_signal", "q_value", "baseline_signal", "counterfactual_baseline"))
                .summary("A_t = Q(s_t,u_t) - sum_u' pi(u'|tau_t) Q(s_t,(u_t^-a,u')) per agent turn")
                .build();
    }

    private static Descriptor criticDescriptor() {
        return Descriptor.builder(CRITIC_ID)
                .title("COMA for turn-taking agents: r + gamma*V(s') - V(s) from a state critic")
                .source(
                        "Foerster et al., arXiv 1705.08926 (counterfactual baseline); turn-taking reduction and TD(0) Q: ours")
                .granularity(Granularity.MULTI_AGENT)
                .methodology(Methodology.GAME_THEORETIC)
                .fidelity(Fidelity.RECONSTRUCTED)
                .groupLocal(true)
                .requires(
                        SignalRequirement.token(Rollouts.VALUE, "a state-value critic"),
                        SignalRequirement.trajectory("reward", "the outcome or step rewards")
                                .always())
                .parameters(ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount per turn"))
                .summary(
                        "A_t = r_t + gamma*V(s_{t+1}) - V(s_t); V(s_t) = sum_u pi(u|s_t) Q(s_t,u) when one agent acts at a time")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** Writes the advantages into {@code buffers} when given (reused across calls). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        TurnTable turns = TurnTable.of(batch);
        double[] a = critic ? critic(batch, turns, params.getDouble("gamma")) : signals(batch, turns, params);
        return Credit.builder(AgentOutput.turns(batch, turns, a, execution, buffers))
                .spanAdvantages(turns.spanValues(batch, a))
                .diagnostic("turns", turns.size())
                .build();
    }

    private double[] signals(Rollouts batch, TurnTable turns, Params params) {
        String qName = params.getString("q_signal");
        String bName = params.getString("baseline_signal");
        double[] q = turns.requireSpanSignal(batch, qName, ID, "Q(s,u) of the joint action from a centralised critic");
        double[] b = turns.requireSpanSignal(
                batch,
                bName,
                ID,
                "the counterfactual baseline: the acting agent's policy-weighted Q over its own actions");
        double[] a = new double[q.length];
        for (int j = 0; j < a.length; j++) a[j] = q[j] - b[j];
        return a;
    }

    private double[] critic(Rollouts batch, TurnTable turns, double gamma) {
        float[] v = batch.requireTokenSignal(Rollouts.VALUE, CRITIC_ID, "a state-value critic");
        float[] dense = batch.denseTokenRewards();
        double[] a = new double[turns.size()];
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int first = batch.spanTokenStart(turns.span(j));
                boolean last = j == turns.end(i) - 1;
                int next = last ? batch.tokenEnd(i) : batch.spanTokenStart(turns.span(j + 1));
                double r = 0;
                for (int t = first; t < next; t++) r += dense[t];
                double vNext = last ? 0.0 : v[next];
                a[j] = r + gamma * vNext - v[first];
            }
        }
        return a;
    }
}
