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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Arrays;
import java.util.List;

/**
 * SPO-chain: segment advantages between <b>low-probability cutpoints</b>, each segment's credit
 * being the change of a Monte-Carlo value estimate across it.
 *
 * <p>Source: Y. Guo et al., "Segment Policy Optimization: Effective Segment-Level Credit
 * Assignment in RL for Large Language Models", arXiv 2505.23564; reference code
 * AIFrameResearch/SPO @ b9fc6a263dec54e28137fd488a9b9c0e0d026025,
 * {@code src/treetune/episode_generators/math_episode_generator_with_mc_advantages.py},
 * class {@code MathEpisodeGeneratorWithMCAdvantages}: the cutpoint loop of
 * {@code _create_value_estimation_requests} and {@code _compute_token_advantages} (values filled
 * as in {@code _update_trajectories_w_values}). Fidelity: reference (golden family
 * {@code reasoning-token.jsonl}, semantics {@code reasoning-token.md} §1).
 *
 * <h2>On apportion's model</h2>
 * <ul>
 *   <li>The <b>response</b> of a trajectory is its policy tokens in order (T of them); context
 *       tokens (prompt, tool output) are skipped and get 0.</li>
 *   <li>Token signal {@code old_logprob} (parameter {@code logprob_signal}): the sampling
 *       policy's log-probability of each token; {@code p_j = exp(logprob_j)}.</li>
 *   <li>Token signal {@code value}: the Monte-Carlo value of the state <em>before</em> token j
 *       (prompt plus the response tokens before j; SPO estimates it as the mean reward of 9
 *       rollouts from that prefix). Only the values before cutpoint tokens are read. In SPO's
 *       terms the value of cutpoint c (the state after token c) is {@code value} of token c+1,
 *       and the prompt value (cutpoint −1) is {@code value} of the first response token.</li>
 *   <li>The trajectory <b>outcome</b> is the response's final reward (the score).</li>
 * </ul>
 *
 * <h2>Formula (per trajectory)</h2>
 * <ol>
 *   <li>Cutpoints: the ascending positions j with {@code p_j < θ} (θ = {@code prob_threshold},
 *       0.9), each minus 1; keep list entries 0, k, 2k, … (k = {@code cutpoint_interval}).</li>
 *   <li>No cutpoint: every advantage is 0.</li>
 *   <li>Node values: {@code V[T−1] = score}; a first cutpoint −1 sets the base to the prompt value
 *       and is dropped; every other cutpoint c gets {@code V[c]} = the value after token c.</li>
 *   <li>Walking j = 0 … T−1 over valued positions: {@code A[j] = V[j] − base} (0 while no base is
 *       set), then {@code base = V[j]}.</li>
 *   <li>Every other position takes the advantage of the next valued position (back-fill).</li>
 *   <li>Probability mask: {@code A[j] = 0} where {@code p_j > θ}.</li>
 * </ol>
 * So a low-probability token carries the value gain of the segment it opens; the segment ending at
 * the last token is closed by the score, not by an MC value.
 *
 * <h2>Quirks of the reference (reproduced)</h2>
 * <ul>
 *   <li>Cutpoints use {@code p < θ} but the mask {@code p > θ}: a token with p exactly θ is neither
 *       cut nor masked and keeps its segment's advantage.</li>
 *   <li>Without cutpoint −1 the first segment has no baseline and gets 0.</li>
 * </ul>
 *
 * <h2>Precision</h2>
 * Values are combined in double. Probabilities are computed and compared in float32, the
 * precision in which apportion stores log-probabilities: {@code p = fl32(exp(logprob))} against
 * {@code fl32(θ)}. A log-probability whose double exponential is exactly 0.9 (the reference's
 * quirk case) still compares equal after float32 storage this way; tokens whose probability lies
 * within half a float32 ulp of θ count as exactly θ.
 *
 * <h2>Outputs</h2>
 * {@link Credit#advantages()} as above; {@link Credit#lossWeights()}: the trainer's
 * {@code use_prob_mask} (1 where {@code p < θ}, 0 elsewhere and on context tokens; SPO's trainer
 * drops tokens with {@code p ≥ θ} from the loss; whitening is the trainer's, not applied);
 * diagnostics {@code cutpoints} (total kept cutpoints) and {@code segments}.
 * {@link #segments(Rollouts, int, Params)} gives a trajectory's cutpoints and node values.
 *
 * <h2>Parameters</h2>
 * {@code cutpoint_interval} 5 (the constructor default every SPO-chain config keeps; the configs
 * {@code intervalN.jsonnet} set 1…10 and 100), {@code prob_threshold} 0.9 (hard-coded twice in
 * the reference), {@code logprob_signal} {@code old_logprob}.
 *
 * <h2>Edge cases</h2>
 * A trajectory without policy tokens gets nothing. A missing outcome, or a missing log-probability
 * or value signal, is a {@link RolloutException} naming the trajectory and field.
 *
 * <p>Stateless and thread-safe; trajectories are independent and processed in parallel.
 */
public final class SpoChain implements Estimator {
    /** Registry id. */
    public static final String ID = "spo_chain";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("SPO-chain: low-probability cutpoints, Monte-Carlo segment advantages")
            .source("Guo et al., arXiv 2505.23564; AIFrameResearch/SPO@b9fc6a2 src/treetune/episode_generators/"
                    + "math_episode_generator_with_mc_advantages.py (cutpoint loop, _compute_token_advantages)")
            .granularity(Granularity.SEGMENT)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.REFERENCE)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(Rollouts.OLD_LOGPROB, "the sampling policy (logprob_signal)"),
                    SignalRequirement.token(
                            Rollouts.VALUE,
                            "Monte-Carlo rollouts from each prefix: the value of the state before the token"),
                    SignalRequirement.trajectory("outcome", "the verifier (the response's final reward)"))
            .parameters(
                    ParamSpec.integer(
                            "cutpoint_interval",
                            5,
                            1,
                            null,
                            "keep every k-th low-probability cutpoint, starting with the first (SPO default 5)"),
                    ParamSpec.real(
                            "prob_threshold",
                            0.9,
                            0.0,
                            1.0,
                            "tokens with probability below it open segments; tokens above it get advantage 0 (hard-coded 0.9)"),
                    ParamSpec.choice(
                            "logprob_signal",
                            Rollouts.OLD_LOGPROB,
                            List.of(Rollouts.OLD_LOGPROB, Rollouts.LOGPROB),
                            "token signal holding the sampled tokens' log-probabilities"))
            .summary(
                    "cutpoints before tokens with p < 0.9 (every k-th); segment advantage = V(next cut or score) - V(cut); 0 where p > 0.9")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * The decomposition of one trajectory's response.
     *
     * @param tokens global token index of each response position (the policy tokens in order)
     * @param cutpoints kept cutpoints (response positions, possibly starting with −1)
     * @param nodeValues value per response position, NaN where none (SPO's {@code None})
     * @param advantages advantage per response position
     * @param probabilities float32 probability per response position
     */
    public record Segments(
            int[] tokens, int[] cutpoints, double[] nodeValues, double[] advantages, float[] probabilities) {}

    /** Resolved settings. */
    private record Settings(int interval, float threshold, String logprobSignal) {
        static Settings of(Params p) {
            return new Settings(
                    p.getInt("cutpoint_interval"),
                    (float) p.getDouble("prob_threshold"),
                    p.getString("logprob_signal"));
        }
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        return assign(batch, params, execution, null);
    }

    /**
     * {@inheritDoc} Every token of the buffers' arrays is overwritten. The probabilities are only
     * compared with θ, so the token loop compares log-probabilities with the two float cut-offs
     * found by {@link #cutoff} instead of taking an exponential per token (the same comparisons:
     * {@code Math.exp} is semi-monotonic).
     */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        Settings cfg = Settings.of(params);
        float[] lp = batch.requireTokenSignal(cfg.logprobSignal(), ID, "the sampling policy's log-probabilities");
        float[] value =
                batch.requireTokenSignal(Rollouts.VALUE, ID, "Monte-Carlo values of the state before each token");
        int n = batch.trajectoryCount();
        int tokens = batch.tokenCount();
        float[] adv = buffers == null ? new float[tokens] : buffers.advantages(tokens);
        float[] weight = buffers == null ? new float[tokens] : buffers.lossWeights(tokens);
        // p < θ  <=>  lp < below;   p > θ  <=>  lp >= above   (p = (float) exp(lp))
        float below = cutoff(cfg.threshold(), false);
        float above = cutoff(cfg.threshold(), true);
        int maxCount = 0;
        for (int i = 0; i < n; i++) maxCount = Math.max(maxCount, batch.tokenEnd(i) - batch.tokenStart(i));
        int width = maxCount;
        int chunks = execution.chunks(batch);
        long[] cuts = new long[chunks];
        long[] segs = new long[chunks];
        execution.forTrajectories(batch, (chunk, from, to) -> {
            long c = 0;
            long s = 0;
            RunScratch sc = new RunScratch(width);
            for (int i = from; i < to; i++) {
                int kept = writeTrajectory(batch, i, cfg, lp, value, below, above, sc, adv, weight);
                if (kept < 0) continue;
                c += kept;
                s += kept == 0 ? 1 : kept + (sc.firstCutBeforeStart ? 0 : 1);
            }
            cuts[chunk] = c;
            segs[chunk] = s;
        });
        return Credit.builder(adv)
                .lossWeights(weight)
                .diagnostic("cutpoints", Arrays.stream(cuts).sum())
                .diagnostic("segments", Arrays.stream(segs).sum())
                .build();
    }

    /** Per-thread work arrays of {@link #writeTrajectory}, sized for the longest trajectory. */
    private static final class RunScratch {
        final int[] candPos;
        final int[] candTok;
        final int[] nodePos;
        final double[] nodeAdv;
        boolean firstCutBeforeStart;

        RunScratch(int maxTokens) {
            candPos = new int[maxTokens];
            candTok = new int[maxTokens];
            nodePos = new int[maxTokens + 1];
            nodeAdv = new double[maxTokens + 1];
        }
    }

    /**
     * {@link #segmentsInto} and the token writes of trajectory {@code i} in two passes over its
     * tokens, without per-position arrays: the advantage is constant between consecutive nodes
     * (each position takes that of the next node at or after it, which is what the backward fill
     * of {@link #segmentsInto} gives), so only the nodes are kept. Pass 1 finds the response
     * positions with {@code p < θ} (the cutpoint candidates) and their tokens; pass 2 writes every
     * token of the trajectory (0 on context tokens). Same values as {@link #segmentsInto}, which
     * {@link #segments} still uses to show every position.
     *
     * @return the number of kept cutpoints, or −1 (tokens written as 0) when there is no policy token
     */
    private static int writeTrajectory(
            Rollouts batch,
            int i,
            Settings cfg,
            float[] lp,
            float[] value,
            float below,
            float above,
            RunScratch sc,
            float[] adv,
            float[] weight) {
        int start = batch.tokenStart(i);
        int end = batch.tokenEnd(i);
        int count = batch.policyTokenCount(i);
        if (count == 0) {
            Arrays.fill(adv, start, end, 0f);
            Arrays.fill(weight, start, end, 0f);
            return -1;
        }
        float[] outcome = batch.outcome();
        if (outcome == null || Float.isNaN(outcome[i])) {
            throw new RolloutException(
                    batch.describe(i) + ": estimator '" + ID
                            + "' needs the outcome (the response's final reward, which closes the last segment), which is absent",
                    i,
                    "outcome");
        }
        int[] tok = batch.spanTokenOffsets();
        int s0 = batch.spanStart(i);
        int s1 = batch.spanEnd(i);
        int[] candPos = sc.candPos;
        int[] candTok = sc.candTok;
        int nc = 0;
        int j = 0;
        for (int s = s0; s < s1; s++) { // policy spans: the response in order
            if (!batch.isPolicySpan(s)) continue;
            int jt = j - tok[s]; // position of token t: t + jt
            for (int t = tok[s], te = tok[s + 1]; t < te; t++) {
                // branch-free: the slot is written always and kept only when p < θ (an unpredictable test)
                candPos[nc] = t + jt;
                candTok[nc] = t;
                nc += lp[t] < below ? 1 : 0;
            }
            j += tok[s + 1] - tok[s];
        }
        int interval = cfg.interval();
        int kept = nc == 0 ? 0 : (nc - 1) / interval + 1;
        double score = outcome[i];
        // the nodes in position order (cutpoints with a value, then the last position) and their advantages
        int[] nodePos = sc.nodePos;
        double[] nodeAdv = sc.nodeAdv;
        int nodes = 0;
        sc.firstCutBeforeStart = false;
        if (kept == 0) {
            nodePos[nodes] = count - 1;
            nodeAdv[nodes++] = 0.0;
        } else {
            boolean hasBase = false;
            double base = 0;
            int m0 = 0;
            if (candPos[0] == 0) { // cutpoint −1: the value before the first response token is the base
                sc.firstCutBeforeStart = true;
                hasBase = true;
                base = value[candTok[0]];
                m0 = 1;
            }
            for (int m = m0; m <= kept; m++) {
                int pos;
                double v;
                if (m < kept) {
                    int q = m * interval;
                    pos = candPos[q] - 1;
                    v = value[candTok[q]];
                } else {
                    pos = count - 1;
                    v = score;
                }
                if (Double.isNaN(v)) continue;
                nodePos[nodes] = pos;
                nodeAdv[nodes++] = hasBase ? v - base : 0.0;
                base = v;
                hasBase = true;
            }
        }
        int node = 0;
        j = 0;
        for (int s = s0; s < s1; s++) {
            int ts = tok[s];
            int te = tok[s + 1];
            if (!batch.isPolicySpan(s)) {
                Arrays.fill(adv, ts, te, 0f);
                Arrays.fill(weight, ts, te, 0f);
                continue;
            }
            for (int t = ts; t < te; t++, j++) {
                while (nodePos[node] < j) node++;
                float x = lp[t];
                adv[t] = x >= above ? 0f : (float) nodeAdv[node];
                weight[t] = x < below ? 1f : 0f;
            }
        }
        return kept;
    }

    /**
     * The least float {@code x} with {@code (float) Math.exp(x) >= θ} ({@code strict}: {@code > θ}),
     * by bisection over the floats in order; {@code Math.exp} is semi-monotonic, so the predicate
     * holds exactly from there on. θ is in [0, 1], so such an {@code x} exists (at most +∞).
     */
    static float cutoff(float theta, boolean strict) {
        long lo = order(Float.NEGATIVE_INFINITY);
        long hi = order(Float.POSITIVE_INFINITY);
        if (holds(Float.NEGATIVE_INFINITY, theta, strict)) return Float.NEGATIVE_INFINITY;
        while (hi - lo > 1) { // holds(hi) and !holds(lo)
            long mid = (lo + hi) >> 1;
            if (holds(fromOrder((int) mid), theta, strict)) hi = mid;
            else lo = mid;
        }
        return fromOrder((int) hi);
    }

    private static boolean holds(float x, float theta, boolean strict) {
        float p = (float) Math.exp(x);
        return strict ? p > theta : p >= theta;
    }

    private static int order(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? b ^ 0x7fffffff : b;
    }

    private static float fromOrder(int k) {
        return Float.intBitsToFloat(k < 0 ? k ^ 0x7fffffff : k);
    }

    /** Per-thread work arrays of {@link #segmentsInto}, sized for the longest trajectory. */
    private static final class Scratch {
        final int[] tok;
        final int[] cand;
        final int[] cuts;
        final double[] nodeValue;
        final double[] adv;
        final boolean[] has;
        int count;

        Scratch(int maxTokens) {
            tok = new int[maxTokens];
            cand = new int[maxTokens];
            cuts = new int[maxTokens];
            nodeValue = new double[maxTokens];
            adv = new double[maxTokens];
            has = new boolean[maxTokens];
        }
    }

    /**
     * Cutpoints, node values and advantages of trajectory {@code i}, or null when it has no policy
     * token.
     */
    public static Segments segments(Rollouts batch, int i, Params params) {
        Settings cfg = Settings.of(params);
        float[] lp = batch.requireTokenSignal(cfg.logprobSignal(), ID, "the sampling policy's log-probabilities");
        float[] value =
                batch.requireTokenSignal(Rollouts.VALUE, ID, "Monte-Carlo values of the state before each token");
        Scratch sc = new Scratch(batch.tokenEnd(i) - batch.tokenStart(i));
        int kept = segmentsInto(
                batch, i, cfg, lp, value, cutoff(cfg.threshold(), false), cutoff(cfg.threshold(), true), sc);
        if (kept < 0) return null;
        int count = sc.count;
        float[] p = new float[count];
        for (int j = 0; j < count; j++) p[j] = (float) Math.exp(lp[sc.tok[j]]);
        return new Segments(
                Arrays.copyOf(sc.tok, count),
                Arrays.copyOf(sc.cuts, kept),
                Arrays.copyOf(sc.nodeValue, count),
                Arrays.copyOf(sc.adv, count),
                p);
    }

    /**
     * Fills {@code sc} with trajectory {@code i}'s response positions ({@code count}), kept
     * cutpoints, node values and advantages; returns the number of kept cutpoints, or -1 when the
     * trajectory has no policy token.
     */
    private static int segmentsInto(
            Rollouts batch, int i, Settings cfg, float[] lp, float[] value, float below, float above, Scratch sc) {
        int count = batch.policyTokenCount(i);
        sc.count = count;
        if (count == 0) return -1;
        float[] outcome = batch.outcome();
        if (outcome == null || Float.isNaN(outcome[i])) {
            throw new RolloutException(
                    batch.describe(i) + ": estimator '" + ID
                            + "' needs the outcome (the response's final reward, which closes the last segment), which is absent",
                    i,
                    "outcome");
        }
        byte[] mask = batch.mask();
        int[] tok = sc.tok;
        int k = 0;
        for (int t = batch.tokenStart(i), e = batch.tokenEnd(i); t < e; t++) if (mask[t] == 1) tok[k++] = t;
        // low-probability positions (p < θ) minus one, every interval-th kept
        int[] cand = sc.cand;
        int nc = 0;
        for (int j = 0; j < count; j++) if (lp[tok[j]] < below) cand[nc++] = j - 1;
        int kept = nc == 0 ? 0 : (nc - 1) / cfg.interval() + 1;
        int[] cuts = sc.cuts;
        for (int m = 0; m < kept; m++) cuts[m] = cand[m * cfg.interval()];
        double score = outcome[i];
        double[] nodeValue = sc.nodeValue;
        double[] adv = sc.adv;
        Arrays.fill(adv, 0, count, 0.0);
        if (kept == 0) {
            Arrays.fill(nodeValue, 0, count, score);
            return 0;
        }
        Arrays.fill(nodeValue, 0, count, Double.NaN);
        nodeValue[count - 1] = score;
        boolean hasBase = false;
        double base = 0;
        int from = 0;
        if (cuts[0] == -1) {
            hasBase = true;
            base = value[tok[0]];
            from = 1;
        }
        for (int m = from; m < kept; m++) {
            int c = cuts[m];
            nodeValue[c] = value[tok[c + 1]];
        }
        boolean[] has = sc.has;
        Arrays.fill(has, 0, count, false);
        for (int j = 0; j < count; j++) {
            if (Double.isNaN(nodeValue[j])) continue;
            adv[j] = hasBase ? nodeValue[j] - base : 0.0;
            has[j] = true;
            base = nodeValue[j];
            hasBase = true;
        }
        for (int j = count - 2; j >= 0; j--) if (!has[j]) adv[j] = adv[j + 1];
        for (int j = 0; j < count; j++) if (lp[tok[j]] >= above) adv[j] = 0.0;
        return kept;
    }
}
