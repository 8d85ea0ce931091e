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
import java.util.Map;

/**
 * R³L, reflect-then-retry RL ({@code r3l}): group-relative trajectory scores with
 * <em>positive amplification</em> (non-negative scores of failed attempts are multiplied by
 * α, successes are pinned to 1), broadcast over the trajectory's assistant tokens, and
 * <em>pivotal credit</em>: the assistant segments before the pivot a reflection chose are
 * removed from the loss, so only the diverging suffix is trained.
 *
 * <h2>Trajectories on apportion's model</h2>
 * The reference (Trinity-RFT) trains on "experiences" with an id {@code batch/task/run/step}.
 * Here a <b>group</b> is a task group (Trinity's {@code tid = batch/task}), a <b>trajectory</b>
 * is a run ({@code rid = batch/task/run}), its <b>reward</b> {@code R} is the trajectory
 * outcome (when absent, the sum of its outcome components; a trajectory with neither is
 * refused), and its <b>assistant segments</b> are the maximal runs of policy tokens (runs of
 * {@code action_mask == 1}). A trajectory is cut into <b>steps</b> (the step-wise variants'
 * experiences): with the span signal {@code step} a step is a maximal run of consecutive spans
 * carrying the same value (every span must carry one); without it each policy span opens a
 * step (context spans belong to the step before them, leading context to the first step).
 * For the step-wise variants the run's reward is the reward of its <em>last</em> step, so an
 * adapter from Trinity experiences puts the last experience's reward in the outcome (the
 * reference takes the run's last experience in batch order, not the one with the largest
 * step number; keep the steps in batch order to match it).
 *
 * <h2>Pivot (pivotal credit assignment)</h2>
 * With pivot {@code k ≥ 1} the first {@code min(k, segments)} assistant segments get loss
 * weight 0 and advantage 0; {@code k ≤ 0} changes nothing (the reference's
 * {@code _adjust_action_mask_for_retry}). The pivot is the trajectory signal
 * {@code retry_step} (applied over the whole trajectory, the R³L workflow's one experience per
 * attempt), or the span signal {@code retry_step} (applied within each step, read on the
 * step's first span that carries it), not both; NaN means no pivot. A pivot must be a whole number (the
 * reference raises a {@code TypeError} for {@code 2.0}, and its workflow then silently loses
 * the retry experience; here {@code 2.0} means 2). {@link Credit#lossWeights()} is the mask
 * after pivoting: 1 on kept policy tokens, 0 on pivoted ones, on context tokens and on dropped
 * groups.
 *
 * <h2>Formula</h2>
 * Per group with rewards {@code R_1..R_n} ({@code n} trajectories). Baselines: "mean", and
 * "logavgexp" {@code τ·(ln Σ exp(R/τ) − ln n)}. Reweighting: if {@code R ≥ success_threshold}
 * then {@code s = 1}; else if {@code s ≥ 0} then {@code s = α·s}; negative scores unchanged.
 * <ul>
 *   <li>{@code opmd_reweight_adv} (the paper's main algorithm) and
 *       {@code step_wise_opmd_reweight_adv}: {@code b = 0} for {@code n = 1}, else the
 *       {@code opmd_baseline}; {@code s = R − b}, reweighted.</li>
 *   <li>{@code grpo_reweight_adv} (ablation): mean and <em>unbiased</em> std of the group
 *       ({@code n = 1}: 0 and 1); {@code s = (R − mean)/(std + ε)}, or with
 *       {@code std_cal_level = batch} {@code (R − mean)/(σ_b + ε)} where {@code σ_b} is the
 *       unbiased std of every trajectory's reward in the batch (1 when there is at most one);
 *       reweighted.</li>
 *   <li>{@code step_wise_grpo}: the same z-score without reweighting. When
 *       {@code std_threshold ≥ 0}, a group with one trajectory, or with std ≤ the threshold, is
 *       dropped (advantage 0 and loss weight 0 everywhere); {@code σ_b} still includes dropped
 *       groups, as in the reference. {@code std_threshold} applies to {@code grpo_reweight_adv}
 *       too (the reference's class has no such option; off by default).</li>
 *   <li>{@code step_wise_opmd}: {@code s = R − mean} ({@code b = 0} for {@code n = 1}).</li>
 *   <li>{@code pivot_mask}: only the pivot; advantages are 0 (combine the loss weights with
 *       another estimator's advantages).</li>
 * </ul>
 * Advantage of a token = {@code s ×} its loss weight, divided by the trajectory's number of
 * steps when {@code enable_step_norm} is true (the step-wise reference's option; allowed for
 * every variant, off by default). Returns equal the advantages. Span advantages hold each
 * policy span's value when its weight is 1.
 *
 * <h2>Source</h2>
 * Shi, Chen, Li, Pan, Sun, Xu, Zhou, Li, "Reflect-then-Retry RL: Pivotal Credit Assignment and
 * Positive Amplification", arXiv 2601.03715; code shiweijiezero/R3L @ d503f6c (Trinity-RFT):
 * {@code trinity/algorithm/advantage_fn/opmd_advantage.py} ({@code opmd_reweight_adv}),
 * {@code grpo_advantage.py} ({@code grpo_reweight_adv}), {@code multi_step_grpo_advantage.py}
 * (step-wise variants), {@code trinity/common/experience.py} (grouping) and
 * {@code trinity/common/workflows/envs/R3L/alfworld/R3L_workflow.py}
 * ({@code _adjust_action_mask_for_retry}). Fidelity {@code reference}: the golden vectors of
 * {@code vpr-r3l-a3.jsonl} pass.
 *
 * <h2>Parameters and presets</h2>
 * Defaults = the reference's (preset {@code reference}, the alfworld {@code opmd_R3L} config):
 * {@code variant} {@code opmd_reweight_adv}, {@code opmd_baseline} mean, {@code tau} 1.0,
 * {@code alpha} 3.0, {@code success_threshold} 1.0, {@code epsilon} 1e-6,
 * {@code std_cal_level} group, {@code std_threshold} −1 (negative = off, the reference's
 * {@code None}), {@code enable_step_norm} false. Preset {@code step} = the step-level R³L
 * ({@code step_wise_opmd_reweight_adv}); preset {@code grpo_reweight} = the GRPO ablation.
 *
 * <h2>Reference quirks</h2>
 * <ul>
 *   <li>{@code opmd_reweight_adv} and {@code grpo_reweight_adv} hard-code α = 3 and the
 *       success threshold 1.0; here both are parameters with those defaults.</li>
 *   <li>The two R³L workflows pivot differently: the trajectory-level workflow (reproduced
 *       here) trains the suffix after the pivot; the step-level workflow's inline code instead
 *       zeroes the base rollout's steps at and after the pivot (the prefix is trained). Express
 *       the latter by setting loss weights upstream.</li>
 *   <li>torch float32 std of five to eight equal non-dyadic rewards is about 1e-8..1e-7, not 0,
 *       so the reference gives such a group small non-zero GRPO scores (+0.0866 for seven
 *       rewards of 0.3). apportion computes in double and gives 0; not reproduced.</li>
 * </ul>
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens still counts in its group's statistics (an experience
 * with an empty action mask). A trajectory without a reward is refused with a
 * {@link RolloutException} (except for {@code pivot_mask}); so is a non-integer pivot, or both
 * pivot signals at once.
 *
 * <p>Group-local for the default {@code std_cal_level = group}; {@code batch} makes every
 * score depend on the whole batch. Stateless and thread-safe; runs sequentially (linear in the
 * batch).
 *
 * <p>Cost: per-trajectory scores, then one walk over each trajectory's spans writing the loss
 * weights and the advantages (one fill per span and array, each token written once). The pivot's
 * leading runs of policy tokens are found on the span table (a run is a sequence of non-empty
 * policy spans with no non-empty context span between), not by scanning the mask; only
 * {@code pivot_mask} still copies the mask token by token.
 */
public final class R3lEstimator implements BufferedEstimator {
    /** Registry id. */
    public static final String ID = "r3l";
    /** Trajectory or span signal: the pivot (number of leading assistant segments to drop). */
    public static final String RETRY_STEP = "retry_step";
    /** Span signal: which step (experience) a span belongs to. */
    public static final String STEP = "step";

    static final String OPMD_REWEIGHT = "opmd_reweight_adv";
    static final String GRPO_REWEIGHT = "grpo_reweight_adv";
    static final String STEP_OPMD_REWEIGHT = "step_wise_opmd_reweight_adv";

    /** Values of {@code variant} (the reference advantage functions, written as the constants above). */
    enum Variant {
        OPMD_REWEIGHT_ADV,
        GRPO_REWEIGHT_ADV,
        STEP_WISE_OPMD_REWEIGHT_ADV,
        STEP_WISE_GRPO,
        STEP_WISE_OPMD,
        PIVOT_MASK
    }

    /** Values of {@code opmd_baseline}. */
    enum OpmdBaseline {
        MEAN,
        LOGAVGEXP
    }

    /** Values of {@code std_cal_level}. */
    enum StdLevel {
        GROUP,
        BATCH
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("R³L (reflect-then-retry: positive amplification and pivotal credit)")
            .source("Shi et al., arXiv 2601.03715; shiweijiezero/R3L@d503f6c trinity/algorithm/advantage_fn/"
                    + "{opmd_advantage,grpo_advantage,multi_step_grpo_advantage}.py, "
                    + "trinity/common/workflows/envs/R3L/alfworld/R3L_workflow.py _adjust_action_mask_for_retry")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory("reward", "the task verifier (trajectory outcome; 1.0 = success)"),
                    SignalRequirement.trajectory(
                            RETRY_STEP, "the reflection's retry_from_step (optional; or per step as a span signal)"))
            .parameters(
                    ParamSpec.choice(
                            "variant",
                            Variant.OPMD_REWEIGHT_ADV,
                            "which reference advantage function (see the class documentation)"),
                    ParamSpec.choice(
                            "opmd_baseline",
                            OpmdBaseline.MEAN,
                            "OPMD reweight variants: group mean, or tau*(logsumexp(R/tau) - ln n)"),
                    ParamSpec.real("tau", 1.0, 1e-12, null, "temperature of the logavgexp baseline"),
                    ParamSpec.real(
                            "alpha",
                            3.0,
                            0.0,
                            null,
                            "positive amplification of non-negative scores (hard-coded 3 in opmd_reweight_adv/grpo_reweight_adv)"),
                    ParamSpec.real(
                            "success_threshold",
                            1.0,
                            null,
                            null,
                            "a reward >= this gets score 1 in the reweight variants"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std in the GRPO variants"),
                    ParamSpec.choice(
                            "std_cal_level",
                            StdLevel.GROUP,
                            "GRPO variants: divide by the group std, or by the std of every reward in the batch"),
                    ParamSpec.real(
                            "std_threshold",
                            -1.0,
                            null,
                            null,
                            "GRPO variants: >= 0 drops groups with one trajectory or std <= threshold; negative = off (None)"),
                    ParamSpec.bool(
                            "enable_step_norm", false, "divide each trajectory's advantage by its number of steps"))
            .preset("reference", Map.of("variant", OPMD_REWEIGHT, "opmd_baseline", "mean", "tau", 1.0, "alpha", 3.0))
            .preset(
                    "step",
                    Map.of(
                            "variant",
                            STEP_OPMD_REWEIGHT,
                            "opmd_baseline",
                            "mean",
                            "tau",
                            1.0,
                            "alpha",
                            3.0,
                            "enable_step_norm",
                            false))
            .preset("grpo_reweight", Map.of("variant", GRPO_REWEIGHT, "epsilon", 1e-6, "std_cal_level", "group"))
            .summary("s = R - baseline(group), successes -> 1, non-negative failures * alpha; advantage = s on the "
                    + "assistant segments after the pivot (loss weight 0 before it)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Variant variant = params.getChoice("variant", Variant.class);
        boolean stepNorm = params.getBoolean("enable_step_norm");
        boolean meanBaseline = params.getChoice("opmd_baseline", OpmdBaseline.class) == OpmdBaseline.MEAN;
        double tau = params.getDouble("tau");
        double threshold = params.getDouble("std_threshold");
        double epsilon = params.getDouble("epsilon");
        double alpha = params.getDouble("alpha");
        double success = params.getDouble("success_threshold");
        int n = batch.trajectoryCount();
        // the loss weights go into the buffers' second array (the returns are the advantages)
        // (written trajectory by trajectory together with the advantages, below)
        Pivots pivots = Pivots.of(batch);
        float[] weights = Outputs.second(buffers, batch.tokenCount());
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] spanAdv = new float[batch.spanCount()];
        if (variant == Variant.PIVOT_MASK) {
            for (int i = 0; i < n; i++) {
                pivots.weights(batch, i, weights);
                java.util.Arrays.fill(adv, batch.tokenStart(i), batch.tokenEnd(i), 0f);
            }
            return Credit.builder(adv)
                    .returns(adv)
                    .spanAdvantages(spanAdv)
                    .lossWeights(weights)
                    .diagnostic("trajectories", n)
                    .build();
        }
        double[] reward = rewards(batch);
        double[] score = new double[n];
        boolean[] dropped = new boolean[n];
        double batchStd = Double.NaN;
        boolean grpo = variant == Variant.GRPO_REWEIGHT_ADV || variant == Variant.STEP_WISE_GRPO;
        if (grpo && params.getChoice("std_cal_level", StdLevel.class) == StdLevel.BATCH) batchStd = batchStd(reward);

        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        long droppedGroups = 0;
        long droppedTrajectories = 0;
        for (int g = 0; g < batch.groupCount(); g++) {
            int from = start[g];
            int to = start[g + 1];
            int m = to - from;
            if (m == 0) continue;
            double mean = 0.0;
            for (int q = from; q < to; q++) mean += reward[members[q]];
            mean /= m;
            switch (variant) {
                case OPMD_REWEIGHT_ADV:
                case STEP_WISE_OPMD_REWEIGHT_ADV: {
                    double b = m == 1 ? 0.0 : meanBaseline ? mean : logAvgExp(reward, members, from, to, tau);
                    for (int q = from; q < to; q++) {
                        int i = members[q];
                        score[i] = reweight(reward[i], reward[i] - b, alpha, success);
                    }
                    break;
                }
                case STEP_WISE_OPMD: {
                    double b = m == 1 ? 0.0 : mean;
                    for (int q = from; q < to; q++) score[members[q]] = reward[members[q]] - b;
                    break;
                }
                default: { // the two GRPO variants
                    double mu = m == 1 ? 0.0 : mean;
                    double sd = m == 1 ? 1.0 : unbiasedStd(reward, members, from, to, mean);
                    if (threshold >= 0 && (m == 1 || sd <= threshold)) {
                        droppedGroups++;
                        droppedTrajectories += m;
                        for (int q = from; q < to; q++) dropped[members[q]] = true;
                        continue;
                    }
                    double denom = (Double.isNaN(batchStd) ? sd : batchStd) + epsilon;
                    for (int q = from; q < to; q++) {
                        int i = members[q];
                        double z = (reward[i] - mu) / denom;
                        score[i] = variant == Variant.GRPO_REWEIGHT_ADV ? reweight(reward[i], z, alpha, success) : z;
                    }
                }
            }
        }

        int[] steps = stepNorm ? R3lSteps.count(batch) : null;
        int[] spanTok = batch.spanTokenOffsets();
        for (int i = 0; i < n; i++) {
            if (dropped[i]) {
                java.util.Arrays.fill(weights, batch.tokenStart(i), batch.tokenEnd(i), 0f);
                java.util.Arrays.fill(adv, batch.tokenStart(i), batch.tokenEnd(i), 0f);
                continue;
            }
            double s = stepNorm ? score[i] / steps[i] : score[i];
            float v = (float) s;
            // weights are 0 or 1, so v * weight is v or (as the reference's mask gives) 0
            pivots.weightsAndAdvantages(batch, i, weights, adv, v);
            for (int sp = batch.spanStart(i); sp < batch.spanEnd(i); sp++) {
                if (batch.isPolicySpan(sp) && spanTok[sp + 1] > spanTok[sp] && weights[spanTok[sp + 1] - 1] != 0f)
                    spanAdv[sp] = v;
            }
        }
        Credit.Builder out = Credit.builder(adv)
                .returns(adv)
                .spanAdvantages(spanAdv)
                .lossWeights(weights)
                .diagnostic("trajectories", n)
                .diagnostic("groups", batch.groupCount())
                .diagnostic("dropped_groups", droppedGroups)
                .diagnostic("dropped_trajectories", droppedTrajectories);
        if (!Double.isNaN(batchStd)) out.diagnostic("batch_std", batchStd);
        return out.build();
    }

    /** R³L's reweighting: successes get 1, non-negative scores are amplified, negative ones kept. */
    private static double reweight(double reward, double s, double alpha, double successThreshold) {
        if (reward >= successThreshold) return 1.0;
        return s >= 0 ? s * alpha : s;
    }

    private static double logAvgExp(double[] r, int[] members, int from, int to, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (int q = from; q < to; q++) max = Math.max(max, r[members[q]] / tau);
        double sum = 0.0;
        for (int q = from; q < to; q++) sum += Math.exp(r[members[q]] / tau - max);
        return tau * (max + Math.log(sum) - Math.log(to - from));
    }

    private static double unbiasedStd(double[] r, int[] members, int from, int to, double mean) {
        double ss = 0.0;
        for (int q = from; q < to; q++) {
            double d = r[members[q]] - mean;
            ss += d * d;
        }
        return Math.sqrt(ss / (to - from - 1));
    }

    /** Unbiased std of every reward of the batch, 1 when there is at most one. */
    private static double batchStd(double[] r) {
        int n = r.length;
        if (n <= 1) return 1.0;
        double mean = 0.0;
        for (int i = 0; i < n; i++) mean += r[i];
        mean /= n;
        double ss = 0.0;
        for (int i = 0; i < n; i++) ss += (r[i] - mean) * (r[i] - mean);
        return Math.sqrt(ss / (n - 1));
    }

    /** Outcome per trajectory, or the sum of its outcome components; refused when neither. */
    private static double[] rewards(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] out = new double[n];
        float[] o = batch.outcome();
        Map<String, float[]> comps = batch.outcomeComponents();
        for (int i = 0; i < n; i++) {
            if (o != null && !Float.isNaN(o[i])) {
                out[i] = o[i];
                continue;
            }
            boolean any = false;
            for (float[] c : comps.values()) {
                if (!Float.isNaN(c[i])) {
                    out[i] += c[i];
                    any = true;
                }
            }
            if (!any) {
                throw new RolloutException(
                        batch.describe(i) + ": estimator '" + ID
                                + "' needs the trajectory's reward (outcome), which is absent",
                        i,
                        "outcome");
            }
        }
        return out;
    }

    /**
     * The pivots of a batch, validated up front (in the order the loss weights are built): per
     * trajectory, the token ranges whose first {@code k} runs of policy tokens are pivoted away.
     */
    private static final class Pivots {
        /** Per trajectory, its ranges {@code [start[i], start[i+1])} in the arrays below. */
        final int[] start;

        final int[] from;
        final int[] to;
        final int[] k;

        private Pivots(int[] start, int[] from, int[] to, int[] k) {
            this.start = start;
            this.from = from;
            this.to = to;
            this.k = k;
        }

        static Pivots of(Rollouts batch) {
            int n = batch.trajectoryCount();
            float[] perTrajectory = batch.trajectorySignal(RETRY_STEP);
            float[] perSpan = batch.spanSignal(RETRY_STEP);
            if (perTrajectory != null && perSpan != null) {
                throw new RolloutException(
                        "estimator '" + ID + "': the batch gives the pivot both per trajectory (signals." + RETRY_STEP
                                + ") and per span (spans[].signals." + RETRY_STEP + "); give one",
                        -1,
                        "signals." + RETRY_STEP);
            }
            int[] start = new int[n + 1];
            if (perTrajectory != null) {
                int[] from = new int[n];
                int[] to = new int[n];
                int[] k = new int[n];
                for (int i = 0; i < n; i++) {
                    from[i] = batch.tokenStart(i);
                    to[i] = batch.tokenEnd(i);
                    k[i] = pivot(batch, i, perTrajectory[i], "signals." + RETRY_STEP);
                    start[i + 1] = i + 1;
                }
                return new Pivots(start, from, to, k);
            }
            if (perSpan == null) return new Pivots(start, new int[0], new int[0], new int[0]);
            int[] spanTok = batch.spanTokenOffsets();
            int cap = batch.spanCount();
            int[] from = new int[cap];
            int[] to = new int[cap];
            int[] k = new int[cap];
            int[] count = new int[1];
            R3lSteps.forEachStep(batch, (i, firstSpan, endSpan) -> {
                int s = firstSpan;
                while (s < endSpan - 1 && Float.isNaN(perSpan[s])) s++;
                int q = count[0]++;
                k[q] = pivot(batch, i, perSpan[s], "spans[" + (s - batch.spanStart(i)) + "].signals." + RETRY_STEP);
                from[q] = spanTok[firstSpan];
                to[q] = spanTok[endSpan];
                start[i + 1] = q + 1;
            });
            for (int i = 0; i < n; i++) start[i + 1] = Math.max(start[i + 1], start[i]);
            return new Pivots(start, from, to, k);
        }

        /** Writes trajectory {@code i}'s loss weights: 1 on policy tokens, the pivoted segments and context 0. */
        void weights(Rollouts batch, int i, float[] w) {
            byte[] mask = batch.mask();
            copyMask(mask, w, batch.tokenStart(i), batch.tokenEnd(i));
            for (int q = start[i]; q < start[i + 1]; q++) {
                if (k[q] > 0) zeroLeadingSegments(mask, w, from[q], to[q], k[q]);
            }
        }

        /**
         * Writes trajectory {@code i}'s loss weights (as {@link #weights}) and its advantages:
         * {@code v} where the weight is 1, 0 elsewhere, span by span, each token once. Policy tokens
         * are exactly the tokens of policy spans and a pivot range starts and ends on span
         * boundaries, so a maximal run of policy tokens in a range is a maximal run of non-empty
         * policy spans (empty spans in between do not end it, a non-empty context span does): the
         * spans of the range's first {@code k} runs get 0 in both arrays, the same tokens
         * {@link #zeroLeadingSegments} zeroes in the mask, without reading the mask.
         */
        void weightsAndAdvantages(Rollouts batch, int i, float[] w, float[] adv, float v) {
            int[] spanTok = batch.spanTokenOffsets();
            int q = start[i];
            int qEnd = start[i + 1];
            int tracked = -1; // the pivot range whose runs are being counted
            int runs = 0;
            boolean inRun = false;
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                int a = spanTok[s];
                int b = spanTok[s + 1];
                if (b == a) continue;
                boolean policy = batch.isPolicySpan(s);
                boolean zero = false;
                while (q < qEnd && to[q] <= a) q++;
                if (q < qEnd && from[q] <= a) {
                    if (tracked != q) {
                        tracked = q;
                        runs = 0;
                        inRun = false;
                    }
                    if (policy) {
                        if (!inRun) {
                            runs++;
                            inRun = true;
                        }
                        zero = runs <= k[q];
                    } else {
                        inRun = false;
                    }
                }
                boolean trained = policy && !zero;
                java.util.Arrays.fill(w, a, b, trained ? 1f : 0f);
                java.util.Arrays.fill(adv, a, b, trained ? v : 0f);
            }
        }

        private static void copyMask(byte[] mask, float[] w, int from, int to) {
            for (int t = from; t < to; t++) w[t] = mask[t];
        }
    }

    private static int pivot(Rollouts batch, int i, float v, String field) {
        if (Float.isNaN(v)) return 0;
        if (v != Math.rint(v)) {
            throw new RolloutException(
                    batch.describe(i) + ": " + field + " (the pivot) must be a whole number, got " + v, i, field);
        }
        return v > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) v;
    }

    /** Zeroes the first {@code k} maximal runs of policy tokens in {@code [from, to)}. */
    private static void zeroLeadingSegments(byte[] mask, float[] w, int from, int to, int k) {
        int t = from;
        int done = 0;
        while (t < to && done < k) {
            while (t < to && mask[t] == 0) t++;
            if (t == to) break;
            while (t < to && mask[t] == 1) w[t++] = 0f;
            done++;
        }
    }
}
