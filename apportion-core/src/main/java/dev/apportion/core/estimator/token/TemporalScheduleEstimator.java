package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.credit.WireName;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * RLVR-Schedule, temporal scheduling for RLVR: which tokens of a response get credit changes
 * over training — early on only the end of each response (or its highest-entropy tokens, or an
 * entropy bonus), later all of it — following a ratio ρ that decays with the training step.
 *
 * <p>Source: J. Zhang, R. Li, F. Zhao, J. Wang, "Not only where, But when: Temporal Scheduling
 * for RLVR", arXiv 2605.25381 (README badge: 2510.10201); reference code
 * Jinghaoleven/RLVR-Schedule @ f4272ef: {@code verl/experimental/agent_loop/agent_loop.py}
 * ({@code AgentLoopWorker._agent_loop_postprocess}, {@code _prefix_curriculum}) and
 * {@code verl/trainer/ppo/ray_trainer.py} ({@code _resolve_schedule_ratio_to_steps},
 * {@code _prefix_curriculum}, {@code compute_entropy_topk_response_mask},
 * {@code apply_entropy_soft_weight_to_advantage}). Fidelity: reference (reproduces the golden
 * vectors produced by that code).
 *
 * <h2>Training-loop state</h2>
 * The schedule depends on the trainer's step, which a batch does not carry: pass
 * {@code global_steps} (the step this batch is trained at) and {@code total_training_steps}.
 *
 * <h2>Schedule</h2>
 * In double precision, in this order: {@code s_min = trunc(N·min_schedule_ratio)},
 * {@code s_max = trunc(N·max_schedule_ratio)}, {@code p = clip((s − s_min)/(s_max − s_min), 0, 1)};
 * {@code linear}: {@code ρ = mag·(1 − p)}; {@code sigmoid}:
 * {@code ρ = mag·(σ(p) − σ_end)/(σ_start − σ_end)} with {@code σ(p) = 1/(1 + e^{8(p − 0.5)})},
 * {@code σ_start = 1/(1 + e^{−4})}, {@code σ_end = 1/(1 + e^{4})}; {@code gamma}: see
 * {@code gamma_form}. mag = {@code initial_schedule_magnitude}. ρ, s_min and s_max are
 * reported as diagnostics {@code prefix_ratio}, {@code min_schedule_step},
 * {@code max_schedule_step}.
 *
 * <h2>Base advantage</h2>
 * The paper's advantage is GRPO's ({@code base_advantage = grpo}: per group
 * {@code (s − mean)/(unbiased std + ε)} of the score {@link Rollouts#scores()}, a
 * one-trajectory group keeping its raw score as in verl), broadcast over the policy tokens.
 * {@code base_advantage = token_signal} reads a precomputed advantage from the token signal
 * {@code advantage} instead (for example another estimator's output).
 *
 * <h2>Strategies</h2>
 * With {@code L_i} = number of policy tokens of trajectory i, in order:
 * <ul>
 *   <li>{@code tp_schedule} (the paper's default): the first
 *       {@code prefix_i = min(trunc(L_i·ρ), L_i − 1)} policy tokens move into the prompt and get
 *       no loss: {@link Credit#lossWeights()} is 0 there and 1 on the other policy tokens; the
 *       advantage is the base advantage times that weight. (The reference also recomputes the
 *       reward on the shortened response; here the reward is what the batch carries.)</li>
 *   <li>{@code forking_tok_schedule}: keep the {@code k_i} highest-entropy policy tokens
 *       (token signal {@code entropy}), {@code k_i = min(max(ceil(f32(f32(L_i)·f32(r))), 0), L_i)}
 *       with {@code r = clip(1 − ρ, 0, 1)} in float32 as the reference computes it (so ρ = 0.99
 *       keeps 1 token of 100, not 2); equal entropies prefer the earlier token. Loss weights 1
 *       on kept tokens, 0 elsewhere; advantage = base · weight.</li>
 *   <li>{@code entropy_adv_schedule}: {@code A ← A + ρ·min(α·H, |A|/κ)} on policy tokens
 *       (α = {@code entropy_adv_schedule_alpha}, κ = {@code entropy_adv_schedule_kappa}); no
 *       loss weights.</li>
 * </ul>
 * Context tokens get advantage 0 and loss weight 0.
 *
 * <h2>Reference quirk</h2>
 * {@code gamma_form}: the reference's {@code gamma} mode raises the already scaled linear ratio
 * to the power, {@code ρ = (mag·(1 − p))^g} ({@code power_of_linear}, the paper's "linear^γ",
 * the default and the {@code reference} preset); {@code scaled_power} gives
 * {@code mag·(1 − p)^g}, which starts at mag like the other modes.
 *
 * <h2>Parameters</h2>
 * Defaults from the reference's configuration and {@code run_schedule_*_4b.sh}:
 * {@code strategy} tp_schedule, {@code schedule_mode} linear, mag 0.99, ratios 0 and 0.8,
 * {@code gamma_ratio} 2, α = κ = 1 (code defaults; the script uses 0.4 and 2.0),
 * {@code epsilon} 1e-6, {@code total_training_steps} 500 and {@code global_steps} 0 (set both).
 *
 * <h2>Edge cases</h2>
 * {@code s_max == s_min} is refused (the reference divides by zero). A trajectory without policy
 * tokens has prefix 0 (the reference's formula gives −1). The base advantage of a batch without
 * rewards is 0.
 *
 * <p>Stateless and thread-safe; group-local.
 */
public final class TemporalScheduleEstimator implements Estimator {
    /** Registry id. */
    public static final String ID = "temporal_schedule";

    /** Token signal holding a precomputed advantage ({@code base_advantage = token_signal}). */
    public static final String ADVANTAGE_SIGNAL = "advantage";

    /** Which tokens the schedule acts on ({@code strategy}), written as the reference's names. */
    enum Strategy implements WireName {
        /** train the response suffix */
        TP("tp_schedule"),
        /** train the top-entropy tokens */
        FORKING("forking_tok_schedule"),
        /** entropy bonus on the advantage */
        ENTROPY_ADV("entropy_adv_schedule");

        private final String wire;

        Strategy(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }
    }

    /** Shape of the ratio's decay ({@code schedule_mode}, lower-case names on the wire). */
    public enum ScheduleMode {
        /** {@code mag·(1 − p)} */
        LINEAR,
        /** a logistic curve from mag to 0, rescaled to end points */
        SIGMOID,
        /** {@code (mag(1 − p))^g} or {@code mag·(1 − p)^g} ({@code gamma_form}) */
        GAMMA
    }

    /** Form of the gamma schedule ({@code gamma_form}). */
    enum GammaForm {
        /** (mag(1 − p))^g, as the reference */
        POWER_OF_LINEAR,
        /** mag·(1 − p)^g */
        SCALED_POWER
    }

    /** The advantage the schedule reweights ({@code base_advantage}). */
    enum BaseAdvantage {
        /** verl GRPO from the scores */
        GRPO,
        /** the token signal 'advantage' */
        TOKEN_SIGNAL
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("RLVR-Schedule (temporal scheduling of trained tokens)")
            .source("Zhang, Li, Zhao, Wang, arXiv 2605.25381; Jinghaoleven/RLVR-Schedule@f4272ef "
                    + "verl/experimental/agent_loop/agent_loop.py, verl/trainer/ppo/ray_trainer.py")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("reward", "a verifier (outcome), for the GRPO base advantage"),
                    SignalRequirement.token(
                            Rollouts.ENTROPY, "the actor's token entropies (forking and entropy strategies)"))
            .parameters(
                    ParamSpec.choice(
                            "strategy",
                            Strategy.TP,
                            "tp_schedule: train the response suffix; forking_tok_schedule: top-entropy tokens; "
                                    + "entropy_adv_schedule: entropy bonus on the advantage"),
                    ParamSpec.choice("schedule_mode", ScheduleMode.LINEAR, "shape of the ratio's decay"),
                    ParamSpec.real(
                            "initial_schedule_magnitude", 0.99, 0.0, null, "ratio at the start of the schedule window"),
                    ParamSpec.real(
                            "min_schedule_ratio", 0.0, 0.0, null, "window start as a fraction of total_training_steps"),
                    ParamSpec.real(
                            "max_schedule_ratio", 0.8, 0.0, null, "window end as a fraction of total_training_steps"),
                    ParamSpec.real("gamma_ratio", 2.0, 0.0, null, "exponent of the gamma mode"),
                    ParamSpec.choice(
                            "gamma_form",
                            GammaForm.POWER_OF_LINEAR,
                            "gamma mode: (mag(1-p))^g as the reference, or mag(1-p)^g"),
                    ParamSpec.integer("total_training_steps", 500, 1, null, "the trainer's total number of steps"),
                    ParamSpec.integer(
                            "global_steps", 0, 0, null, "the trainer's step for this batch (training-loop state)"),
                    ParamSpec.real(
                            "entropy_adv_schedule_alpha",
                            1.0,
                            0.0,
                            null,
                            "alpha of the entropy bonus min(alpha*H, |A|/kappa)"),
                    ParamSpec.real(
                            "entropy_adv_schedule_kappa", 1.0, Double.MIN_VALUE, null, "kappa of the entropy bonus"),
                    ParamSpec.choice(
                            "base_advantage",
                            BaseAdvantage.GRPO,
                            "grpo: verl GRPO from the scores; token_signal: the token signal 'advantage'"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std of the GRPO base advantage"))
            .preset("reference", Map.of("gamma_form", "power_of_linear"))
            .preset(
                    "run_schedule_adv_4b",
                    Map.of(
                            "strategy",
                            Strategy.ENTROPY_ADV.wire(),
                            "entropy_adv_schedule_alpha",
                            0.4,
                            "entropy_adv_schedule_kappa",
                            2.0))
            .summary(
                    "rho(step) decays from mag to 0; tp: no loss on the first trunc(rho·L) tokens; forking: top-(1-rho) "
                            + "entropy tokens; entropy_adv: A + rho·min(alpha·H, |A|/kappa)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Schedule window and ratio. */
    public record Schedule(int minStep, int maxStep, double ratio) {}

    /**
     * The schedule at {@code globalSteps}, in the reference's double arithmetic.
     *
     * @throws IllegalArgumentException when the window is empty
     */
    public static Schedule schedule(
            ScheduleMode mode,
            boolean powerOfLinear,
            double magnitude,
            double minRatio,
            double maxRatio,
            double gammaRatio,
            int totalSteps,
            int globalSteps) {
        int minStep = (int) (totalSteps * minRatio);
        int maxStep = (int) (totalSteps * maxRatio);
        if (maxStep == minStep) {
            throw new IllegalArgumentException(
                    "estimator '" + ID + "': the schedule window is empty: trunc(total_training_steps * "
                            + "min_schedule_ratio) = trunc(" + totalSteps + " * " + minRatio + ") = " + minStep
                            + " equals trunc(total_training_steps * max_schedule_ratio) = " + maxStep);
        }
        double progress = Math.min(Math.max((double) (globalSteps - minStep) / (maxStep - minStep), 0.0), 1.0);
        double ratio;
        switch (mode) {
            case SIGMOID: {
                double sig = 1.0 / (1.0 + Math.exp(8.0 * (progress - 0.5)));
                double sigStart = 1.0 / (1.0 + Math.exp(-4.0));
                double sigEnd = 1.0 / (1.0 + Math.exp(4.0));
                ratio = magnitude * (sig - sigEnd) / (sigStart - sigEnd);
                break;
            }
            case GAMMA:
                ratio = powerOfLinear
                        ? Math.pow(magnitude * (1.0 - progress), gammaRatio)
                        : magnitude * Math.pow(1.0 - progress, gammaRatio);
                break;
            case LINEAR:
            default:
                ratio = magnitude * (1.0 - progress);
                break;
        }
        return new Schedule(minStep, maxStep, ratio);
    }

    /** {@code tp_schedule}: number of leading response tokens moved into the prompt. */
    public static int prefixLength(int responseLength, double ratio) {
        if (responseLength <= 0) return 0;
        return (int) Math.min((long) (responseLength * ratio), responseLength - 1L);
    }

    /**
     * {@code tp_schedule}: the step's prompt and response length budgets,
     * {@code {trunc(P + R·ρ), (P + R) − trunc(P + R·ρ)}} for the rollout budgets P and R.
     */
    public static int[] stepLengths(int promptLength, int responseLength, double ratio) {
        int prompt = (int) (promptLength + responseLength * ratio);
        return new int[] {prompt, promptLength + responseLength - prompt};
    }

    /** {@code forking_tok_schedule}: tokens kept out of {@code count}, in the reference's float32 arithmetic. */
    public static int forkingBudget(int count, double ratio) {
        float tokenRatio = (float) Math.min(Math.max(1.0 - ratio, 0.0), 1.0);
        float product = (float) count * tokenRatio;
        int budget = (int) Math.ceil(product);
        return Math.min(Math.max(budget, 0), count);
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        Strategy strategy = params.getChoice("strategy", Strategy.class);
        Schedule sched = schedule(
                params.getChoice("schedule_mode", ScheduleMode.class),
                params.getChoice("gamma_form", GammaForm.class) == GammaForm.POWER_OF_LINEAR,
                params.getDouble("initial_schedule_magnitude"),
                params.getDouble("min_schedule_ratio"),
                params.getDouble("max_schedule_ratio"),
                params.getDouble("gamma_ratio"),
                params.getInt("total_training_steps"),
                params.getInt("global_steps"));
        double rho = sched.ratio();
        int n = batch.trajectoryCount();
        int tokens = batch.tokenCount();
        float[] adv = base(batch, params, execution);
        float[] entropy = strategy == Strategy.TP
                ? null
                : batch.requireTokenSignal(Rollouts.ENTROPY, ID, "the actor's per-token entropies");
        float[] weights = strategy == Strategy.ENTROPY_ADV ? null : new float[tokens];
        byte[] mask = batch.mask();
        int[] spanOff = batch.trajectorySpanOffsets();
        double alpha = params.getDouble("entropy_adv_schedule_alpha");
        double kappa = params.getDouble("entropy_adv_schedule_kappa");
        long[] kept = new long[execution.chunks(batch)];
        execution.forTrajectories(batch, (chunk, from, to) -> {
            long keptHere = 0;
            int[] order = new int[16];
            long[] keys = new long[16];
            for (int i = from; i < to; i++) {
                int len = batch.policyTokenCount(i);
                switch (strategy) {
                    case TP: {
                        int prefix = prefixLength(len, rho);
                        int seen = 0;
                        for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                            if (!batch.isPolicySpan(s)) continue;
                            for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++) {
                                weights[t] = seen++ < prefix ? 0f : 1f;
                            }
                        }
                        keptHere += len - prefix;
                        break;
                    }
                    case FORKING: {
                        int k = forkingBudget(len, rho);
                        if (order.length < len) {
                            order = new int[len];
                            keys = new long[len];
                        }
                        int m = 0;
                        for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) if (mask[t] == 1) order[m++] = t;
                        selectTop(order, m, k, entropy, keys);
                        for (int j = 0; j < k; j++) weights[order[j]] = 1f;
                        keptHere += k;
                        break;
                    }
                    default: {
                        for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                            if (mask[t] == 0) continue;
                            double a = adv[t];
                            double bonus = Math.min(alpha * entropy[t], Math.abs(a) / kappa);
                            adv[t] = (float) (a + rho * bonus);
                        }
                        keptHere += len;
                        break;
                    }
                }
            }
            kept[chunk] = keptHere;
        });
        if (weights != null) {
            for (int t = 0; t < tokens; t++) adv[t] *= weights[t];
        }
        long keptTotal = 0;
        for (long k : kept) keptTotal += k;
        Credit.Builder b = Credit.builder(adv)
                .diagnostic("prefix_ratio", rho)
                .diagnostic("min_schedule_step", sched.minStep())
                .diagnostic("max_schedule_step", sched.maxStep())
                .diagnostic("trained_tokens", keptTotal);
        if (weights != null) b.lossWeights(weights);
        return b.build();
    }

    /**
     * Moves the {@code k} tokens of {@code order[0..m)} with the largest entropy to the front
     * (equal entropies: earlier token first), by sorting packed (entropy, position) keys.
     */
    private static void selectTop(int[] order, int m, int k, float[] entropy, long[] keys) {
        if (k == 0 || k >= m) return;
        for (int j = 0; j < m; j++) {
            int bits = Float.floatToIntBits(entropy[order[j]]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff); // same order as the floats
            keys[j] = ((long) ~sortable << 32) | j; // descending entropy, then ascending position
        }
        java.util.Arrays.sort(keys, 0, m);
        int[] picked = new int[k];
        for (int j = 0; j < k; j++) picked[j] = order[(int) (keys[j] & 0xffffffffL)];
        System.arraycopy(picked, 0, order, 0, k);
    }

    /** The base advantage on policy tokens (0 on context). */
    private static float[] base(Rollouts batch, Params params, Execution execution) {
        int tokens = batch.tokenCount();
        float[] adv = new float[tokens];
        byte[] mask = batch.mask();
        if (params.getChoice("base_advantage", BaseAdvantage.class) == BaseAdvantage.TOKEN_SIGNAL) {
            float[] a = batch.requireTokenSignal(
                    ADVANTAGE_SIGNAL, ID, "a precomputed advantage (base_advantage = token_signal)");
            for (int t = 0; t < tokens; t++) adv[t] = mask[t] == 1 ? a[t] : 0f;
            return adv;
        }
        if (!batch.hasAnyReward()) return adv;
        double eps = params.getDouble("epsilon");
        double[] s = batch.scores();
        GroupStats st = GroupStats.of(batch, s);
        double[] a = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            int g = batch.trajectoryGroup(i);
            a[i] = st.count(g) < 2 ? s[i] : (s[i] - st.mean(g)) / (st.std(g, true) + eps);
        }
        dev.apportion.core.stats.Broadcast.trajectories(batch, a, adv, execution);
        return adv;
    }
}
