package dev.apportion.core.estimator.step;

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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;

/**
 * PRL (Process Reward Learning): the process reward of a step is the outcome minus the
 * policy-to-reference log-ratio still to come after the step, divided by η; every token carries
 * the value of the end of its step.
 *
 * <p>Source: "Process Reward Learning", arXiv 2601.10201; reference code
 * MaxwellJryao/Process-Reward-Learning @ 1ee49faaa3bff849526c5987c44e7577b33de99f:
 * {@code verl/trainer/ppo/ray_trainer.py}, the block of {@code RayPPOTrainer.fit} guarded by
 * {@code adv_estimator == PRM and prm.eta > 0}, then {@code compute_advantage};
 * {@code verl/trainer/ppo/core_algos.py} {@code compute_prm_outcome_advantage} and
 * {@code left_fill_by_next_nonzero}; presets from {@code runs/run_grpo-3.sh} and
 * {@code runs/run_grpo.sh}. Fidelity: reference (golden family {@code prl-poad-itpo.jsonl},
 * semantics {@code prl-poad-itpo.md} §1).
 *
 * <h2>On apportion's model</h2>
 * A trajectory's <b>row</b> runs from its first policy token to its last token (the reference's
 * right-padded response row; a leading prompt is not part of it); positions j count from the row's
 * start, M is the policy mask. Scores S: the dense token rewards ({@link Rollouts#denseTokenRewards()}:
 * token {@code reward}, span rewards on their last token, the outcome on the last policy token).
 * Token signals {@code old_logprob} O and {@code ref_logprob} R. Groups: the batch's group keys
 * (the reference's {@code index}).
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Outcome term: with {@code adv = orm} and {@code n > 1} the row total {@code s_i} of S is
 *       GRPO-normalised in its group (mean, unbiased std; a one-row group: mean 0, std 1;
 *       {@code a_i = (s_i − mean)/(std + 1e-6)}, or {@code s_i − mean} without
 *       {@code norm_adv_by_std_in_grpo}) and Q has {@code a_i} on the last policy token; otherwise
 *       Q = S. Let {@code q_i = Σ_j Q_ij}.</li>
 *   <li>{@code D_ij = (O_ij − R_ij)·M_ij}; {@code C_ij = Σ_{k ≥ j} D_ik}.</li>
 *   <li>Token rewards {@code V_ij = q_i·M_ij − C_ij/η}.</li>
 *   <li>Step mask, only with {@code adv = orm}: {@code length} with {@code step_len > 0} keeps
 *       positions with {@code (j+1) mod step_len = 0} and {@code M = 1}; {@code n} / {@code nn}
 *       keep tokens whose text is {@code "\n"} / {@code "\n\n"} (the reference compares token ids
 *       with the first id of those strings); all three also keep position {@code (Σ_j M_ij) − 1}
 *       (the last response token of a right-padded row). {@code V = V·K}.</li>
 *   <li>Advantages = returns: {@code W = V·M}; each policy token takes W at the first position at or
 *       after it where {@code W ≠ 0}, or 0 when there is none.</li>
 * </ol>
 * With a step mask each token carries the value of its step's end: the normalised outcome minus
 * the log-ratio from the step end to the end of the response, over η.
 *
 * <h2>Quirks of the reference (reproduced)</h2>
 * <ul>
 *   <li>The fill looks for the next <b>non-zero</b> value: a step end worth exactly 0 borrows the
 *       value of the next non-zero step end.</li>
 *   <li>{@code n}/{@code nn} with {@code adv = orm} and {@code n ≤ 1} is refused (the reference uses
 *       a variable only its grouping branch defines).</li>
 *   <li>{@code n == 1} with {@code orm}: raw S, no grouping, but the step mask still applies.</li>
 *   <li>The step-end position {@code (Σ M) − 1} counts policy tokens: for a row whose policy tokens
 *       are not one run (multi-turn), it is not the last policy token, as in the reference.</li>
 *   <li>With {@code adv = prm} no step mask is applied: every token has its own value.</li>
 * </ul>
 *
 * <h2>Outputs</h2>
 * {@link Credit#advantages()} and {@link Credit#returns()} (the same array, 0 on context tokens);
 * {@link #tokenRewards(Rollouts, Params)} gives V (the reference's {@code token_level_rewards}).
 *
 * <h2>Parameters</h2>
 * {@code eta} η (run_grpo-3.sh 100), {@code adv} ({@code prm} in run_grpo-3.sh), {@code step_split}
 * ({@code length}), {@code step_len} (64), {@code n} (rollout.n, 5), {@code norm_adv_by_std_in_grpo}
 * (true). Presets: {@code run_grpo-3} (the defaults) and {@code run_grpo} (η 200, step_len 256,
 * {@code orm}, {@code length}; in that script the block does not run, the preset shows the
 * numbers).
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens gets 0 (it still counts in its group's statistics).
 * Computed in double from float32 inputs (the reference computes in float32; within the golden
 * tolerances).
 *
 * <p>Stateless and thread-safe.
 */
public final class Prl implements Estimator {
    /** Values of the {@code step_split} parameter (lower-case names on the wire). */
    enum StepSplit {
        LENGTH,
        N,
        NN;

        /** The value as written on the wire. */
        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Values of the {@code adv} parameter (lower-case names on the wire). */
    enum Adv {
        ORM,
        PRM
    }

    /** Registry id. */
    public static final String ID = "prl";

    static final String ORM = "orm";
    static final String PRM = "prm";
    static final String LENGTH = "length";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("PRL: process rewards = outcome minus log-ratio-to-go / eta at step ends")
            .source("arXiv 2601.10201; MaxwellJryao/Process-Reward-Learning@1ee49fa verl/trainer/ppo/ray_trainer.py "
                    + "(RayPPOTrainer.fit PRM block), core_algos.compute_prm_outcome_advantage")
            .granularity(Granularity.STEP)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the actor (rollout log-probabilities)"),
                    SignalRequirement.token(Rollouts.REF_LOGPROB, "the reference model"),
                    SignalRequirement.trajectory("reward", "the verifier (outcome or token rewards)"))
            .parameters(
                    ParamSpec.real("eta", 100.0, 1e-12, null, "eta: the log-ratio to go is divided by it"),
                    ParamSpec.choice(
                            "adv",
                            Adv.PRM,
                            "orm: group-normalised outcome and a step mask; prm: raw scores, every token its own value"),
                    ParamSpec.choice(
                            "step_split",
                            StepSplit.LENGTH,
                            "step ends (orm only): every step_len tokens, or tokens whose text is \\n (n) or \\n\\n (nn)"),
                    ParamSpec.integer(
                            "step_len", 64, null, null, "tokens per step of the length split (<= 0: no step mask)"),
                    ParamSpec.integer(
                            "n",
                            5,
                            1,
                            null,
                            "configured rollouts per prompt (rollout.n); orm groups outcomes only when > 1"),
                    ParamSpec.bool(
                            "norm_adv_by_std_in_grpo",
                            true,
                            "divide the group-centred outcome by the group std + 1e-6"))
            .preset("run_grpo-3", Map.of("eta", 100.0, "adv", PRM, "step_len", 64, "n", 5))
            .preset("run_grpo", Map.of("eta", 200.0, "adv", ORM, "step_split", LENGTH, "step_len", 256, "n", 5))
            .summary("V = outcome term - (sum of log pi/pi_ref from here to the end)/eta, kept at step ends (orm); "
                    + "each token takes the next non-zero V")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Resolved settings. */
    private record Settings(double eta, boolean orm, StepSplit split, int stepLen, int n, boolean normStd) {
        static Settings of(Params p) {
            return new Settings(
                    p.getDouble("eta"),
                    p.getChoice("adv", Adv.class) == Adv.ORM,
                    p.getChoice("step_split", StepSplit.class),
                    p.getInt("step_len"),
                    p.getInt("n"),
                    p.getBoolean("norm_adv_by_std_in_grpo"));
        }
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * The advantage of a policy token is the process reward V of the nearest policy token at or after
     * it whose V is not 0 (within its row); returns equal advantages (the same array). Computed per trajectory, backwards
     * span by span (V lives only in a span-sized scratch), trajectories in parallel ranges (each writes
     * only its own tokens, so the result does not depend on the split), with the outputs in
     * {@code buffers} when given.
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Prepared p = prepare(batch, params);
        int tokens = batch.tokenCount();
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        int maxSpan = 0;
        int[] tok = batch.spanTokenOffsets();
        for (int s = 0; s < batch.spanCount(); s++) maxSpan = Math.max(maxSpan, tok[s + 1] - tok[s]);
        int scratch = maxSpan;
        execution.forTrajectories(batch, (chunk, from, to) -> {
            double[] togo = p.cfg().orm() ? null : new double[scratch];
            for (int i = from; i < to; i++) {
                if (p.cfg().orm()) trajectoryOrm(batch, p, i, adv);
                else trajectoryPrm(batch, p, i, adv, togo);
            }
        });
        return Credit.builder(adv).returns(adv).build();
    }

    /** Policy spans shorter than this take the fused token-by-token loop in {@link #trajectoryPrm}. */
    private static final int SHORT_SPAN = 64;

    /**
     * {@code adv = prm}: every policy token keeps its own V. Per policy span, backwards: the running
     * log-ratio to go (one dependent double addition per token) into {@code togo}, then
     * {@code q − togo/η} for the whole span in one loop without dependences (vectorized divisions),
     * then V (rounded to float) and the next-non-zero fill; spans under {@link #SHORT_SPAN} tokens do
     * all three in one loop. The same operations per token as the token-by-token
     * loop, so the same floats.
     */
    private static void trajectoryPrm(Rollouts batch, Prepared p, int i, float[] adv, double[] togo) {
        int[] tok = batch.spanTokenOffsets();
        float[] o = p.o();
        float[] r = p.r();
        double eta = p.cfg().eta();
        double q = p.q()[i];
        double acc = 0;
        float next = 0f;
        for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
            int ts = tok[s];
            int te = tok[s + 1];
            // context tokens (inside the row or before it) get 0 and leave the sums alone
            if (!batch.isPolicySpan(s)) {
                java.util.Arrays.fill(adv, ts, te, 0f);
                continue;
            }
            int n = te - ts;
            if (n < SHORT_SPAN) {
                // a short span: one fused loop (three loops would cost more in set-up than they save)
                for (int t = te - 1; t >= ts; t--) {
                    acc += (double) o[t] - r[t];
                    float w = (float) (q - acc / eta);
                    if (w != 0f) next = w;
                    adv[t] = next;
                }
                continue;
            }
            for (int k = n - 1; k >= 0; k--) {
                acc += (double) o[ts + k] - r[ts + k];
                togo[k] = acc;
            }
            for (int k = 0; k < n; k++) togo[k] = q - togo[k] / eta; // vectorized divisions
            for (int k = n - 1; k >= 0; k--) {
                float w = (float) togo[k];
                if (w != 0f) next = w;
                adv[ts + k] = next;
            }
        }
    }

    /** {@code adv = orm}: V only at step ends (the step mask), token by token over the row. */
    private static void trajectoryOrm(Rollouts batch, Prepared p, int i, float[] adv) {
        byte[] mask = batch.mask();
        float[] o = p.o();
        float[] r = p.r();
        double eta = p.cfg().eta();
        int from = batch.tokenStart(i);
        int end = batch.tokenEnd(i);
        int start = rowStart(batch, i);
        if (start < 0) {
            java.util.Arrays.fill(adv, from, end, 0f);
            return;
        }
        java.util.Arrays.fill(adv, from, start, 0f);
        double q = p.q()[i];
        int ones = ones(mask, start, end);
        double togo = 0;
        float next = 0f;
        for (int t = end - 1; t >= start; t--) {
            if (mask[t] == 1) {
                togo += (double) o[t] - r[t];
                double x = q - togo / eta;
                if (!keep(p, mask, t - start, ones, t)) x = 0;
                float w = (float) x;
                if (w != 0f) next = w;
                adv[t] = next;
            } else {
                adv[t] = 0f;
            }
        }
    }

    /** First policy token of trajectory {@code i} (the start of its row), or -1. */
    private static int rowStart(Rollouts batch, int i) {
        byte[] mask = batch.mask();
        for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) if (mask[t] == 1) return t;
        return -1;
    }

    /** Policy tokens in {@code [start, end)}. */
    private static int ones(byte[] mask, int start, int end) {
        int ones = 0;
        for (int t = start; t < end; t++) ones += mask[t];
        return ones;
    }

    /** Settings, signals and the row score q of every trajectory, checked. */
    private record Prepared(
            Settings cfg, boolean newline, float[] o, float[] r, String[] text, String stepEnd, double[] q) {}

    private static Prepared prepare(Rollouts batch, Params params) {
        Settings cfg = Settings.of(params);
        boolean newline = cfg.split() != StepSplit.LENGTH;
        if (cfg.orm() && newline && cfg.n() <= 1) {
            throw new RolloutException(
                    "estimator '" + ID + "': step_split " + cfg.split().wire()
                            + " with adv orm needs n > 1 (the reference fails on a variable only its grouping branch defines)");
        }
        float[] o = batch.requireTokenSignal(Rollouts.OLD_LOGPROB, ID, "the actor's rollout log-probabilities");
        float[] r = batch.requireTokenSignal(Rollouts.REF_LOGPROB, ID, "the reference model's log-probabilities");
        String[] text = null;
        if (cfg.orm() && newline) {
            text = batch.tokenText();
            if (text == null) {
                throw new RolloutException(
                        "estimator '" + ID + "': step_split " + cfg.split().wire()
                                + " finds step ends by token text, which the batch lacks (text)",
                        -1,
                        "text");
            }
        }
        String stepEnd = cfg.split() == StepSplit.NN ? "\n\n" : "\n";
        double[] s = scores(batch);
        double[] q = s;
        if (cfg.orm() && cfg.n() > 1) q = groupNormalised(batch, s, cfg.normStd());
        return new Prepared(cfg, newline, o, r, text, stepEnd, q);
    }

    /**
     * Whether the token at row position {@code j} (token {@code t}) keeps its value under the orm step
     * mask: the row's last policy token, and every step end (every step_len-th policy position, or a
     * token whose text is the step separator).
     */
    private static boolean keep(Prepared p, byte[] mask, int j, int ones, int t) {
        Settings cfg = p.cfg();
        boolean keep = j == ones - 1;
        if (!p.newline()) {
            if (cfg.stepLen() <= 0) keep = true;
            else keep |= (j + 1) % cfg.stepLen() == 0 && mask[t] == 1;
        } else {
            keep |= p.stepEnd().equals(p.text()[t]);
        }
        return keep;
    }

    /**
     * The sum of {@link Rollouts#denseTokenRewards()} over each trajectory's tokens, in token order.
     * Without a token reward signal the dense rewards are 0 except on span ends (span rewards) and
     * the last policy token (the outcome), so the sum runs over those positions only, with the same
     * float values and in the same order (adding a zero never changes a sum that starts at +0).
     */
    private static double[] scores(Rollouts batch) {
        int n = batch.trajectoryCount();
        double[] s = new double[n];
        if (batch.tokenSignal(Rollouts.REWARD) != null) {
            float[] dense = batch.denseTokenRewards();
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) sum += dense[t];
                s[i] = sum;
            }
            return s;
        }
        float[] sr = batch.spanReward();
        float[] outcome = batch.outcome();
        boolean hasOutcome = outcome != null || !batch.outcomeComponents().isEmpty();
        for (int i = 0; i < n; i++) {
            float out = 0f;
            if (hasOutcome) {
                double v = 0;
                if (outcome != null) {
                    if (!Float.isNaN(outcome[i])) v = outcome[i];
                } else {
                    for (float[] c : batch.outcomeComponents().values()) if (!Float.isNaN(c[i])) v += c[i];
                }
                out = (float) v;
            }
            int last = batch.lastPolicyToken(i);
            double sum = 0;
            for (int sp = batch.spanStart(i); sp < batch.spanEnd(i); sp++) {
                if (batch.spanTokenEnd(sp) == batch.spanTokenStart(sp)) continue;
                int e = batch.spanTokenEnd(sp) - 1;
                float val = 0f;
                boolean placed = false;
                if (sr != null && !Float.isNaN(sr[sp])) {
                    val += sr[sp];
                    placed = true;
                }
                if (hasOutcome && e == last) {
                    val += out;
                    placed = true;
                }
                if (placed) sum += val;
            }
            s[i] = sum;
        }
        return s;
    }

    /**
     * The process rewards V of every token (the reference's {@code token_level_rewards}), 0 before a
     * trajectory's first policy token.
     *
     * @throws RolloutException for a newline split with {@code adv = orm} and {@code n ≤ 1} (the
     *     reference raises), or missing signals
     */
    public static float[] tokenRewards(Rollouts batch, Params params) {
        Prepared p = prepare(batch, params);
        Settings cfg = p.cfg();
        float[] o = p.o();
        float[] r = p.r();
        byte[] mask = batch.mask();
        int n = batch.trajectoryCount();
        float[] v = new float[batch.tokenCount()];
        for (int i = 0; i < n; i++) {
            int start = rowStart(batch, i);
            if (start < 0) continue;
            int end = batch.tokenEnd(i);
            int ones = ones(mask, start, end);
            double togo = 0;
            for (int t = end - 1; t >= start; t--) {
                togo += mask[t] == 1 ? (double) o[t] - r[t] : 0.0;
                double x = (mask[t] == 1 ? p.q()[i] : 0.0) - togo / cfg.eta();
                if (cfg.orm() && !keep(p, mask, t - start, ones, t)) x = 0;
                v[t] = (float) x;
            }
        }
        return v;
    }

    /** verl's GRPO outcome normalisation: one-row groups keep mean 0 and std 1. */
    private static double[] groupNormalised(Rollouts batch, double[] s, boolean normStd) {
        double[] a = new double[s.length];
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        for (int g = 0; g < batch.groupCount(); g++) {
            int size = start[g + 1] - start[g];
            double mean = 0;
            double std = 1;
            if (size > 1) {
                for (int m = start[g]; m < start[g + 1]; m++) mean += s[members[m]];
                mean /= size;
                double ss = 0;
                for (int m = start[g]; m < start[g + 1]; m++) ss += (s[members[m]] - mean) * (s[members[m]] - mean);
                std = Math.sqrt(ss / (size - 1));
            }
            for (int m = start[g]; m < start[g + 1]; m++) {
                int i = members[m];
                a[i] = normStd ? (s[i] - mean) / (std + 1e-6) : s[i] - mean;
            }
        }
        return a;
    }
}
