package dev.apportion.core.estimator.turn;

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
import dev.apportion.core.kernel.RepeatedSum;
import dev.apportion.core.kernel.RunSums;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ITPO (Implicit Turn-wise Policy Optimization): an implicit process reward model's token rewards
 * are turned into turn rewards (the turn's sum, or a per-dialogue softmax of turn means), weighted
 * with the dialogue's outcome metrics, given a leave-one-out (RLOO) baseline at the turn ends,
 * accumulated backwards and whitened over the batch.
 *
 * <p>Source: "Implicit Turn-wise Policy Optimization for Proactive User-LLM Interaction",
 * arXiv 2603.23550; reference code Graph-COM/ITPO @ b1245e8855e6f72f87feee4c6d00cfed01ede755
 * (file unchanged since the initial commit da2fe17), {@code recipe/itpo/itpo_core_algos.py}:
 * {@code calculate_segment_proportions}, {@code calculate_segment_proportions_itpo},
 * {@code calculate_segment_proportions_itponorm}, {@code calculate_token_proportions},
 * {@code compute_rloo_advantage_return}; call order from {@code recipe/itpo/prime_ray_trainer.py};
 * presets from {@code recipe/itpo/scripts/math_rloo_itpo.sh}, {@code math_rloo_itponorm.sh}.
 * Whitening as verl's {@code masked_whiten}. Fidelity: reference (golden family
 * {@code prl-poad-itpo.jsonl}, semantics {@code prl-poad-itpo.md} §3).
 *
 * <h2>On apportion's model</h2>
 * <ul>
 *   <li>A trajectory is one dialogue; a <b>turn</b> is a maximal run of policy tokens (context
 *       tokens between runs are the user's turns).</li>
 *   <li>Token signal {@code rm_score} (parameter {@code rm_score_signal}): the implicit PRM's token
 *       reward P (PRIME-style β·log-ratio of the reward model).</li>
 *   <li>Reward metrics (the reference's {@code extra_info}): the trajectory signals named by
 *       {@code reward_metrics}, in that order; a metric whose name contains {@code token_amount} is a
 *       "token key", and the value of the signal {@code token_amount} is then the dialogue's token
 *       amount {@code ta}.</li>
 *   <li>RLOO blocks: the batch's groups (the reference takes consecutive blocks of
 *       {@code rollout.n} rows, which is how its groups are laid out); n = the group's size.</li>
 *   <li>Outcome: the dialogue's score, read only when {@code reward_gt_coef ≠ 0}.</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * Turn k of dialogue i: length {@code c_ik}, sum {@code s_ik} of P; length share
 * {@code ℓ_ik = c_ik/Σ_k c_ik}. Turn value {@code u_ik}: {@code rloo_itpo}: {@code s_ik};
 * {@code rloo_itponorm}: {@code softmax_k((s_ik/c_ik)·ḡ/τ)} with ḡ the mean turn length over
 * all turns of the batch. {@code rloo(X, Q)}: X is zeroed outside Q; per dialogue
 * {@code m_i} = mean of X over Q; {@code X' = X·n/(n−1) − Σ_{block} m_i/(n−1)} on Q, 0 elsewhere.
 * E = the turn ends. Rewards F (summed):
 * <ul>
 *   <li>{@code reward_dpo_coef ≠ 0}: {@code rloo_itponorm}: X at the k-th turn end = Σ over
 *       metrics q ({@code ta·ℓ_ik} for a token key, else {@code metric_q·u_ik}); add
 *       {@code coef·rloo(X, E)}. {@code rloo_itpo}: {@code X_tok = Σ_{token keys} ta·ℓ_ik},
 *       {@code X = Σ_{other keys} u_ik}; add {@code coef·rloo(X_tok, E) + coef·rloo(X, E)}.
 *       {@code rloo} (PRIME's baseline): add {@code coef·rloo(P, M) + coef·rloo(X_tok, E)}.</li>
 *   <li>{@code reward_gt_coef ≠ 0}: Y = the outcome at the last turn end; add
 *       {@code gt_coef·rloo(Y, last turn ends)}.</li>
 * </ul>
 * Returns: {@code ret_j = Σ_{k ≥ j} F_k·M_k} along the dialogue (through the user's turns, so an
 * earlier turn sees every later turn's reward). Advantages: verl's {@code masked_whiten} over the
 * batch's policy tokens: {@code μ = Σ ret·M/(ΣM + 1e-8)},
 * {@code v = Σ (ret−μ)²·M/(ΣM + 1e-8) · ΣM/(ΣM − 1)}, {@code A = (ret − μ)/sqrt(v + 1e-8)}.
 *
 * <h2>Quirks of the reference (reproduced)</h2>
 * <ul>
 *   <li>{@code rloo_itpo} does not use the outcome metrics' values: the turn sum enters once per
 *       non-token metric (two outcome metrics add it twice).</li>
 *   <li>{@code rloo_itponorm} scales the softmax temperature by a batch-wide mean turn length, so
 *       dialogues are coupled across groups (not group-local); so is the whitening.</li>
 * </ul>
 *
 * <h2>Outputs</h2>
 * {@link Credit#advantages()} (0 on context tokens), {@link Credit#returns()} (on policy tokens;
 * 0 on context tokens, where the reference's cumulative sum also runs but is never used),
 * {@link Credit#spanAdvantages()} is not set. {@link #turnStatistics(Rollouts, Params)} gives
 * {@code ℓ} and {@code u} per turn. Diagnostics: {@code turns}, {@code whiten_mean},
 * {@code whiten_var}.
 *
 * <h2>Parameters</h2>
 * {@code adv_estimator} {@code rloo_itpo}, {@code temp} τ 0.4 (the scripts; code default 0.7),
 * {@code reward_dpo_coef} 5, {@code reward_gt_coef} 0 (the ITPO scripts; PRIME's baseline script
 * uses 5: preset {@code prime_rloo}), {@code rm_score_signal} {@code rm_score},
 * {@code reward_metrics} {@code accuracy,token_amount}.
 *
 * <h2>Edge cases</h2>
 * Refused (the reference yields NaN or inf): a group of one dialogue, a dialogue without policy
 * tokens, a batch with fewer than 2 policy tokens, a missing metric signal, a token key without a
 * {@code token_amount} signal, {@code reward_gt_coef ≠ 0} without outcomes.
 *
 * <h2>Cost</h2>
 * Turn rewards live on turn ends only (PRIME's token-level {@code rloo} mode excepted), so every
 * policy token of a turn has the same return, and the reverse cumulative sum and the masked
 * whitening are computed per turn: the token loop's sums over runs of equal terms are added in
 * closed form, bit for bit ({@link RepeatedSum}), in the reference's order. The turns (runs of
 * mask-1 tokens) are found from the spans, without reading the mask; the tokens are read once
 * (the PRM rewards, for the turn sums) and written once (advantages and returns).
 * PRIME's {@code rloo} puts a reward on every policy token and keeps three passes over each
 * dialogue (sum, squared deviations, output) in a dialogue-sized scratch.
 *
 * <p>Stateless and thread-safe.
 */
public final class Itpo implements Estimator {
    /** Registry id. */
    public static final String ID = "itpo";

    /** Default token signal of the implicit PRM's token rewards. */
    public static final String RM_SCORE = "rm_score";

    static final String ITPO = "rloo_itpo";
    static final String ITPONORM = "rloo_itponorm";
    static final String RLOO = "rloo";
    static final String TOKEN_AMOUNT = "token_amount";

    /** Values of {@code adv_estimator} (written {@link #ITPO}, {@link #ITPONORM}, {@link #RLOO}). */
    enum AdvEstimator {
        RLOO_ITPO,
        RLOO_ITPONORM,
        RLOO
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title(
                    "ITPO: implicit turn-wise PRM rewards with an RLOO baseline (rloo_itpo / rloo_itponorm / PRIME rloo)")
            .source("arXiv 2603.23550; Graph-COM/ITPO@b1245e8 recipe/itpo/itpo_core_algos.py "
                    + "(calculate_segment_proportions*, compute_rloo_advantage_return)")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(false)
            .requires(
                    SignalRequirement.token(
                            RM_SCORE, "an implicit PRM: beta * log-ratio token rewards (rm_score_signal)"),
                    SignalRequirement.trajectory("accuracy", "the reward function's outcome metric (reward_metrics)"),
                    SignalRequirement.trajectory(
                            TOKEN_AMOUNT, "the reward function's token-amount metric (reward_metrics)"))
            .parameters(
                    ParamSpec.choice(
                            "adv_estimator",
                            AdvEstimator.RLOO_ITPO,
                            "rloo_itpo: turn sums; rloo_itponorm: per-dialogue softmax of turn means; rloo: PRIME's token-level baseline"),
                    ParamSpec.real(
                            "temp",
                            0.4,
                            1e-12,
                            null,
                            "softmax temperature tau of rloo_itponorm (scripts 0.4, code default 0.7)"),
                    ParamSpec.real("reward_dpo_coef", 5.0, null, null, "weight of the implicit-PRM terms"),
                    ParamSpec.real(
                            "reward_gt_coef",
                            0.0,
                            null,
                            null,
                            "weight of the outcome term (RLOO over the outcome at the last turn end)"),
                    ParamSpec.string(
                            "rm_score_signal", RM_SCORE, "token signal holding the implicit PRM's token rewards"),
                    ParamSpec.string(
                            "reward_metrics",
                            "accuracy," + TOKEN_AMOUNT,
                            "comma-separated trajectory signals that are the reward metrics, in order; names containing token_amount are token keys"))
            .preset(
                    "math_rloo_itpo",
                    Map.of("adv_estimator", ITPO, "temp", 0.4, "reward_dpo_coef", 5.0, "reward_gt_coef", 0.0))
            .preset(
                    "math_rloo_itponorm",
                    Map.of("adv_estimator", ITPONORM, "temp", 0.4, "reward_dpo_coef", 5.0, "reward_gt_coef", 0.0))
            .preset("prime_rloo", Map.of("adv_estimator", RLOO, "reward_dpo_coef", 5.0, "reward_gt_coef", 5.0))
            .summary(
                    "turn rewards from implicit-PRM token rewards (sum or softmax of means) x metrics, RLOO at turn ends, "
                            + "reverse cumsum, batch whitening")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * Per-turn statistics in flat arrays: the turns of trajectory i are
     * {@code [offsets[i], offsets[i+1])}.
     *
     * @param offsets turn offsets per trajectory (length trajectories + 1)
     * @param turnEnd global token index of each turn's last token
     * @param length tokens per turn
     * @param sum sum of P over the turn
     * @param lengthShare {@code ℓ}: the turn's share of the dialogue's policy tokens
     * @param value {@code u} (null unless {@code rloo_itpo}/{@code rloo_itponorm} with {@code reward_dpo_coef ≠ 0})
     */
    public record TurnStats(
            int[] offsets, int[] turnEnd, int[] length, double[] sum, double[] lengthShare, double[] value) {}

    /** Turn statistics of every dialogue (checks the signals and groups as {@link #assign} does). */
    public static TurnStats turnStatistics(Rollouts batch, Params params) {
        return stats(
                batch,
                params.getChoice("adv_estimator", AdvEstimator.class),
                params.getDouble("reward_dpo_coef"),
                params.getDouble("temp"),
                batch.requireTokenSignal(params.getString("rm_score_signal"), ID, "the implicit PRM's token rewards"));
    }

    private static TurnStats stats(Rollouts batch, AdvEstimator mode, double dpoCoef, double temp, float[] p) {
        int n = batch.trajectoryCount();
        int[] offsets = new int[n + 1];
        // every turn holds at least one non-empty policy span
        int[] ends = new int[batch.spanCount()];
        int[] lengths = new int[batch.spanCount()];
        int endCount = 0;
        // a turn is a maximal run of mask-1 tokens; the mask is 1 exactly on the tokens of policy
        // spans, so the runs are found from the spans: consecutive non-empty policy spans (empty
        // spans in between, of any role, break nothing) form one run, a non-empty context span ends it
        int[] spanTok = batch.spanTokenOffsets();
        for (int i = 0; i < n; i++) {
            int turns = 0;
            int runStart = -1;
            int runEnd = -1;
            for (int s = batch.spanStart(i); s <= batch.spanEnd(i); s++) {
                boolean last = s == batch.spanEnd(i);
                boolean empty = !last && spanTok[s + 1] == spanTok[s];
                if (empty) continue;
                if (!last && batch.isPolicySpan(s)) {
                    if (runStart < 0) runStart = spanTok[s];
                    runEnd = spanTok[s + 1];
                    continue;
                }
                if (runStart < 0) continue;
                lengths[endCount] = runEnd - runStart;
                ends[endCount++] = runEnd - 1;
                turns++;
                runStart = -1;
            }
            if (turns == 0) {
                throw new RolloutException(
                        batch.describe(i) + ": has no policy token; estimator '" + ID
                                + "' needs at least one turn per dialogue (the reference divides by the turn count)",
                        i,
                        "spans");
            }
            offsets[i + 1] = offsets[i] + turns;
        }
        int total = offsets[n];
        int[] turnEnd = new int[total];
        int[] length = new int[total];
        double[] sum = new double[total];
        double[] share = new double[total];
        long allLength = 0;
        // each turn's sum of P backwards from its last token (as the reference's loop adds them),
        // four turns at a time
        System.arraycopy(ends, 0, turnEnd, 0, total);
        System.arraycopy(lengths, 0, length, 0, total);
        RunSums.backwardTouched(p, turnEnd, length, total, sum);
        for (int i = 0; i < n; i++) {
            int policy = 0;
            for (int k = offsets[i]; k < offsets[i + 1]; k++) policy += length[k];
            for (int k = offsets[i]; k < offsets[i + 1]; k++) share[k] = (double) length[k] / policy;
            allLength += policy;
        }
        double[] value = null;
        if (dpoCoef != 0 && (mode == AdvEstimator.RLOO_ITPO || mode == AdvEstimator.RLOO_ITPONORM)) {
            value = new double[total];
            if (mode == AdvEstimator.RLOO_ITPO) {
                System.arraycopy(sum, 0, value, 0, total);
            } else {
                double meanLength = (double) allLength / total;
                for (int i = 0; i < n; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int k = offsets[i]; k < offsets[i + 1]; k++) {
                        value[k] = sum[k] / length[k] * meanLength / temp;
                        max = Math.max(max, value[k]);
                    }
                    double z = 0;
                    for (int k = offsets[i]; k < offsets[i + 1]; k++) {
                        value[k] = Math.exp(value[k] - max);
                        z += value[k];
                    }
                    for (int k = offsets[i]; k < offsets[i + 1]; k++) value[k] /= z;
                }
            }
        }
        return new TurnStats(offsets, turnEnd, length, sum, share, value);
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        AdvEstimator mode = params.getChoice("adv_estimator", AdvEstimator.class);
        double dpo = params.getDouble("reward_dpo_coef");
        double gt = params.getDouble("reward_gt_coef");
        float[] p =
                batch.requireTokenSignal(params.getString("rm_score_signal"), ID, "the implicit PRM's token rewards");
        int n = batch.trajectoryCount();
        for (int g = 0; g < batch.groupCount(); g++) {
            if (batch.groupSize(g) < 2) {
                int i = batch.groupMembers()[batch.groupMemberStart()[g]];
                throw new RolloutException(
                        batch.describe(i) + ": is alone in its group; estimator '" + ID
                                + "' needs groups of at least 2 dialogues (the RLOO baseline divides by n - 1)",
                        i,
                        "group");
            }
        }
        TurnStats st = stats(batch, mode, dpo, params.getDouble("temp"), p);
        byte[] mask = batch.mask();
        int turns = st.offsets()[n];
        // the per-token rewards f: only PRIME's token baseline puts them on every policy token; the
        // other modes put them on turn ends only, kept per turn (the same additions, in the same order)
        boolean dense = dpo != 0 && mode == AdvEstimator.RLOO;
        double[] f = new double[dense ? batch.tokenCount() : turns];
        if (dpo != 0) {
            Metrics metrics = Metrics.of(batch, params.getString("reward_metrics"));
            double[] xTok = new double[turns];
            double[] x = new double[turns];
            for (int i = 0; i < n; i++) {
                for (int k = st.offsets()[i]; k < st.offsets()[i + 1]; k++) {
                    double tok = 0;
                    double other = 0;
                    for (int q = 0; q < metrics.names.size(); q++) {
                        if (metrics.tokenKey[q]) {
                            tok += metrics.tokenAmount[i] * st.lengthShare()[k];
                        } else if (mode == AdvEstimator.RLOO_ITPONORM) {
                            other += metrics.values.get(q)[i] * st.value()[k];
                        } else if (mode == AdvEstimator.RLOO_ITPO) {
                            other += st.value()[k];
                        }
                    }
                    if (mode == AdvEstimator.RLOO_ITPONORM) {
                        x[k] = tok + other;
                    } else {
                        xTok[k] = tok;
                        x[k] = other;
                    }
                }
            }
            if (mode == AdvEstimator.RLOO_ITPONORM) {
                rloo(batch, st, x, null, dpo, f, dense);
            } else {
                rloo(batch, st, xTok, null, dpo, f, dense);
                if (mode == AdvEstimator.RLOO_ITPO) rloo(batch, st, x, null, dpo, f, dense);
                else rlooTokens(batch, p, dpo, f);
            }
        }
        if (gt != 0) {
            float[] outcome = batch.outcome();
            double[] y = new double[turns];
            boolean[] last = new boolean[turns];
            for (int i = 0; i < n; i++) {
                if (outcome == null || Float.isNaN(outcome[i])) {
                    throw new RolloutException(
                            batch.describe(i) + ": estimator '" + ID
                                    + "' needs the outcome (the dialogue's score) when reward_gt_coef is not 0, but it is absent",
                            i,
                            "outcome");
                }
                int k = st.offsets()[i + 1] - 1;
                y[k] = outcome[i];
                last[k] = true;
            }
            rloo(batch, st, y, last, gt, f, dense);
        }
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] returns = Outputs.second(buffers, batch.tokenCount());
        double[] stats = dense ? denseWhiten(batch, mask, f, adv, returns) : turnWhiten(batch, st, f, adv, returns);
        double mean = stats[0];
        double var = stats[1];
        return Credit.builder(adv)
                .returns(returns)
                .diagnostic("turns", turns)
                .diagnostic("whiten_mean", mean)
                .diagnostic("whiten_var", var)
                .build();
    }

    /**
     * Reverse cumulative sum and masked whitening when {@code f} lives on every token (PRIME's
     * token-level {@code rloo}): the sums are recomputed per dialogue (into a dialogue-sized
     * scratch) for each of the three passes instead of being held for the whole batch.
     *
     * @return {mean, variance}
     */
    private static double[] denseWhiten(Rollouts batch, byte[] mask, double[] f, float[] adv, float[] returns) {
        int n = batch.trajectoryCount();
        int longest = 0;
        for (int i = 0; i < n; i++) longest = Math.max(longest, batch.tokenEnd(i) - batch.tokenStart(i));
        double[] ret = new double[longest];
        double cnt = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int from = batch.tokenStart(i);
            cumsum(from, batch.tokenEnd(i), mask, f, ret);
            for (int t = batch.tokenEnd(i) - 1; t >= from; t--) { // in the reference's (backward) order
                if (mask[t] == 1) {
                    cnt++;
                    sum += ret[t - from];
                }
            }
        }
        checkCount((long) cnt);
        double mean = sum / (cnt + 1e-8);
        double ss = 0;
        for (int i = 0; i < n; i++) {
            int from = batch.tokenStart(i);
            cumsum(from, batch.tokenEnd(i), mask, f, ret);
            for (int t = from; t < batch.tokenEnd(i); t++)
                if (mask[t] == 1) ss += (ret[t - from] - mean) * (ret[t - from] - mean);
        }
        double var = ss / (cnt + 1e-8) * (cnt / (cnt - 1));
        double scale = 1.0 / Math.sqrt(var + 1e-8);
        for (int i = 0; i < n; i++) {
            int from = batch.tokenStart(i);
            int to = batch.tokenEnd(i);
            cumsum(from, to, mask, f, ret);
            write(from, to, mask, ret, mean, scale, adv, returns);
        }
        return new double[] {mean, var};
    }

    /**
     * Reverse cumulative sum and masked whitening when {@code f} lives on turn ends only (one value
     * per turn), without walking the tokens: along a dialogue the token loop's running sum changes
     * only at a turn end (adding {@code +0.0} to a sum that starts at {@code +0.0} never changes
     * it), so every policy token of turn k holds the same return {@code R_k} (the sum of the turn
     * rewards from k on, added in the loop's order), and the loop's sums over the tokens — the
     * batch sum backwards per dialogue, the squared deviations forwards — are runs of
     * {@code length_k} equal terms, which {@link RepeatedSum#add} adds bit for bit as the loop does.
     * The tokens are written once (context tokens get 0).
     *
     * @return {mean, variance}
     */
    private static double[] turnWhiten(Rollouts batch, TurnStats st, double[] f, float[] adv, float[] returns) {
        int n = batch.trajectoryCount();
        int[] off = st.offsets();
        int[] length = st.length();
        int[] turnEnd = st.turnEnd();
        double[] ret = new double[off[n]];
        long cnt = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int k = off[i + 1] - 1; k >= off[i]; k--) {
                acc += f[k];
                ret[k] = acc;
                sum = RepeatedSum.add(sum, acc, length[k]);
                cnt += length[k];
            }
        }
        checkCount(cnt);
        double c = cnt;
        double mean = sum / (c + 1e-8);
        double ss = 0;
        for (int k = 0; k < off[n]; k++) {
            double d = ret[k] - mean;
            ss = RepeatedSum.add(ss, d * d, length[k]);
        }
        double var = ss / (c + 1e-8) * (c / (c - 1));
        double scale = 1.0 / Math.sqrt(var + 1e-8);
        for (int i = 0; i < n; i++) {
            int t = batch.tokenStart(i);
            for (int k = off[i]; k < off[i + 1]; k++) {
                int start = turnEnd[k] - length[k] + 1;
                java.util.Arrays.fill(adv, t, start, 0f);
                java.util.Arrays.fill(returns, t, start, 0f);
                t = turnEnd[k] + 1;
                java.util.Arrays.fill(adv, start, t, (float) ((ret[k] - mean) * scale));
                java.util.Arrays.fill(returns, start, t, (float) ret[k]);
            }
            java.util.Arrays.fill(adv, t, batch.tokenEnd(i), 0f);
            java.util.Arrays.fill(returns, t, batch.tokenEnd(i), 0f);
        }
        return new double[] {mean, var};
    }

    private static void checkCount(long cnt) {
        if (cnt < 2) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs at least 2 policy tokens in the batch to whiten (it has " + cnt + ")",
                    -1,
                    "spans");
        }
    }

    /**
     * The reverse cumulative sum of {@code f} (one value per token) over the policy tokens of one
     * dialogue {@code [from, to)}, written to {@code ret[t - from]}.
     */
    private static void cumsum(int from, int to, byte[] mask, double[] f, double[] ret) {
        double acc = 0;
        for (int t = to - 1; t >= from; t--) {
            if (mask[t] == 1) acc += f[t];
            ret[t - from] = acc;
        }
    }

    private static void write(
            int from, int to, byte[] mask, double[] ret, double mean, double scale, float[] adv, float[] returns) {
        for (int t = from; t < to; t++) {
            if (mask[t] == 0) {
                adv[t] = 0f;
                returns[t] = 0f;
            } else {
                adv[t] = (float) ((ret[t - from] - mean) * scale);
                returns[t] = (float) ret[t - from];
            }
        }
    }

    /**
     * {@code f += coef·rloo(X, Q)} where X lives at turn ends and Q is every turn end
     * ({@code only == null}) or the turns flagged in {@code only}.
     */
    private static void rloo(
            Rollouts batch, TurnStats st, double[] x, boolean[] only, double coef, double[] f, boolean dense) {
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        int[] off = st.offsets();
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            double base = 0;
            for (int m = start[g]; m < start[g + 1]; m++) {
                int i = members[m];
                double s = 0;
                int c = 0;
                for (int k = off[i]; k < off[i + 1]; k++) {
                    if (only != null && !only[k]) continue;
                    s += x[k];
                    c++;
                }
                base += s / c;
            }
            base /= size - 1;
            double scale = (double) size / (size - 1);
            for (int m = start[g]; m < start[g + 1]; m++) {
                int i = members[m];
                for (int k = off[i]; k < off[i + 1]; k++) {
                    if (only != null && !only[k]) continue;
                    f[dense ? st.turnEnd()[k] : k] += coef * (x[k] * scale - base);
                }
            }
        }
    }

    /** {@code f += coef·rloo(P, M)}: every policy token is a reward position (PRIME's baseline). */
    private static void rlooTokens(Rollouts batch, float[] p, double coef, double[] f) {
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        byte[] mask = batch.mask();
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            double base = 0;
            for (int m = start[g]; m < start[g + 1]; m++) {
                int i = members[m];
                double s = 0;
                int c = 0;
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                    if (mask[t] == 0) continue;
                    s += p[t];
                    c++;
                }
                base += s / c;
            }
            base /= size - 1;
            double scale = (double) size / (size - 1);
            for (int m = start[g]; m < start[g + 1]; m++) {
                int i = members[m];
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                    if (mask[t] == 1) f[t] += coef * (p[t] * scale - base);
                }
            }
        }
    }

    /** The reward metrics of the batch, in the configured order. */
    private static final class Metrics {
        final List<String> names = new ArrayList<>();
        final List<float[]> values = new ArrayList<>();
        boolean[] tokenKey;
        float[] tokenAmount;

        static Metrics of(Rollouts batch, String spec) {
            Metrics m = new Metrics();
            for (String raw : spec.split(",")) {
                String name = raw.trim();
                if (name.isEmpty()) continue;
                m.names.add(name);
                m.values.add(batch.requireTrajectorySignal(
                        name, ID, "the reward function's metric '" + name + "' (reward_metrics)"));
            }
            m.tokenKey = new boolean[m.names.size()];
            boolean any = false;
            for (int q = 0; q < m.names.size(); q++) {
                m.tokenKey[q] = m.names.get(q).contains(TOKEN_AMOUNT);
                any |= m.tokenKey[q];
            }
            if (any)
                m.tokenAmount = batch.requireTrajectorySignal(TOKEN_AMOUNT, ID, "the reward function's token amount");
            return m;
        }
    }
}
