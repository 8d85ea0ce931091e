package dev.apportion.core.estimator.segment;

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
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * MA-RLHF: PPO credit over <b>macro actions</b> — fixed n-grams of the response — with GAE run
 * over macro steps instead of tokens.
 *
 * <p>Source: Y. Chai, H. Sun, H. Fang, S. Wang, Y. Sun, H. Wu, "MA-RLHF: Reinforcement
 * Learning from Human Feedback with Macro Actions", ICLR 2025, arXiv 2410.02743; reference code
 * ernie-research/MA-RLHF @ 807551d,
 * {@code applications/DeepSpeed-Chat/dschat/rlhf/ppo_trainer.py} ({@code compute_rewards},
 * {@code fixed_ngram_selection}, {@code modeling_macro_action},
 * {@code get_advantages_and_returns}, the broadcast in {@code actor_loss_fn}). Fidelity:
 * reference (the {@code reference} preset reproduces the golden vectors produced by that code).
 *
 * <h2>MA-RLHF on apportion's model</h2>
 * <ul>
 *   <li>The <b>response</b> of a trajectory runs from its first policy token to its last policy
 *       token (preset {@code reference}: to its last token, so trailing context tokens play the
 *       part of DeepSpeed-Chat's right padding). Context tokens inside it (tool output) are
 *       masked positions: they count in no n-gram and are skipped when a macro is pooled.</li>
 *   <li>Token signals: {@code value} (the critic), {@code logprob}, {@code ref_logprob} (needed
 *       unless {@code kl_ctl} is 0), optional {@code reward}. The reward model's score is the
 *       trajectory <b>outcome</b> (0 when absent). Token t's signals belong to the action that
 *       produced token t (DeepSpeed-Chat's position t − 1).</li>
 * </ul>
 *
 * <h2>Formula</h2>
 * <ol>
 *   <li>Token rewards: {@code r_t = −kl_ctl·(logprob_t − ref_logprob_t) + reward_t}; the score
 *       {@code clip(outcome, ±reward_clip)} is added on the last policy token.</li>
 *   <li>Macro actions ({@code termination_condition = fixed}): walking the response, a macro
 *       ends after every {@code ngram} policy tokens; the response's last position is always a
 *       macro of its own (so the score is not averaged away).</li>
 *   <li>Macro value and reward: over the macro's policy tokens {@code x_1..x_q} of V and r,
 *       {@code equal}: the mean; {@code position}: weights {@code (1/k)/Σ_{k'≤q} 1/k'};
 *       {@code unit}: the last one. A macro without policy tokens has V = R = 0.</li>
 *   <li>GAE over the M macros: {@code δ_j = R_j + γ·V_{j+1} − V_j} (V_M = 0),
 *       {@code A_j = δ_j + γλ·A_{j+1}}, {@code returns_j = A_j + V_j}; no whitening.</li>
 *   <li>Every policy token of macro j gets {@code A_j} ({@link Credit#advantages()}) and
 *       {@code returns_j} ({@link Credit#returns()}); context tokens get 0.</li>
 * </ol>
 *
 * <h2>Reference quirks ({@code reference} preset) and the corrected default</h2>
 * <ul>
 *   <li>{@code reference_padding}: the reference places the score at position {@code start + n}
 *       (n = valid response tokens), which is the first padding position when the response is
 *       right-padded; padding is skipped when macros are pooled, so the score never reaches the
 *       advantages. Rewards and values at or after position {@code start + n + 1} are zeroed.
 *       The terminal one-token macro is the last padded position. Default off: the response
 *       ends at its last policy token, which carries the score.</li>
 *   <li>{@code empty_terminal_macro}: when the n-gram walk (which stops one position before the
 *       end) closes a macro exactly at the last position, the reference lists that boundary
 *       twice and inserts an empty macro (V = R = 0) before the terminal one; with
 *       {@code ngram} 1 (its argparse default) this always happens, so ngram 1 is not plain
 *       token-level GAE. Default off: no empty macro.</li>
 *   <li>Batch size: the reference derives boundaries from the first row and pools all rows of
 *       the batch into one value per macro (wrong, and raising, for more than one row); here
 *       every trajectory has its own macros.</li>
 *   <li>{@code value_function unit} raises in the reference ({@code sigma[:, -1]} on a 1-D
 *       tensor); here it takes the macro's last policy token, the paper's reading.</li>
 * </ul>
 * Only the {@code fixed} termination condition is implemented: {@code randomized} uses an
 * unseeded shuffle, {@code ppl} receives a wrapped list in the reference and produces no inner
 * boundaries, {@code parsing} needs a constituency parser.
 *
 * <h2>Parameters</h2>
 * Defaults follow {@code run_gemma.sh} and the trainer: {@code kl_ctl} 0.05, {@code gamma} 1.0,
 * {@code lam} 0.95, {@code ngram} 5 (argparse default 1), {@code value_function} equal,
 * {@code reward_clip} 2.5, {@code reference_padding} false, {@code empty_terminal_macro} false.
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens gets 0. Computed in double precision (the reference uses
 * float32; within the golden tolerances).
 *
 * <h2>Cost</h2>
 * With {@code equal} pooling (the default and both presets) each trajectory is read once: one
 * walk over the response computes every token's reward and value where the macro sums use them
 * (the DeepSpeed-Chat padding rules applied by position), finds the n-gram boundaries and adds
 * each macro's two sums in position order; GAE runs over the macros, and one pass writes the
 * tokens (the mask is read only in macros that hold context tokens) — the two token passes of
 * the declared floor in {@code docs/performance.md}. {@code position} and {@code unit} pooling
 * copy the token rewards and values into double scratch arrays first (four passes). Scratch
 * arrays are per thread and outputs go into {@link Credit.Buffers} when given.
 *
 * <p>Stateless and thread-safe; trajectories are independent and processed in parallel.
 */
public final class MaRlhfEstimator implements Estimator {
    /** Registry id. */
    public static final String ID = "ma_rlhf";

    /** Pooling of token values and rewards inside a macro action ({@code value_function}). */
    enum Pooling {
        /** Mean over the macro's policy tokens. */
        EQUAL,
        /** Weights 1/k over the k-th policy token, normalised. */
        POSITION,
        /** The last policy token. */
        UNIT
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("MA-RLHF macro-action GAE (fixed n-gram termination)")
            .source("Chai et al., arXiv 2410.02743 (ICLR 2025); ernie-research/MA-RLHF@807551d "
                    + "applications/DeepSpeed-Chat/dschat/rlhf/ppo_trainer.py")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.TEMPORAL_DIFFERENCE)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.VALUE, "the critic"),
                    SignalRequirement.token(Rollouts.LOGPROB, "the actor (unless kl_ctl is 0)"),
                    SignalRequirement.token(Rollouts.REF_LOGPROB, "the reference model (unless kl_ctl is 0)"),
                    SignalRequirement.trajectory("outcome", "the reward model's score"))
            .parameters(
                    ParamSpec.real("kl_ctl", 0.05, 0.0, null, "KL penalty coefficient of the token rewards"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount over macro steps"),
                    ParamSpec.real("lam", 0.95, 0.0, 1.0, "GAE lambda over macro steps"),
                    ParamSpec.choice(
                            "termination_condition",
                            "fixed",
                            List.of("fixed"),
                            "macro-action rule; only fixed n-grams are implemented"),
                    ParamSpec.integer(
                            "ngram", 5, 1, null, "policy tokens per macro action (run_gemma.sh 5; argparse default 1)"),
                    ParamSpec.choice(
                            "value_function",
                            Pooling.EQUAL,
                            "pooling of token values/rewards in a macro: mean, 1/k position weights, or the last token"),
                    ParamSpec.real(
                            "reward_clip",
                            2.5,
                            0.0,
                            null,
                            "the reward model's score is clipped to [-reward_clip, reward_clip]"),
                    ParamSpec.bool(
                            "reference_padding",
                            false,
                            "trailing context tokens act as DeepSpeed-Chat padding (the score lands on the first one and is lost)"),
                    ParamSpec.bool(
                            "empty_terminal_macro",
                            false,
                            "keep the reference's empty macro when an n-gram closes exactly at the last position"))
            .preset("reference", Map.of("reference_padding", true, "empty_terminal_macro", true))
            .preset(
                    "run_gemma",
                    Map.of(
                            "kl_ctl",
                            0.05,
                            "gamma",
                            1.0,
                            "lam",
                            0.95,
                            "ngram",
                            5,
                            "value_function",
                            "equal",
                            "reference_padding",
                            true,
                            "empty_terminal_macro",
                            true))
            .summary("macros = n-grams of policy tokens + a one-token terminal macro; GAE over macro means of V and r")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Resolved parameters. */
    record Settings(
            double klCtl,
            double gamma,
            double lam,
            int ngram,
            Pooling pooling,
            double clip,
            boolean referencePadding,
            boolean emptyTerminalMacro) {
        static Settings of(Params p) {
            return new Settings(
                    p.getDouble("kl_ctl"),
                    p.getDouble("gamma"),
                    p.getDouble("lam"),
                    p.getInt("ngram"),
                    p.getChoice("value_function", Pooling.class),
                    p.getDouble("reward_clip"),
                    p.getBoolean("reference_padding"),
                    p.getBoolean("empty_terminal_macro"));
        }
    }

    /**
     * The macro actions of one trajectory. Positions are global token indices.
     *
     * @param regionStart first token of the response
     * @param regionEnd one past its last token
     * @param tokenRewards token rewards over the response (after the reference's zeroing)
     * @param boundaries macro start positions, as the reference lists them (the last entry is
     *     the terminal position)
     * @param lengths macro lengths (last = 1)
     */
    record Macros(
            int regionStart,
            int regionEnd,
            double[] tokenRewards,
            int[] boundaries,
            int[] lengths,
            double[] values,
            double[] rewards,
            double[] advantages,
            double[] returns) {}

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Settings cfg = Settings.of(params);
        int n = batch.trajectoryCount();
        int tokens = batch.tokenCount();
        boolean any = false;
        for (int i = 0; i < n && !any; i++) any = batch.lastPolicyToken(i) >= 0;
        if (!any)
            return Credit.builder(new float[tokens]).returns(new float[tokens]).build();
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] ret = buffers == null ? new float[tokens] : buffers.returns(tokens);
        Inputs in = Inputs.of(batch, cfg);
        int maxLen = 0;
        for (int i = 0; i < n; i++) maxLen = Math.max(maxLen, batch.tokenEnd(i) - batch.tokenStart(i));
        int width = maxLen;
        long[] macroCounts = new long[execution.chunks(batch)];
        execution.forTrajectories(batch, (chunk, from, to) -> {
            long count = 0;
            byte[] mask = batch.mask();
            Scratch sc = new Scratch(width, cfg.ngram());
            for (int i = from; i < to; i++) {
                int ts = batch.tokenStart(i);
                int te = batch.tokenEnd(i);
                int nb = cfg.pooling() == Pooling.EQUAL
                        ? macrosEqual(batch, in, cfg, i, sc)
                        : macrosInto(batch, in, cfg, i, sc);
                if (nb < 0) {
                    Arrays.fill(adv, ts, te, 0f);
                    Arrays.fill(ret, ts, te, 0f);
                    continue;
                }
                count += nb;
                // the macros tile [regionStart, regionEnd); every other token gets 0
                Arrays.fill(adv, ts, sc.regionStart, 0f);
                Arrays.fill(ret, ts, sc.regionStart, 0f);
                Arrays.fill(adv, sc.regionEnd, te, 0f);
                Arrays.fill(ret, sc.regionEnd, te, 0f);
                for (int j = 0; j < nb; j++) {
                    int a = sc.bounds[j];
                    int b = Math.min(a + sc.lengths[j], sc.regionEnd);
                    float av = (float) sc.ma[j];
                    float rv = (float) sc.mret[j];
                    if (sc.policy[j] == b - a) { // every token of the macro is a policy token
                        for (int t = a; t < b; t++) {
                            adv[t] = av;
                            ret[t] = rv;
                        }
                        continue;
                    }
                    for (int t = a; t < b; t++) {
                        boolean policy = mask[t] != 0;
                        adv[t] = policy ? av : 0f;
                        ret[t] = policy ? rv : 0f;
                    }
                }
            }
            macroCounts[chunk] = count;
        });
        long macros = 0;
        for (long c : macroCounts) macros += c;
        return Credit.builder(adv)
                .returns(ret)
                .diagnostic("macro_actions", macros)
                .build();
    }

    /** Per-thread work arrays of {@link #macrosInto}, sized for the longest trajectory. */
    static final class Scratch {
        private final int maxTokens;
        /** Token rewards and values of {@link #macrosInto} (allocated on its first use). */
        double[] r;

        double[] v;
        final int[] bounds;
        final int[] lengths;
        /** Policy tokens per macro, or -1 when not counted. */
        final int[] policy;

        final double[] mv;
        final double[] mr;
        final double[] ma;
        final double[] mret;
        int regionStart;
        int regionEnd;

        /**
         * @param maxTokens tokens of the longest trajectory
         * @param ngram policy tokens per macro: a response of w positions has at most
         *     {@code 1 + (w − 1)/ngram} n-gram boundaries plus the terminal one (listed twice with
         *     {@code empty_terminal_macro})
         */
        Scratch(int maxTokens, int ngram) {
            this.maxTokens = maxTokens;
            int macros = maxTokens / ngram + 3;
            bounds = new int[macros];
            lengths = new int[macros];
            policy = new int[macros];
            mv = new double[macros];
            mr = new double[macros];
            ma = new double[macros];
            mret = new double[macros];
        }

        void tokenArrays() {
            if (r == null) {
                r = new double[maxTokens];
                v = new double[maxTokens];
            }
        }
    }

    /** The signals the estimator reads. */
    record Inputs(float[] value, float[] logprob, float[] ref, float[] reward, float[] outcome) {
        static Inputs of(Rollouts batch, Settings cfg) {
            float[] value = batch.requireTokenSignal(Rollouts.VALUE, ID, "the critic");
            float[] lp = null;
            float[] rf = null;
            if (cfg.klCtl() != 0) {
                lp = batch.requireTokenSignal(Rollouts.LOGPROB, ID, "the actor's log-probabilities");
                rf = batch.requireTokenSignal(Rollouts.REF_LOGPROB, ID, "the reference model's log-probabilities");
            }
            return new Inputs(value, lp, rf, batch.tokenSignal(Rollouts.REWARD), batch.outcome());
        }
    }

    /** Macro actions, values, rewards and GAE of trajectory {@code i}, or null without policy tokens. */
    static Macros macros(Rollouts batch, Inputs in, Settings cfg, int i) {
        Scratch sc = new Scratch(batch.tokenEnd(i) - batch.tokenStart(i), cfg.ngram());
        int nb = macrosInto(batch, in, cfg, i, sc);
        if (nb < 0) return null;
        return new Macros(
                sc.regionStart,
                sc.regionEnd,
                Arrays.copyOf(sc.r, sc.regionEnd - sc.regionStart),
                Arrays.copyOf(sc.bounds, nb),
                Arrays.copyOf(sc.lengths, nb),
                Arrays.copyOf(sc.mv, nb),
                Arrays.copyOf(sc.mr, nb),
                Arrays.copyOf(sc.ma, nb),
                Arrays.copyOf(sc.mret, nb));
    }

    /**
     * {@link #macros} into reused arrays: fills {@code sc} (token rewards and values from index 0,
     * boundaries, lengths and the macro values, rewards, advantages and returns of the first
     * {@code nb} entries, the region) and returns {@code nb}, or -1 without policy tokens.
     */
    static int macrosInto(Rollouts batch, Inputs in, Settings cfg, int i, Scratch sc) {
        int last = batch.lastPolicyToken(i);
        if (last < 0) return -1;
        byte[] mask = batch.mask();
        int start = batch.tokenStart(i);
        while (mask[start] == 0) start++;
        int end = cfg.referencePadding() ? batch.tokenEnd(i) : last + 1;
        int w = end - start;
        int valid = 0;
        for (int t = start; t < end; t++) valid += mask[t];
        sc.tokenArrays();
        double[] r = sc.r;
        double[] v = sc.v;
        for (int k = 0; k < w; k++) {
            int t = start + k;
            double x = 0;
            if (cfg.klCtl() != 0) x = -cfg.klCtl() * ((double) in.logprob()[t] - in.ref()[t]);
            if (in.reward() != null) x += in.reward()[t];
            r[k] = x;
            v[k] = in.value()[t];
        }
        double score = in.outcome() == null || Float.isNaN(in.outcome()[i]) ? 0 : in.outcome()[i];
        score = Math.max(-cfg.clip(), Math.min(cfg.clip(), score));
        if (cfg.referencePadding()) {
            // DeepSpeed-Chat: score at start + n (capped at the last position), zero from start + n + 1 on
            r[Math.min(valid, w - 1)] += score;
            for (int k = valid + 1; k < w; k++) {
                r[k] = 0;
                v[k] = 0;
            }
        } else {
            r[w - 1] += score;
        }

        int[] bounds = sc.bounds;
        int nb = 0;
        bounds[nb++] = start;
        int count = 0;
        for (int k = 0; k + 1 < w; k++) {
            count += mask[start + k];
            if (count == cfg.ngram()) {
                bounds[nb++] = start + k + 1;
                count = 0;
            }
        }
        int terminal = end - 1;
        if (cfg.emptyTerminalMacro() || bounds[nb - 1] != terminal) bounds[nb++] = terminal;
        int[] boundaries = bounds;
        int[] lengths = sc.lengths;
        for (int j = 0; j + 1 < nb; j++) lengths[j] = boundaries[j + 1] - boundaries[j];
        lengths[nb - 1] = 1;
        Arrays.fill(sc.policy, 0, nb, -1);

        double[] mv = sc.mv;
        double[] mr = sc.mr;
        Pooling pooling = cfg.pooling();
        for (int j = 0; j < nb; j++) {
            int a = boundaries[j] - start;
            int b = Math.min(a + lengths[j], w);
            poolBoth(pooling, mask, start, a, b, v, r, mv, mr, j);
        }
        gae(cfg, nb, sc);
        sc.regionStart = start;
        sc.regionEnd = end;
        return nb;
    }

    /** GAE over the {@code nb} macros of {@code sc} (backwards), into {@code sc.ma} and {@code sc.mret}. */
    private static void gae(Settings cfg, int nb, Scratch sc) {
        double[] mv = sc.mv;
        double[] mr = sc.mr;
        double[] ma = sc.ma;
        double[] mret = sc.mret;
        double next = 0;
        double gae = 0;
        for (int j = nb - 1; j >= 0; j--) {
            double delta = mr[j] + cfg.gamma() * next - mv[j];
            gae = delta + cfg.gamma() * cfg.lam() * gae;
            ma[j] = gae;
            mret[j] = gae + mv[j];
            next = mv[j];
        }
    }

    /**
     * {@link #macrosInto} for {@code equal} pooling in one walk over the response: each token's
     * reward and value are computed where the macro's sums read them (the same expressions, the
     * DeepSpeed-Chat padding rules applied by position), the n-gram boundaries found in the same
     * walk, and each macro's two sums added in position order as {@link #poolBoth} adds them. Fills
     * the macro arrays of {@code sc} (also {@link Scratch#policy}), not its token arrays.
     */
    static int macrosEqual(Rollouts batch, Inputs in, Settings cfg, int i, Scratch sc) {
        int last = batch.lastPolicyToken(i);
        if (last < 0) return -1;
        byte[] mask = batch.mask();
        int start = batch.tokenStart(i);
        while (mask[start] == 0) start++;
        int end = cfg.referencePadding() ? batch.tokenEnd(i) : last + 1;
        int w = end - start;
        // relative positions from zeroFrom on hold r = v = 0; the score is added at scoreAt
        int zeroFrom = w;
        int scoreAt = w - 1;
        if (cfg.referencePadding()) {
            int valid = 0;
            for (int t = start; t < end; t++) valid += mask[t];
            scoreAt = Math.min(valid, w - 1);
            zeroFrom = Math.min(valid + 1, w);
        }
        double score = in.outcome() == null || Float.isNaN(in.outcome()[i]) ? 0 : in.outcome()[i];
        score = Math.max(-cfg.clip(), Math.min(cfg.clip(), score));
        float[] value = in.value();
        float[] lp = in.logprob();
        float[] ref = in.ref();
        float[] reward = in.reward();
        double kl = cfg.klCtl();
        int ngram = cfg.ngram();
        int[] bounds = sc.bounds;
        int[] lengths = sc.lengths;
        int[] policy = sc.policy;
        double[] mv = sc.mv;
        double[] mr = sc.mr;
        int nb = 0;
        int a = 0;
        double sv = 0;
        double sr = 0;
        int q = 0;
        for (int k = 0; k < w; k++) {
            int t = start + k;
            if (k == w - 1) { // the terminal position: close the open n-gram macro first
                if (a != k || cfg.emptyTerminalMacro()) {
                    bounds[nb] = start + a;
                    lengths[nb] = k - a;
                    policy[nb] = q;
                    mv[nb] = q == 0 ? 0 : sv / q;
                    mr[nb] = q == 0 ? 0 : sr / q;
                    nb++;
                }
                a = k;
                sv = 0;
                sr = 0;
                q = 0;
            }
            if (mask[t] == 0) continue;
            double x = 0;
            if (kl != 0) x = -kl * ((double) lp[t] - ref[t]);
            if (reward != null) x += reward[t];
            if (k == scoreAt) x += score;
            double vk = value[t];
            if (k >= zeroFrom) {
                x = 0;
                vk = 0;
            }
            sv += vk;
            sr += x;
            q++;
            if (q == ngram && k < w - 1) { // the n-gram walk stops before the terminal position
                bounds[nb] = start + a;
                lengths[nb] = k + 1 - a;
                policy[nb] = q;
                mv[nb] = sv / q;
                mr[nb] = sr / q;
                nb++;
                a = k + 1;
                sv = 0;
                sr = 0;
                q = 0;
            }
        }
        bounds[nb] = start + a; // the terminal macro, one position
        lengths[nb] = 1;
        policy[nb] = q;
        mv[nb] = q == 0 ? 0 : sv / q;
        mr[nb] = q == 0 ? 0 : sr / q;
        nb++;
        gae(cfg, nb, sc);
        sc.regionStart = start;
        sc.regionEnd = end;
        return nb;
    }

    /**
     * Pools {@code v[a..b)} into {@code mv[j]} and {@code r[a..b)} into {@code mr[j]} over the
     * positions whose token is a policy token, in one pass (the two sums are independent chains
     * of the same loop, each adding in position order): mean ({@code equal}), 1/k position
     * weights normalised by the harmonic number ({@code position}), or the last policy token
     * ({@code unit}); 0 without policy tokens.
     */
    private static void poolBoth(
            Pooling pooling,
            byte[] mask,
            int start,
            int a,
            int b,
            double[] v,
            double[] r,
            double[] mv,
            double[] mr,
            int j) {
        int q = 0;
        for (int k = a; k < b; k++) q += mask[start + k];
        if (q == 0) {
            mv[j] = 0;
            mr[j] = 0;
            return;
        }
        switch (pooling) {
            case POSITION: {
                double h = 0;
                for (int k = 1; k <= q; k++) h += 1.0 / k;
                double sv = 0;
                double sr = 0;
                int idx = 0;
                for (int k = a; k < b; k++) {
                    if (mask[start + k] == 0) continue;
                    idx++;
                    double wk = (1.0 / idx) / h;
                    sv += wk * v[k];
                    sr += wk * r[k];
                }
                mv[j] = sv;
                mr[j] = sr;
                return;
            }
            case UNIT: {
                for (int k = b - 1; k >= a; k--) {
                    if (mask[start + k] != 0) {
                        mv[j] = v[k];
                        mr[j] = r[k];
                        return;
                    }
                }
                mv[j] = 0;
                mr[j] = 0;
                return;
            }
            case EQUAL:
            default: {
                double sv = 0;
                double sr = 0;
                for (int k = a; k < b; k++) {
                    if (mask[start + k] != 0) {
                        sv += v[k];
                        sr += r[k];
                    }
                }
                mv[j] = sv / q;
                mr[j] = sr / q;
            }
        }
    }
}
