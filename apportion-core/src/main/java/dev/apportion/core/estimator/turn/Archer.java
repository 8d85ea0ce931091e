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
import dev.apportion.core.kernel.DenseRewards;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * ArCHer's hierarchical actor-critic credit ({@code archer}): an utterance-level advantage from a
 * double-headed critic, optionally minus a token-level value baseline, and the utterance-level TD
 * targets the critic regresses onto.
 *
 * <h2>Inputs</h2>
 * One utterance = one non-empty policy span. Its critic outputs are span signals:
 * {@code critic_q1_pi}, {@code critic_q2_pi} (critic Q heads at a freshly sampled action),
 * {@code critic_v1}, {@code critic_v2} (V heads at the state) — needed for the advantage;
 * {@code target_v1_next}, {@code target_v2_next} (target critic V at the next state) for the TD
 * targets; {@code target_q1_pi}, {@code target_q2_pi} (target critic Q at the sampled action) for
 * the V targets; {@code critic_q1}, {@code critic_q2} (critic Q at the replayed action) for the
 * critic losses; {@code done} (0/1; default 1 on a trajectory's last utterance, else 0). The
 * utterance reward is the sum of the dense rewards on its tokens ({@link Rollouts#denseTokenRewards()}:
 * span reward, token rewards, the outcome on the last policy token). The token-baseline actor
 * reads the token signal {@code value} (the policy's value head); the actor losses read
 * {@code logprob}.
 *
 * <h2>Formula</h2> (all per utterance; float32 in the reference)
 * <ul>
 *   <li>{@code A = min(q1_pi, q2_pi) − min(v1, v2)};</li>
 *   <li>TD targets per head (no min over heads): {@code y_k = r + (1 − done)·γ·target_vk_next};
 *       V targets {@code target_qk_pi};</li>
 *   <li>critic losses (diagnostics {@code critic_loss_q1/q2/v1/v2}): mean squared errors of
 *       {@code critic_qk} against {@code y_k} and {@code critic_vk} against {@code target_qk_pi};</li>
 *   <li>token advantage: {@code A} on every token of the utterance, or {@code A − value_t} with
 *       {@code token_baseline};</li>
 *   <li>actor losses (diagnostics): {@code pg_loss = −mean_u Σ_t adv_t·logprob_t};
 *       {@code value_loss = Σ_u Σ_t (A − value_t)² / (all tokens of the batch)} — the reference
 *       averages over rows × padded length, padding included, which is every token of the batch
 *       when each transition is one padded row (0 without the baseline).</li>
 * </ul>
 * {@link Credit#returns()} holds the Q1 head's TD target on the utterance's tokens (both heads
 * are in {@link #components}); span advantages are {@code A}.
 *
 * <h2>Source</h2>
 * Zhou et al., "ArCHer: Training Language Model Agents via Hierarchical Multi-Turn RL", arXiv
 * 2402.19446; code YifeiZhou02/ArCHer @ 7c771a7610cb34e54ba53d69d1fb7337103e5648,
 * {@code archer/algorithms/archer/trainer.py} ({@code ArcherTrainer.critic_loss},
 * {@code actor_loss} and the advantage block of {@code update}). Fidelity {@code reference}: the
 * golden vectors of {@code delta-at2po-archer.jsonl} pass.
 *
 * <h2>Parameters and presets</h2>
 * {@code gamma} = 0.95 ({@code scripts/config/default.yaml}, inherited by the published task
 * configs); preset {@code trainer} = 0.9 (the trainer's own default). {@code token_baseline} =
 * false.
 *
 * <h2>Edge cases</h2>
 * No normalisation or clipping of {@code A}. The actor sees the sampled action's values, never
 * the replayed one (the reference's quirk). A non-empty policy span without the four advantage
 * signals is an error naming trajectory and span; TD targets, V targets and losses are computed
 * only when their signals are present (otherwise NaN in {@link #components} and no diagnostic).
 *
 * <p>Stateless and thread-safe.
 */
public final class Archer implements BufferedEstimator {
    public static final String ID = "archer";
    public static final String Q1_PI = "critic_q1_pi";
    public static final String Q2_PI = "critic_q2_pi";
    public static final String V1 = "critic_v1";
    public static final String V2 = "critic_v2";
    public static final String Q1 = "critic_q1";
    public static final String Q2 = "critic_q2";
    public static final String TARGET_Q1_PI = "target_q1_pi";
    public static final String TARGET_Q2_PI = "target_q2_pi";
    public static final String TARGET_V1_NEXT = "target_v1_next";
    public static final String TARGET_V2_NEXT = "target_v2_next";
    public static final String DONE = "done";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("ArCHer utterance-level actor-critic advantage and TD targets")
            .source("Zhou et al., arXiv 2402.19446; YifeiZhou02/ArCHer@7c771a7 archer/algorithms/archer/trainer.py "
                    + "ArcherTrainer.critic_loss, actor_loss, update")
            .granularity(Granularity.TURN)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.span(Q1_PI, "the critic's Q heads at a sampled action"),
                    SignalRequirement.span(Q2_PI, "the critic's Q heads at a sampled action"),
                    SignalRequirement.span(V1, "the critic's V heads"),
                    SignalRequirement.span(V2, "the critic's V heads"))
            .parameters(
                    ParamSpec.real("gamma", 0.95, 0.0, 1.0, "utterance-level discount of the TD targets"),
                    ParamSpec.bool(
                            "token_baseline",
                            false,
                            "subtract the policy's per-token value head (token signal 'value')"))
            .preset("paper", Map.of("gamma", 0.95))
            .preset("trainer", Map.of("gamma", 0.9))
            .summary(
                    "A_u = min(Q1,Q2)(s,a_pi) - min(V1,V2)(s) on the utterance's tokens (minus value_t with token_baseline); "
                            + "TD targets r + (1-done)*gamma*V_target(s')")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * Per-utterance outputs ({@code spans} = the utterances' span indices, all other arrays
     * indexed like {@code spans}; NaN where a signal is missing) and the losses (NaN when not
     * computable).
     */
    public record Components(
            int[] spans,
            double[] advantage,
            double[] tdTargetQ1,
            double[] tdTargetQ2,
            double[] vTarget1,
            double[] vTarget2,
            double criticLossQ1,
            double criticLossQ2,
            double criticLossV1,
            double criticLossV2,
            double pgLoss,
            double valueLoss) {}

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Components c = components(batch, params);
        boolean baseline = params.getBoolean("token_baseline");
        float[] value = baseline ? batch.requireTokenSignal(Rollouts.VALUE, ID, "the policy's value head") : null;
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] spanAdv = new float[batch.spanCount()];
        float[] spanRet = new float[batch.spanCount()];
        boolean anyTarget = false;
        for (int u = 0; u < c.spans.length; u++) {
            int s = c.spans[u];
            spanAdv[s] = (float) c.advantage[u];
            float y = (float) c.tdTargetQ1[u];
            if (!Float.isNaN(y)) anyTarget = true;
            spanRet[s] = Float.isNaN(y) ? 0f : y;
        }
        // utterances are exactly the spans with tokens among the policy spans: every other token gets 0
        Outputs.spanBroadcast(batch, spanAdv, adv);
        if (baseline) {
            for (int u = 0; u < c.spans.length; u++) {
                int s = c.spans[u];
                for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++)
                    adv[t] = (float) (c.advantage[u] - value[t]);
            }
        }
        Credit.Builder b = Credit.builder(adv).spanAdvantages(spanAdv).diagnostic("utterances", c.spans.length);
        if (anyTarget) b.returns(Outputs.spanBroadcast(batch, spanRet, Outputs.second(buffers, batch.tokenCount())));
        diag(b, "critic_loss_q1", c.criticLossQ1);
        diag(b, "critic_loss_q2", c.criticLossQ2);
        diag(b, "critic_loss_v1", c.criticLossV1);
        diag(b, "critic_loss_v2", c.criticLossV2);
        diag(b, "pg_loss", c.pgLoss);
        diag(b, "value_loss", c.valueLoss);
        return b.build();
    }

    private static void diag(Credit.Builder b, String name, double v) {
        if (!Double.isNaN(v)) b.diagnostic(name, v);
    }

    /** Computes the per-utterance values and the losses. */
    public Components components(Rollouts batch, Params params) {
        double gamma = params.getDouble("gamma");
        boolean baseline = params.getBoolean("token_baseline");
        float[] q1pi = need(batch, Q1_PI);
        float[] q2pi = need(batch, Q2_PI);
        float[] v1 = need(batch, V1);
        float[] v2 = need(batch, V2);
        float[] tq1 = batch.spanSignal(TARGET_Q1_PI);
        float[] tq2 = batch.spanSignal(TARGET_Q2_PI);
        float[] tv1 = batch.spanSignal(TARGET_V1_NEXT);
        float[] tv2 = batch.spanSignal(TARGET_V2_NEXT);
        float[] cq1 = batch.spanSignal(Q1);
        float[] cq2 = batch.spanSignal(Q2);
        float[] done = batch.spanSignal(DONE);
        float[] value = baseline ? batch.requireTokenSignal(Rollouts.VALUE, ID, "the policy's value head") : null;
        float[] logprob = batch.tokenSignal(Rollouts.LOGPROB);
        float[] tokenReward = batch.tokenSignal(Rollouts.REWARD);

        int count = 0;
        for (int s = 0; s < batch.spanCount(); s++) if (utterance(batch, s)) count++;
        int[] spans = new int[count];
        int u = 0;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!utterance(batch, s)) continue;
                String name = Float.isNaN(q1pi[s])
                        ? Q1_PI
                        : Float.isNaN(q2pi[s]) ? Q2_PI : Float.isNaN(v1[s]) ? V1 : Float.isNaN(v2[s]) ? V2 : null;
                if (name != null) {
                    String at = "spans[" + (s - batch.spanStart(i)) + "]";
                    throw new RolloutException(
                            batch.describe(i) + ": " + at + " is an utterance (non-empty policy span) without "
                                    + "signals." + name + ", which estimator '" + ID + "' needs",
                            i,
                            at + ".signals." + name);
                }
                spans[u++] = s;
            }
        }
        double[] adv = new double[count];
        double[] y1 = new double[count];
        double[] y2 = new double[count];
        double[] vt1 = new double[count];
        double[] vt2 = new double[count];
        double lq1 = 0, lq2 = 0, lv1 = 0, lv2 = 0;
        boolean haveQLoss = cq1 != null && cq2 != null && tv1 != null && tv2 != null;
        boolean haveVLoss = tq1 != null && tq2 != null;
        double pg = 0;
        double vloss = 0;
        // the dense reward (Rollouts.denseTokenRewards) of each utterance's last token; the tokens
        // before it carry only the token reward
        int[] lastTok = new int[count];
        int[] trajOfUtt = new int[count];
        int[] lastUtterance = new int[batch.trajectoryCount()];
        java.util.Arrays.fill(lastUtterance, -1);
        for (int i = 0, q = 0; i < batch.trajectoryCount(); i++) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (q < count && spans[q] == s) {
                    lastTok[q] = batch.spanTokenEnd(s) - 1;
                    trajOfUtt[q++] = i;
                    lastUtterance[i] = s;
                }
            }
        }
        double[] endReward = DenseRewards.at(batch, lastTok, trajOfUtt);
        for (u = 0; u < count; u++) {
            int s = spans[u];
            float a = Math.min(q1pi[s], q2pi[s]) - Math.min(v1[s], v2[s]);
            adv[u] = a;
            double r = 0;
            if (tokenReward != null) for (int t = batch.spanTokenStart(s); t < lastTok[u]; t++) r += tokenReward[t];
            r += endReward[u];
            double d = done != null && !Float.isNaN(done[s]) ? done[s] : (lastUtterance[trajOfUtt[u]] == s ? 1.0 : 0.0);
            y1[u] = tv1 == null || Float.isNaN(tv1[s]) ? Double.NaN : (float) (r + (1 - d) * tv1[s] * gamma);
            y2[u] = tv2 == null || Float.isNaN(tv2[s]) ? Double.NaN : (float) (r + (1 - d) * tv2[s] * gamma);
            vt1[u] = tq1 == null ? Double.NaN : tq1[s];
            vt2[u] = tq2 == null ? Double.NaN : tq2[s];
            if (haveQLoss) {
                lq1 += sq(cq1[s] - y1[u]);
                lq2 += sq(cq2[s] - y2[u]);
            }
            if (haveVLoss) {
                lv1 += sq(v1[s] - tq1[s]);
                lv2 += sq(v2[s] - tq2[s]);
            }
            if (logprob != null) {
                double sum = 0;
                for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++) {
                    double ta = baseline ? a - value[t] : a;
                    sum += ta * logprob[t];
                    if (baseline) vloss += sq(a - value[t]);
                }
                pg += sum;
            }
        }
        double nan = Double.NaN;
        int tokens = batch.tokenCount();
        return new Components(
                spans,
                adv,
                y1,
                y2,
                vt1,
                vt2,
                haveQLoss && count > 0 ? lq1 / count : nan,
                haveQLoss && count > 0 ? lq2 / count : nan,
                haveVLoss && count > 0 ? lv1 / count : nan,
                haveVLoss && count > 0 ? lv2 / count : nan,
                logprob != null && count > 0 ? -pg / count : nan,
                logprob != null && count > 0 ? (baseline && tokens > 0 ? vloss / tokens : 0.0) : nan);
    }

    private static boolean utterance(Rollouts batch, int s) {
        return batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s);
    }

    private static float[] need(Rollouts batch, String name) {
        float[] v = batch.spanSignal(name);
        if (v == null) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs the span signal '" + name + "' (the critic's output per utterance),"
                            + " which the batch lacks (spans[].signals." + name + ")",
                    -1,
                    "spans.signals." + name);
        }
        return v;
    }

    private static double sq(double x) {
        return x * x;
    }
}
