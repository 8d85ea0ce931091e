package dev.apportion.lm;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.List;

/**
 * Records a batch of finished episodes into apportion's rollout model. Trajectory {@code i}
 * belongs to group {@code prefix + problem}; its tokens are the episode's positions
 * {@code 1 … len−1} (the {@code <bos>} is not a token), split into spans at every change of
 * role (prompt and tool observations are context, turns are policy spans). Recorded:
 * <ul>
 *   <li>outcome: the verifier's reward;</li>
 *   <li>token signals {@code logprob} and {@code old_logprob} (the sampling policy, by teacher
 *       forcing), {@code ref_logprob} (the reference policy, when given), {@code entropy},
 *       {@code attn_received} (mean last-layer attention later positions pay to the token),
 *       {@code hidden_norm} (L2 norm of the final hidden state);</li>
 *   <li>token matrix {@code attention} (FlowTracer): attention averaged over every layer and
 *       head, strict lower triangle over the trajectory's tokens ({@link Policy.Scores});</li>
 *   <li>token vector {@code hidden} (DelTA): the final hidden state that produced each token's
 *       distribution, width d;</li>
 *   <li>span state (anchor state, for GiGPO-style grouping): the text before each policy span;
 *       span signal {@code turn} (index of the policy turn); span signal {@code mc_value} (the
 *       branching estimate of V before the span) when given.</li>
 * </ul>
 */
public final class Recorder {
    /** Token matrix signal with the attention averaged over layers and heads (FlowTracer's {@code attention}). */
    public static final String ATTENTION = "attention";
    /** Token vector signal with the final hidden states (DelTA's {@code hidden}). */
    public static final String HIDDEN = "hidden";

    private Recorder() {}

    /**
     * @param mcValue per trajectory, per policy span in order, V(before span); null when absent
     */
    public static Rollouts record(
            String prefix, List<Episode> eps, Policy.Scores cur, Policy.Scores ref, double[][] mcValue) {
        RolloutsBuilder b = Rollouts.builder();
        b.ensureCapacity(eps.size(), eps.size() * 4, cur.offsets()[eps.size()]);
        int[] count = new int[1 + maxProblem(eps)];
        for (int i = 0; i < eps.size(); i++) {
            Episode e = eps.get(i);
            b.trajectory(prefix + e.problem, prefix + e.problem + "-" + (count[e.problem]++));
            b.outcome(e.reward);
            int p = 1, turn = 0;
            while (p < e.len) {
                int q = p;
                while (q < e.len && e.role[q] == e.role[p]) q++;
                if (e.role[p] == 1) {
                    b.span(Role.POLICY, q - p, Double.NaN, CharTokenizer.decode(e.tok, 1, p), null);
                    b.spanSignal("turn", turn);
                    if (mcValue != null && mcValue[i] != null && turn < mcValue[i].length)
                        b.spanSignal("mc_value", mcValue[i][turn]);
                    turn++;
                } else {
                    b.span(Role.CONTEXT, q - p);
                }
                p = q;
            }
            int from = cur.offsets()[i], to = cur.offsets()[i + 1];
            b.tokenSignal(Rollouts.LOGPROB, slice(cur.logProb(), from, to));
            b.tokenSignal(Rollouts.OLD_LOGPROB, slice(cur.logProb(), from, to));
            b.tokenSignal(Rollouts.ENTROPY, slice(cur.entropy(), from, to));
            if (cur.attention() != null) b.tokenSignal("attn_received", slice(cur.attention(), from, to));
            if (cur.hiddenNorm() != null) b.tokenSignal("hidden_norm", slice(cur.hiddenNorm(), from, to));
            if (ref != null) b.tokenSignal(Rollouts.REF_LOGPROB, slice(ref.logProb(), from, to));
            if (cur.attentionMatrix() != null) {
                int[] mo = cur.matrixOffsets();
                b.tokenMatrix(ATTENTION, slice(cur.attentionMatrix(), mo[i], mo[i + 1]));
            }
            if (cur.hidden() != null) {
                int d = cur.hiddenWidth();
                b.tokenVector(HIDDEN, d, slice(cur.hidden(), from * d, to * d));
            }
        }
        return b.build();
    }

    private static int maxProblem(List<Episode> eps) {
        int m = 0;
        for (Episode e : eps) m = Math.max(m, e.problem);
        return m;
    }

    private static float[] slice(float[] a, int from, int to) {
        float[] s = new float[to - from];
        System.arraycopy(a, from, s, 0, s.length);
        return s;
    }
}
