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
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.GroupStats;
import java.util.Map;

/**
 * FlowTracer's attention-flow token weights ({@code flowtracer}): each token's share of the
 * information flow from the question to the answer along the attention graph reweights the
 * trajectory's GRPO advantage.
 *
 * <h2>Formula</h2> (per trajectory, over its tokens in order; {@code a_{r,c}} = the token matrix
 * {@code attention}: how much token {@code r} attends to the earlier token {@code c}, aggregated
 * over layers and heads by whoever produced it)
 * <ol>
 *   <li>Graph: edge {@code c → r} with capacity {@code a_{r,c}} for {@code c < r}. Question tokens
 *       Q: the context tokens before the first policy token (the prompt). Answer tokens S: the
 *       spans whose span signal {@code answer_region} is 1, else the trajectory's last policy
 *       span.</li>
 *   <li>Answer conditioning: a token reaches the answer if it is in S or has an edge of positive
 *       capacity to a token that does; edges into tokens that do not are dropped.</li>
 *   <li>Flow conservation: the remaining out-capacities of every token outside S are normalised to
 *       sum 1 (answer tokens are the sink: their out-edges are dropped; question tokens take no
 *       in-flow).</li>
 *   <li>Throughput: a super-source gives each question token {@code 1/|Q|};
 *       {@code T_r = Σ_c T_c·c'_{c→r}} for the other tokens.</li>
 *   <li>Weight of a policy token {@code w_t = (1 − λ) + λ·T_t / mean(T over the trajectory's policy
 *       tokens)} ({@code λ} = {@code strength}); 1 when that mean is 0.</li>
 *   <li>{@code A_t = A_i·w_t}, {@code A_i} verl's GRPO of the trajectory score (unbiased std + ε;
 *       a group of one: mean 0, std 1).</li>
 * </ol>
 *
 * <h2>Source</h2>
 * Z. Dong et al., "How Does Reasoning Flow? Tracing Attention-Induced Information Flow for
 * Targeted RL in LLMs" (FlowTracer), arXiv 2606.10646 (ICML 2026); no code found. Fidelity
 * {@code reconstructed}: the steps (DAG from attention, answer conditioning, local flow
 * conservation, super-source/super-sink throughput, throughput-shaped token credit) follow the
 * abstract and Fig. 1 as summarised in the reference notes (methods-reasoning.md §11); binary
 * reachability, row normalisation, the equal split over question tokens, the mean-1 weights and
 * the GRPO base are ours, and the backbone extraction (keeping only dominant paths) is not
 * reproduced. The notes' worked example (T = 0.6667, 0.8095, 0.7792, 1.0) is a unit test.
 *
 * <h2>Parameters</h2>
 * {@code strength} λ = 1, {@code epsilon} = 1e-6, {@code norm_adv_by_std} = true.
 *
 * <h2>Edge cases</h2>
 * A trajectory without question tokens gets no flow (all weights 1). A trajectory without
 * policy tokens gets nothing. Negative attention values are errors. Memory: the input matrix is
 * {@code n(n−1)/2} floats per trajectory; the computation adds O(n) per trajectory.
 *
 * <p>Stateless and thread-safe.
 */
public final class FlowTracer implements Estimator {
    public static final String ID = "flowtracer";
    /** Name of the token matrix signal with the aggregated attention. */
    public static final String ATTENTION = "attention";
    /** Span signal marking answer spans (1). */
    public static final String ANSWER_REGION = "answer_region";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("FlowTracer: attention-flow (question to answer) token weights on the GRPO advantage")
            .source(
                    "Dong et al., How Does Reasoning Flow? Tracing Attention-Induced Information Flow for Targeted RL in LLMs, "
                            + "arXiv 2606.10646 (no public code)")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.token(
                            ATTENTION, "the policy's attention map, aggregated over layers and heads (token matrix)"),
                    SignalRequirement.token(Rollouts.REWARD, "an outcome or rewards"))
            .parameters(
                    ParamSpec.real(
                            "strength", 1.0, 0.0, 1.0, "lambda: weight (1-lambda) + lambda*normalised throughput"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"),
                    ParamSpec.bool("norm_adv_by_std", true, "divide the GRPO advantage by the group std"))
            .preset("paper", Map.of("strength", 1.0))
            .summary(
                    "T = flow from question to answer tokens through the answer-conditioned, row-normalised attention DAG; "
                            + "A_t = GRPO_i * T_t / mean(T)")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        double lambda = params.getDouble("strength");
        float[] att = batch.requireTokenMatrix(ATTENTION, ID, "the policy's aggregated attention map");
        int[] off = batch.tokenMatrixOffsets();
        if (!batch.hasAnyReward()) {
            throw new RolloutException(
                    "estimator '" + ID + "' needs rewards (an outcome, span or token rewards), the batch has none",
                    -1,
                    "outcome");
        }
        double[] a = grpo(batch, params.getDouble("epsilon"), params.getBoolean("norm_adv_by_std"));
        float[] adv = new float[batch.tokenCount()];
        float[] answerSignal = batch.spanSignal(ANSWER_REGION);
        byte[] mask = batch.mask();
        execution.forTrajectories(batch, (chunk, from, to) -> {
            for (int i = from; i < to; i++) {
                double[] t = throughput(batch, i, att, off[i], answerSignal);
                if (t == null) continue;
                int start = batch.tokenStart(i);
                double sum = 0;
                int cnt = 0;
                for (int k = 0; k < t.length; k++) {
                    if (mask[start + k] == 1) {
                        sum += t[k];
                        cnt++;
                    }
                }
                double mean = cnt == 0 ? 0 : sum / cnt;
                for (int k = 0; k < t.length; k++) {
                    if (mask[start + k] == 0) continue;
                    double w = mean > 0 ? (1 - lambda) + lambda * t[k] / mean : 1.0;
                    adv[start + k] = (float) (a[i] * w);
                }
            }
        });
        return Credit.builder(adv).build();
    }

    /**
     * The throughput of every token of trajectory {@code i} (null when it has no policy token).
     * Public for tests and tools.
     */
    public static double[] throughput(Rollouts batch, int i, float[] att, int base, float[] answerSignal) {
        int start = batch.tokenStart(i);
        int n = batch.tokenEnd(i) - start;
        byte[] mask = batch.mask();
        int firstPolicy = -1;
        for (int k = 0; k < n; k++) {
            if (mask[start + k] == 1) {
                firstPolicy = k;
                break;
            }
        }
        if (firstPolicy < 0) return null;
        boolean[] answer = new boolean[n];
        boolean marked = false;
        if (answerSignal != null) {
            for (int s = batch.spanStart(i); s < batch.spanEnd(i); s++) {
                if (!Float.isNaN(answerSignal[s]) && answerSignal[s] != 0) {
                    for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++) answer[t - start] = true;
                    marked |= batch.spanTokenEnd(s) > batch.spanTokenStart(s);
                }
            }
        }
        if (!marked) {
            for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
                if (batch.isPolicySpan(s) && batch.spanTokenEnd(s) > batch.spanTokenStart(s)) {
                    for (int t = batch.spanTokenStart(s); t < batch.spanTokenEnd(s); t++) answer[t - start] = true;
                    break;
                }
            }
        }
        for (int r = 1; r < n; r++) {
            int row = base + r * (r - 1) / 2;
            for (int c = 0; c < r; c++) {
                if (att[row + c] < 0) {
                    throw new RolloutException(
                            batch.describe(i) + ": token_matrices." + ATTENTION + " at (" + r + ", " + c
                                    + ") is negative (" + att[row + c] + "); attention weights are capacities",
                            i,
                            "token_matrices." + ATTENTION);
                }
            }
        }
        // reachability of the answer, backwards
        boolean[] reach = new boolean[n];
        for (int j = n - 1; j >= 0; j--) {
            if (answer[j]) {
                reach[j] = true;
                continue;
            }
            for (int r = j + 1; r < n && !reach[j]; r++) {
                if (reach[r] && att[base + r * (r - 1) / 2 + j] > 0) reach[j] = true;
            }
        }
        // out-capacity per token after conditioning
        // (answer tokens have no out-edges: each row adds over the runs of non-answer columns, so the
        // inner loops have no test per pair)
        int[] runs = new int[n + 1];
        int nr = 0;
        for (int k = 0; k < n; ) {
            if (answer[k]) {
                k++;
                continue;
            }
            int e = k;
            while (e < n && !answer[e]) e++;
            runs[nr++] = k;
            runs[nr++] = e;
            k = e;
        }
        double[] out = new double[n];
        for (int r = 1; r < n; r++) {
            if (!reach[r] || r < firstPolicy && !answer[r]) continue; // question tokens take no in-flow
            int row = base + r * (r - 1) / 2;
            for (int u = 0; u < nr; u += 2) {
                int a = runs[u];
                if (a >= r) break;
                int b = Math.min(runs[u + 1], r);
                for (int c = a; c < b; c++) out[c] += att[row + c];
            }
        }
        double[] t = new double[n];
        int q = 0;
        for (int k = 0; k < firstPolicy; k++) if (!answer[k]) q++;
        if (q == 0) return t;
        for (int k = 0; k < firstPolicy; k++) if (!answer[k]) t[k] = 1.0 / q;
        // T_r = Σ_c T_c·a_{r,c}/out_c over the sources c < r that pass flow on (not an answer token,
        // out-capacity and throughput not 0), in increasing c. A source's T and out-capacity are final
        // once its own row is done, so the sources are collected in order as they become final, and
        // each row sums over that list only: the same terms in the same order, without a test per pair.
        int[] src = new int[n];
        double[] srcT = new double[n];
        double[] srcOut = new double[n];
        int m = 0;
        for (int k = 0; k < firstPolicy; k++) {
            if (!answer[k] && out[k] != 0 && t[k] != 0) {
                src[m] = k;
                srcT[m] = t[k];
                srcOut[m] = out[k];
                m++;
            }
        }
        for (int r = firstPolicy; r < n; r++) {
            if (!reach[r]) continue;
            int row = base + r * (r - 1) / 2;
            double in = 0;
            for (int j = 0; j < m; j++) in += srcT[j] * att[row + src[j]] / srcOut[j];
            t[r] = in;
            if (!answer[r] && out[r] != 0 && in != 0) {
                src[m] = r;
                srcT[m] = in;
                srcOut[m] = out[r];
                m++;
            }
        }
        return t;
    }

    /** verl's GRPO of the trajectory scores. */
    private static double[] grpo(Rollouts batch, double eps, boolean byStd) {
        double[] s = batch.scores();
        GroupStats st = GroupStats.of(s, batch.trajectoryGroups(), batch.groupCount());
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            int g = batch.trajectoryGroup(i);
            boolean single = st.count(g) == 1;
            double mean = single ? 0.0 : st.mean(g);
            double std = single ? 1.0 : Math.sqrt(st.unbiasedVariance(g));
            out[i] = byStd ? (s[i] - mean) / (std + eps) : s[i] - mean;
        }
        return out;
    }
}
