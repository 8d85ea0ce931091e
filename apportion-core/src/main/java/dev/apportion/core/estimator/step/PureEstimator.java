package dev.apportion.core.estimator.step;

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
 * PURE: min-form credit assignment with a process reward model — soft-min step rewards, a
 * leave-one-out (RLOO) baseline on them, an optional verifiable reward, a KL penalty, the
 * undiscounted reverse cumulative return, step ends masked, and batch whitening.
 *
 * <p>Source: J. Cheng et al., "Stop Summation: Min-Form Credit Assignment Is All Process
 * Reward Model Needs for Reasoning", arXiv 2504.15275 (NeurIPS 2025); reference code
 * CJReinforce/PURE @ 41f9363 (OpenRLHF main branch):
 * {@code openrlhf/trainer/ppo_utils/experience_maker.py} {@code NaiveExperienceMaker}
 * ({@code make_experience_list}, {@code make_experience}, {@code process_experiences}) and
 * {@code replay_buffer.py::NaiveReplayBuffer.normalize}; parameter names as in
 * {@code openrlhf/cli/train_pure_ray.py}. Fidelity: reference (the {@code reference} preset
 * reproduces the golden vectors produced by that code).
 *
 * <h2>PURE on apportion's model</h2>
 * <ul>
 *   <li>A <b>step</b> is a policy span with at least one token; its last token is the step end
 *       (PURE's {@code "\n\n"} separator token, or EOS for the last step). A trajectory's
 *       response length {@code L_i} is its number of policy tokens; {@code ntok_k} is the
 *       number of tokens of step k without its end token.</li>
 *   <li>The PRM score of a step: span signals {@code prm_logit0}/{@code prm_logit1} (2-class
 *       logits) or {@code prm} (probability), see {@link PureRewardEstimator}.</li>
 *   <li>The verifiable reward is the <b>outcome</b>: 1 solved, 0 not; an absent outcome means
 *       "no reference answer", which PURE treats as solved ({@code v = 0}).</li>
 *   <li>KL: token signals {@code logprob} (actor) and {@code ref_logprob} (reference model),
 *       needed unless {@code init_kl_coef} is 0.</li>
 *   <li>Groups are the prompts: PURE's blocks of {@code n_samples_per_prompt} consecutive
 *       samples. Context tokens (prompt, padding, tool output) carry no reward and get 0.</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * For trajectory i with steps {@code k = 0..N_i−1} in a group of n trajectories:
 * <ol>
 *   <li>Step rewards ({@code reward_mode} PRM or PRMVR): {@code p_{i,k} = w_k·r_k}, the soft-min
 *       transform of {@link PureRewardEstimator} (T = {@code temperature}, all steps real);
 *       {@code O_i = Σ_k p_{i,k}}. Mode VR: all {@code p = 0}.</li>
 *   <li>Leave-one-out baseline on the step rewards, written at step ends:
 *       {@code step}: {@code b_i = (Σ_j O_j/N_j − O_i/N_i)/(n−1)}, step end k gets
 *       {@code p_{i,k} − b_i}; {@code token}: {@code ρ_i = (Σ_j O_j − O_i)/(Σ_j L_j − L_i)}, step
 *       end k gets {@code p_{i,k} − ρ_i·ntok_k}.</li>
 *   <li>Verifiable reward (modes VR, PRMVR): {@code v_i = outcome_i − 1}; the last policy token
 *       gets {@code + c·(v_i − (Σ_j v_j − v_i)/(n−1))}, c = {@code verifiable_reward_coef}.</li>
 *   <li>Token reward {@code shaped − β·kl} with {@code x = logprob − ref_logprob},
 *       {@code kl = x} or ({@code use_kl_estimator_k3}) {@code e^{−x} − 1 + x},
 *       β = {@code init_kl_coef}.</li>
 *   <li>Return: reverse cumulative sum over the trajectory's policy tokens (γ = 1); then, unless
 *       {@code nomask_separator_adv}, 0 at every step end (separators and the last token).
 *       {@link Credit#returns()} holds these.</li>
 *   <li>Advantages = returns, whitened over all policy tokens of the batch unless
 *       {@code disable_advantage_normalization} (see {@code whitening_count} below):
 *       {@code (x − mean)·rstd}, {@code rstd = 1/sqrt(max(var, 1e−8))}, biased variance.</li>
 * </ol>
 *
 * <h2>Reference quirks and the corrected default</h2>
 * <ul>
 *   <li>{@code whitening_count}: with step ends masked, the reference finds them as "tokens whose
 *       return is exactly 0" and excludes every such token from the <em>count</em> of the mean
 *       and variance but keeps them in the variance <em>sum</em>; a genuinely zero token (e.g.
 *       a whole row when β = 0 and the verifiable term vanishes) is excluded too
 *       ({@code nonzero}, the {@code reference} preset). Default {@code unmasked}: mean and
 *       variance over the tokens that were not masked (the step ends are left out of both),
 *       masked tokens stay 0. With {@code nomask_separator_adv} both use every policy token.</li>
 *   <li>{@code step_tokens}: the {@code token} baseline divides by the full response length
 *       (separators and EOS counted) but subtracts {@code ρ·ntok} with ntok excluding the step
 *       end ({@code exclude_end}, reference and default, since the README presents it this way);
 *       {@code include_end} counts the end token in ntok, so the baseline sums to
 *       {@code ρ_i·L_i}.</li>
 *   <li>Kept as the method: the soft-min is normalised over the whole trajectory (tokens after
 *       the worst step get ≈ 0 process return); the EOS token's return is masked like a
 *       separator's while its reward (and the verifiable reward) still flows to earlier
 *       tokens.</li>
 * </ul>
 *
 * <h2>Parameters and defaults</h2>
 * Defaults follow {@code examples/scripts/train_pure.sh}: {@code reward_mode} PRMVR,
 * {@code reward_baseline} token (the argparse default is step), {@code verifiable_reward_coef}
 * 1.0, {@code init_kl_coef} 0.001, k1 KL, separators masked, whitening on,
 * {@code temperature} 0.1 (hard-coded at the call site); {@code whitening_count} unmasked.
 * {@code credit_form} {@code min} (PURE); {@code sum} replaces step 1's soft-min by the
 * summation form {@code p_{i,k} = r_k} (no weights: the return is the cumulative sum of the step
 * scores, the form the paper contrasts with min-form; PURE's verl branch
 * {@code credit_assignment: gamma-decay} with γ = 1), everything else unchanged — note that
 * {@code disable_weighted_reward} gives the step <em>mean</em>, not a sum.
 * Preset {@code reference}: {@code whitening_count} nonzero, {@code step_tokens} exclude_end.
 *
 * <h2>Edge cases</h2>
 * A group with one trajectory is refused ({@link RolloutException}): both baselines divide by
 * n − 1 (the reference produces NaN). A {@code token} baseline whose other trajectories have no
 * policy token uses ρ = 0. A trajectory without steps has {@code O = 0} and gets 0 credit
 * ({@code O/N} is taken as 0). The reference cannot process a response whose last token is a
 * separator (shape error); here the last step simply ends there. Whitening with no token to
 * count leaves the returns at 0. The batch-wide whitening makes the estimator not group-local.
 *
 * <h2>Cost</h2>
 * Three chains of dependent double additions per token, in the reference's order: the reverse
 * return scan and the whitening's mean and variance sums. Each step's term (its reward minus the
 * baseline) is looked up in a per-trajectory table of step ends. The return scan walks each
 * trajectory's spans backwards: a context span is one fill of zeros, a step adds its end token's
 * reward and then runs a loop over its other tokens that adds only the KL penalty, without a mask
 * or step-end test per token (the token loop's additions, in its order). When the counted tokens
 * follow from the spans (every policy token, or all but each step's last: the default) the
 * whitening's sums and output run span by span, without a test per token; the reference's
 * {@code nonzero} count, which depends on the returns' values, keeps the token loop. On one
 * thread the mean's sum runs inside the scan loop, one token of the trajectories already scanned
 * per scanned token, over every token (context tokens and masked step ends hold +0, which leaves a
 * sum started at +0 unchanged), so its latency overlaps the scan's; the variance's sum remains a
 * sequential chain of its own.
 *
 * <p>Stateless and thread-safe; per-trajectory work runs in parallel with the same results as
 * the sequential run (reductions combine per-chunk sums, equal up to rounding order).
 */
public final class PureEstimator implements BufferedEstimator {
    /**
     * Values of the {@code reward_mode} parameter, written on the wire as these exact (upper-case)
     * names, as in the reference's scripts: process rewards, the verifiable reward, or both.
     */
    enum RewardMode implements WireName {
        PRM,
        VR,
        PRMVR;

        @Override
        public String wire() {
            return name();
        }
    }

    /** Values of the {@code step_tokens} parameter (lower-case names on the wire). */
    enum StepTokenCount {
        EXCLUDE_END,
        INCLUDE_END
    }

    /** Values of the {@code whitening_count} parameter (lower-case names on the wire). */
    enum WhiteningCount {
        UNMASKED,
        NONZERO
    }

    /** Values of the {@code reward_baseline} parameter (lower-case names on the wire). */
    enum RewardBaseline {
        TOKEN,
        STEP
    }

    /** Registry id. */
    public static final String ID = "pure";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("PURE (min-form process-reward credit, RLOO baselines, verifiable reward)")
            .source(
                    "Cheng et al., arXiv 2504.15275 (NeurIPS 2025); CJReinforce/PURE@41f9363 "
                            + "openrlhf/trainer/ppo_utils/experience_maker.py NaiveExperienceMaker + replay_buffer.py normalize")
            .granularity(Granularity.STEP)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(
                    SignalRequirement.span(
                            PureSteps.PRM,
                            "a process reward model: P(step correct) per step, or its 2-class logits as span signals prm_logit0/prm_logit1"),
                    SignalRequirement.trajectory(
                            "outcome", "a verifier: 1 solved, 0 not (absent = no reference answer)"),
                    SignalRequirement.token(Rollouts.LOGPROB, "the actor (unless init_kl_coef is 0)"),
                    SignalRequirement.token(Rollouts.REF_LOGPROB, "the reference model (unless init_kl_coef is 0)"))
            .parameters(
                    ParamSpec.choice(
                            "reward_mode",
                            RewardMode.PRMVR,
                            "PRM: process rewards only; VR: verifiable reward only; PRMVR: both (train_pure.sh)"),
                    ParamSpec.choice(
                            "reward_baseline",
                            RewardBaseline.TOKEN,
                            "leave-one-out baseline on the step rewards: per token (train_pure.sh) or per step (argparse default)"),
                    ParamSpec.real(
                            "verifiable_reward_coef", 1.0, null, null, "weight c of the verifiable-reward RLOO term"),
                    ParamSpec.bool(
                            "disable_weighted_reward", false, "uniform step weights 1/N instead of the soft-min"),
                    ParamSpec.real(
                            "temperature",
                            0.1,
                            Double.MIN_VALUE,
                            null,
                            "soft-min temperature (0.1, hard-coded in PURE)"),
                    ParamSpec.real(
                            "init_kl_coef",
                            0.001,
                            0.0,
                            null,
                            "KL penalty coefficient beta (the fixed KL controller value)"),
                    ParamSpec.bool(
                            "use_kl_estimator_k3",
                            false,
                            "k3 KL estimate exp(-x)-1+x instead of x = logprob - ref_logprob"),
                    ParamSpec.bool(
                            "nomask_separator_adv",
                            false,
                            "keep the returns at step ends (separators and EOS) instead of 0"),
                    ParamSpec.bool(
                            "disable_advantage_normalization",
                            false,
                            "skip the batch whitening (advantages = returns)"),
                    ParamSpec.choice(
                            "whitening_count",
                            WhiteningCount.UNMASKED,
                            "unmasked: whitening statistics over the unmasked tokens; nonzero: the reference's count of non-zero tokens"),
                    ParamSpec.choice(
                            "step_tokens",
                            StepTokenCount.EXCLUDE_END,
                            "tokens per step in the token baseline: without (reference) or with the step's end token"),
                    ParamSpec.choice(
                            "step_score",
                            PureSteps.Source.AUTO,
                            "step score source: logits (span signals prm_logit0/prm_logit1), probability (span signal prm), auto"),
                    ParamSpec.choice("credit_form", PureSteps.CreditForm.MIN, PureSteps.FORM_HELP))
            .preset("reference", Map.of("whitening_count", "nonzero", "step_tokens", "exclude_end"))
            .summary("reward = softmin step rewards − RLOO baseline (+ c·RLOO(v) at EOS) − β·kl; "
                    + "A = whiten(reverse cumsum), 0 at step ends")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Resolved parameter values. */
    private record Settings(
            boolean prm,
            boolean vr,
            boolean stepBaseline,
            double vrCoef,
            boolean weighted,
            double temperature,
            double beta,
            boolean k3,
            boolean maskEnds,
            boolean whiten,
            boolean nonzeroCount,
            boolean includeEnd,
            boolean sumForm) {}

    /**
     * Writes the advantages and returns into {@code buffers} when given (reused across calls; every
     * token is written: returns 0 on context tokens, advantages 0 off the whitened tokens).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        RewardMode mode = params.getChoice("reward_mode", RewardMode.class);
        Settings cfg = new Settings(
                mode != RewardMode.VR,
                mode != RewardMode.PRM,
                params.getChoice("reward_baseline", RewardBaseline.class) == RewardBaseline.STEP,
                params.getDouble("verifiable_reward_coef"),
                !params.getBoolean("disable_weighted_reward"),
                params.getDouble("temperature"),
                params.getDouble("init_kl_coef"),
                params.getBoolean("use_kl_estimator_k3"),
                !params.getBoolean("nomask_separator_adv"),
                !params.getBoolean("disable_advantage_normalization"),
                params.getChoice("whitening_count", WhiteningCount.class) == WhiteningCount.NONZERO,
                params.getChoice("step_tokens", StepTokenCount.class) == StepTokenCount.INCLUDE_END,
                params.getChoice("credit_form", PureSteps.CreditForm.class) == PureSteps.CreditForm.SUM);
        int n = batch.trajectoryCount();
        int tokens = batch.tokenCount();
        if (n == 0)
            return Credit.builder(new float[tokens]).returns(new float[tokens]).build();
        float[] returns = buffers == null ? new float[tokens] : buffers.returns(tokens);
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);

        float[] logprob = null;
        float[] ref = null;
        if (cfg.beta != 0) {
            logprob = batch.requireTokenSignal(Rollouts.LOGPROB, ID, "the actor's log-probabilities");
            ref = batch.requireTokenSignal(Rollouts.REF_LOGPROB, ID, "the reference model's log-probabilities");
        }
        int[] groupStart = batch.groupMemberStart();
        int[] members = batch.groupMembers();
        for (int g = 0; g < batch.groupCount(); g++) {
            if (batch.groupSize(g) < 2) {
                int i = members[groupStart[g]];
                throw new RolloutException(
                        batch.describe(i) + ": group '" + batch.groupKey(g) + "' has 1 trajectory; PURE's "
                                + "leave-one-out baselines divide by n - 1 and need at least 2 samples per prompt (n_samples_per_prompt >= 2)",
                        i,
                        "group");
            }
        }

        // 1. step rewards (soft-min of the PRM scores), per trajectory
        double[] stepReward = new double[batch.spanCount()];
        double[] outcomeReward = new double[n];
        int[] stepCount = new int[n];
        int[] length = new int[n];
        PureSteps.Scores scores = null;
        if (cfg.prm) {
            boolean anyStep = false;
            for (int s = 0; s < batch.spanCount() && !anyStep; s++) anyStep = PureSteps.isStep(batch, s);
            if (anyStep)
                scores = PureSteps.Scores.of(batch, params.getChoice("step_score", PureSteps.Source.class), ID);
        }
        PureSteps.Scores sc = scores;
        int[] spanOff = batch.trajectorySpanOffsets();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            double[] r = new double[8];
            double[] p = new double[8];
            int[] span = new int[8];
            for (int i = from; i < to; i++) {
                int width = spanOff[i + 1] - spanOff[i];
                if (r.length < width) {
                    r = new double[width];
                    p = new double[width];
                    span = new int[width];
                }
                int k = 0;
                int len = 0;
                for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                    if (!batch.isPolicySpan(s)) continue;
                    len += batch.spanTokenEnd(s) - batch.spanTokenStart(s);
                    if (!PureSteps.isStep(batch, s)) continue;
                    if (sc != null) r[k] = sc.score(batch, i, s);
                    span[k++] = s;
                }
                stepCount[i] = k;
                length[i] = len;
                if (sc != null) {
                    outcomeReward[i] = cfg.sumForm
                            ? PureSteps.sumForm(r, k, p)
                            : PureSteps.softMin(r, k, cfg.temperature, cfg.weighted, p);
                    for (int j = 0; j < k; j++) stepReward[span[j]] = p[j];
                }
            }
        });

        // 2. leave-one-out baselines per group
        double[] baseline = new double[n]; // step: b_i; token: rho_i
        double[] vrTerm = new double[n];
        float[] outcome = batch.outcome();
        for (int g = 0; g < batch.groupCount(); g++) {
            int from = groupStart[g];
            int to = groupStart[g + 1];
            int size = to - from;
            double sumO = 0;
            double sumPerStep = 0;
            double sumL = 0;
            double sumV = 0;
            for (int m = from; m < to; m++) {
                int i = members[m];
                sumO += outcomeReward[i];
                sumPerStep += perStep(outcomeReward[i], stepCount[i]);
                sumL += length[i];
                sumV += verifiable(outcome, i);
            }
            for (int m = from; m < to; m++) {
                int i = members[m];
                if (cfg.stepBaseline) {
                    baseline[i] = (sumPerStep - perStep(outcomeReward[i], stepCount[i])) / (size - 1);
                } else {
                    double denom = sumL - length[i];
                    baseline[i] = denom == 0 ? 0 : (sumO - outcomeReward[i]) / denom;
                }
                if (cfg.vr) {
                    double v = verifiable(outcome, i);
                    vrTerm[i] = cfg.vrCoef * (v - (sumV - v) / (size - 1));
                }
            }
        }

        // 3. token rewards, reverse cumulative returns, masked step ends. Each step's term
        // (its reward minus the baseline) sits on the step's last token; the table lists them per
        // trajectory in token order, so that a backward scan meets them in reverse order.
        int[] endOff = new int[n + 1];
        double[] endVal = new double[batch.spanCount()];
        int ends = 0;
        for (int i = 0; i < n; i++) {
            for (int s = spanOff[i]; s < spanOff[i + 1]; s++) {
                if (!batch.isPolicySpan(s)) continue;
                int st = batch.spanTokenStart(s);
                int end = batch.spanTokenEnd(s) - 1;
                if (end < st) continue;
                int ntok = cfg.includeEnd ? end - st + 1 : end - st;
                endVal[ends++] = stepReward[s] - (cfg.stepBaseline ? baseline[i] : baseline[i] * ntok);
            }
            endOff[i + 1] = ends;
        }
        ReturnScan scan =
                new ReturnScan(batch, logprob, ref, cfg.beta, cfg.k3, cfg.maskEnds, endOff, endVal, vrTerm, returns);
        // on one thread, the whitening mean's sum (one chain in token order) advances inside the scan
        // over the trajectories scanned before, so that its latency overlaps the scan's
        boolean fuse = cfg.whiten && !(cfg.maskEnds && cfg.nonzeroCount) && execution.threads() == 1;
        if (fuse) {
            for (int i = 0; i < n; i++) {
                scan.limit = batch.tokenStart(i);
                scan.trajectory(i, spanOff[i], spanOff[i + 1], batch.lastPolicyToken(i));
            }
            scan.sumUpTo(tokens);
        } else {
            execution.forTrajectories(batch, (chunk, from, to) -> {
                for (int i = from; i < to; i++)
                    scan.trajectory(i, spanOff[i], spanOff[i + 1], batch.lastPolicyToken(i));
            });
        }
        if (!cfg.whiten) {
            byte[] mask = batch.mask();
            for (int t = 0; t < tokens; t++) adv[t] = mask[t] == 1 ? returns[t] : 0f;
            return Credit.builder(adv).returns(returns).build();
        }
        return whiten(batch, cfg, returns, adv, execution, fuse, scan.sum);
    }

    private static double perStep(double outcomeReward, int steps) {
        return steps == 0 ? 0 : outcomeReward / steps;
    }

    private static double verifiable(float[] outcome, int i) {
        return outcome == null || Float.isNaN(outcome[i]) ? 0 : outcome[i] - 1.0;
    }

    private static double kl(float logprob, float refLogprob, boolean k3) {
        double x = (double) logprob - refLogprob;
        return k3 ? Math.exp(-x) - 1 + x : x;
    }

    /**
     * Batch whitening of the returns into {@code adv}. Which tokens count: every policy token
     * when step ends are not masked; else (reference) the tokens whose return is not exactly 0
     * for the count and mean, all policy tokens for the variance sum; or (default) the tokens
     * that are not step ends for everything.
     */
    private static Credit whiten(
            Rollouts batch,
            Settings cfg,
            float[] returns,
            float[] adv,
            Execution execution,
            boolean summed,
            double fusedSum) {
        if (!cfg.maskEnds || !cfg.nonzeroCount)
            return whitenSpans(batch, cfg.maskEnds, returns, adv, execution, summed, fusedSum);
        // the reference's count: policy tokens whose return is not exactly 0 for the count, the
        // mean and the output, every policy token for the variance sum
        byte[] mask = batch.mask();
        int tokens = batch.tokenCount();
        long count = 0;
        double sum = 0;
        for (int t = 0; t < tokens; t++) {
            if (mask[t] == 0 || returns[t] == 0f) continue;
            sum += returns[t];
            count++;
        }
        if (count == 0) {
            for (int t = 0; t < tokens; t++) adv[t] = 0f;
            return Credit.builder(adv)
                    .returns(returns)
                    .diagnostic("whiten_count", 0)
                    .build();
        }
        double mean = sum / count;
        double sq = 0;
        for (int t = 0; t < tokens; t++) {
            if (mask[t] == 0) continue;
            double d = returns[t] - mean;
            sq += d * d;
        }
        double var = sq / count;
        double rstd = 1.0 / Math.sqrt(Math.max(var, 1e-8));
        execution.forRange(tokens, Execution.MIN_TOKENS_PER_CHUNK, (chunk, from, to) -> {
            for (int t = from; t < to; t++) {
                if (mask[t] == 0 || returns[t] == 0f) adv[t] = 0f;
                else adv[t] = (float) ((returns[t] - mean) * rstd);
            }
        });
        return Credit.builder(adv)
                .returns(returns)
                .diagnostic("whiten_count", count)
                .diagnostic("whiten_mean", mean)
                .diagnostic("whiten_rstd", rstd)
                .build();
    }

    /**
     * {@link #whiten} when the tokens that count are known from the spans alone: every policy
     * token, or ({@code maskEnds}) every policy token but each step's last one. The sums run span
     * by span in token order — the token loop's additions, in its order, without a test per token.
     */
    private static Credit whitenSpans(
            Rollouts batch,
            boolean maskEnds,
            float[] returns,
            float[] adv,
            Execution execution,
            boolean summed,
            double fusedSum) {
        int spans = batch.spanCount();
        int cut = maskEnds ? 1 : 0;
        long count = 0;
        double sum = summed ? fusedSum : 0;
        for (int s = 0; s < spans; s++) {
            if (!batch.isPolicySpan(s)) continue;
            int st = batch.spanTokenStart(s);
            int e = batch.spanTokenEnd(s) - cut;
            if (!summed) for (int t = st; t < e; t++) sum += returns[t];
            count += Math.max(0, e - st);
        }
        if (count == 0) {
            Arrays.fill(adv, 0f);
            return Credit.builder(adv)
                    .returns(returns)
                    .diagnostic("whiten_count", 0)
                    .build();
        }
        double mean = sum / count;
        double sq = 0;
        for (int s = 0; s < spans; s++) {
            if (!batch.isPolicySpan(s)) continue;
            int e = batch.spanTokenEnd(s) - cut;
            for (int t = batch.spanTokenStart(s); t < e; t++) {
                double d = returns[t] - mean;
                sq += d * d;
            }
        }
        double var = sq / count;
        double rstd = 1.0 / Math.sqrt(Math.max(var, 1e-8));
        int[] spanOff = batch.trajectorySpanOffsets();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            for (int s = spanOff[from]; s < spanOff[to]; s++) {
                int st = batch.spanTokenStart(s);
                int end = batch.spanTokenEnd(s);
                if (!batch.isPolicySpan(s) || end == st) {
                    Arrays.fill(adv, st, end, 0f);
                    continue;
                }
                int e = end - cut;
                for (int t = st; t < e; t++) adv[t] = (float) ((returns[t] - mean) * rstd);
                if (maskEnds) adv[end - 1] = 0f;
            }
        });
        return Credit.builder(adv)
                .returns(returns)
                .diagnostic("whiten_count", count)
                .diagnostic("whiten_mean", mean)
                .diagnostic("whiten_rstd", rstd)
                .build();
    }

    /**
     * The backward return scan of step 3, one trajectory at a time, span by span: a context span's
     * returns are 0 (one fill); a step (a non-empty policy span) adds its last token's reward — the
     * step's term from the table, the verifiable term when it is the trajectory's last policy token,
     * minus the KL penalty — and then, for its other tokens, only the KL penalty ({@code 0 − β·kl},
     * the token loop's {@code reward = 0; reward −= β·kl}), in a loop without a test per token. The
     * running sum is 0-masked on each step's last token with {@code maskEnds}. Every addition is the
     * token loop's, in its order (the mask is 1 exactly on policy spans, and every step's end token is
     * its span's last).
     */
    private static final class ReturnScan {
        private final Rollouts batch;
        private final float[] lp;
        private final float[] rf;
        private final double beta;
        private final boolean k3;
        private final boolean maskEnds;
        private final int[] endOff;
        private final double[] endVal;
        private final double[] vrTerm;
        private final float[] returns;
        /**
         * The whitening mean's sum over every token before {@code u} ({@code sum += returns[t]} in
         * token order; context tokens and masked step ends hold 0 and leave it unchanged, since a
         * sum that starts at +0 is never −0), advanced inside the scan up to {@code limit}.
         */
        double sum;

        int u;
        int limit;

        ReturnScan(
                Rollouts batch,
                float[] lp,
                float[] rf,
                double beta,
                boolean k3,
                boolean maskEnds,
                int[] endOff,
                double[] endVal,
                double[] vrTerm,
                float[] returns) {
            this.batch = batch;
            this.lp = lp;
            this.rf = rf;
            this.beta = beta;
            this.k3 = k3;
            this.maskEnds = maskEnds;
            this.endOff = endOff;
            this.endVal = endVal;
            this.vrTerm = vrTerm;
            this.returns = returns;
        }

        /** Completes the mean's sum up to token {@code to} (exclusive; every token before it is scanned). */
        void sumUpTo(int to) {
            double x = sum;
            for (int t = u; t < to; t++) x += returns[t];
            sum = x;
            u = Math.max(u, to);
        }

        /** Trajectory {@code i}, whose spans are {@code [spanFrom, spanTo)}, backwards. */
        void trajectory(int i, int spanFrom, int spanTo, int last) {
            int[] off = batch.spanTokenOffsets();
            int p = endOff[i + 1] - 1;
            double vr = vrTerm[i];
            double g = 0;
            for (int s = spanTo - 1; s >= spanFrom; s--) {
                int st = off[s];
                int end = off[s + 1];
                if (end == st) continue;
                if (!batch.isPolicySpan(s)) {
                    Arrays.fill(returns, st, end, 0f);
                    continue;
                }
                int t = end - 1;
                double reward = endVal[p--];
                if (t == last) reward += vr;
                if (beta != 0) reward -= beta * kl(lp[t], rf[t], k3);
                g += reward;
                returns[t] = maskEnds ? 0f : (float) g;
                g = inner(st, t, g);
            }
        }

        /**
         * Tokens {@code [st, end)} of a step, none of them its last, backwards from {@code g}; the new
         * sum. Without the k3 exponential, the mean's sum advances one token per scanned token while
         * tokens below {@code limit} remain (two independent chains in one loop).
         */
        private double inner(int st, int end, double g) {
            int m = k3 ? 0 : Math.min(end - st, limit - u);
            if (m > 0) {
                int v = u;
                double x = sum;
                int stop = end - m;
                if (beta == 0) {
                    for (int t = end - 1; t >= stop; t--) {
                        g += 0.0;
                        returns[t] = (float) g;
                        x += returns[v++];
                    }
                } else {
                    for (int t = end - 1; t >= stop; t--) {
                        g += 0.0 - beta * ((double) lp[t] - rf[t]);
                        returns[t] = (float) g;
                        x += returns[v++];
                    }
                }
                u = v;
                sum = x;
                end = stop;
            }
            if (beta == 0) {
                for (int t = end - 1; t >= st; t--) {
                    g += 0.0;
                    returns[t] = (float) g;
                }
            } else if (k3) {
                for (int t = end - 1; t >= st; t--) {
                    g += 0.0 - beta * kl(lp[t], rf[t], true);
                    returns[t] = (float) g;
                }
            } else {
                for (int t = end - 1; t >= st; t--) {
                    g += 0.0 - beta * ((double) lp[t] - rf[t]);
                    returns[t] = (float) g;
                }
            }
            return g;
        }
    }
}
