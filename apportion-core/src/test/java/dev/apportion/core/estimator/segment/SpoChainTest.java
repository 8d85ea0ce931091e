package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpoChainTest extends EstimatorContract {
    private static final SpoChain EST = new SpoChain();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of("cutpoint_interval", 1)));
        out.add(params(Map.of("cutpoint_interval", 2, "logprob_signal", "logprob", "prob_threshold", 0.5)));
        return out;
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** One response: a 2-token prompt (context), the given probabilities, values before each token, a score. */
    static Rollouts response(double[] p, double[] valueBefore, double score) {
        int n = p.length;
        float[] lp = new float[n + 2];
        float[] v = new float[n + 2];
        for (int j = 0; j < n; j++) {
            lp[j + 2] = (float) Math.log(p[j]);
            v[j + 2] = (float) valueBefore[j];
        }
        return Rollouts.builder()
                .trajectory("g", "t")
                .outcome(score)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, n)
                .tokenSignal(Rollouts.OLD_LOGPROB, lp)
                .tokenSignal(Rollouts.VALUE, v)
                .build();
    }

    /**
     * reasoning-token.md §1 by hand: p = [.99, .97, .95, .4, .7, .99, .93, .96, .2, .99], k = 1 → low
     * positions 3, 4, 8 → cutpoints 2, 3, 7 with values V(after 2) = .3, V(after 3) = 1/3, V(after 7) = 2/9;
     * the last token holds the score 1. Advantages: first segment 0, then 1/3 − .3, 2/9 − 1/3, 1 − 2/9,
     * back-filled and masked where p > 0.9.
     */
    @Test
    void workedExample() {
        double[] p = {0.99, 0.97, 0.95, 0.4, 0.7, 0.99, 0.93, 0.96, 0.2, 0.99};
        double[] after = {0.1, 0.2, 0.3, 1.0 / 3, 5.0 / 9, 0.6, 0.7, 2.0 / 9, 0.9, 1.0};
        double[] before = new double[10];
        before[0] = 4.0 / 9;
        System.arraycopy(after, 0, before, 1, 9);
        Rollouts b = response(p, before, 1.0);
        Params prm = params(Map.of("cutpoint_interval", 1));
        SpoChain.Segments s = SpoChain.segments(b, 0, prm);
        assertArrayEquals(new int[] {2, 3, 7}, s.cutpoints());
        Credit c = EST.assign(b, prm);
        float[] want = {
            0, 0, 0, 0, 0, (float) (1.0 / 3 - 0.3), (float) (2.0 / 9 - 1.0 / 3), 0, 0, 0, (float) (1 - 2.0 / 9), 0
        };
        assertArrayEquals(want, c.advantages(), 1e-6f);
        assertEquals(3.0, c.diagnostics().get("cutpoints"));
        // the trainer's probability mask: only p < 0.9 trains
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0}, c.lossWeights(), 0f);
    }

    /** A low-probability first token gives cutpoint −1: the prompt value is the first baseline. */
    @Test
    void firstTokenLowProbabilityUsesThePromptValue() {
        double[] p = {0.3, 0.99, 0.98, 0.5, 0.99, 0.99};
        double[] before = {5.0 / 9, 0.2, 0.3, 7.0 / 9, 0.4, 0.5};
        Rollouts b = response(p, before, 0.0);
        SpoChain.Segments s = SpoChain.segments(b, 0, params(Map.of("cutpoint_interval", 1)));
        assertArrayEquals(new int[] {-1, 2}, s.cutpoints());
        assertEquals(7.0 / 9, s.nodeValues()[2], 1e-6);
        assertEquals(0.0, s.nodeValues()[5], 0.0);
        assertTrue(Double.isNaN(s.nodeValues()[0]));
        // token 0: V(after 2) − prompt value; token 3: score − V(after 2)
        assertEquals(7.0 / 9 - 5.0 / 9, s.advantages()[0], 1e-6);
        assertEquals(-7.0 / 9, s.advantages()[3], 1e-6);
    }

    /** Quirk 1: a probability of exactly 0.9 is neither a cutpoint nor masked. */
    @Test
    void probabilityExactlyAtTheThresholdKeepsItsSegmentsAdvantage() {
        double[] p = {0.5, 0.9, 0.5, 0.99};
        double[] before = {0.2, 0.4, 0.6, 0.8};
        SpoChain.Segments s = SpoChain.segments(response(p, before, 1.0), 0, params(Map.of("cutpoint_interval", 1)));
        assertArrayEquals(new int[] {-1, 1}, s.cutpoints());
        // token 1 (p = 0.9) belongs to the segment closed at cutpoint 1: V(after 1) − V(prompt) = 0.6 − 0.2
        assertEquals(0.4, s.advantages()[1], 1e-6);
    }

    @Test
    void noLowProbabilityTokenGivesZero() {
        Credit c = EST.assign(response(new double[] {0.95, 0.99}, new double[] {0.1, 0.2}, 1.0), params(Map.of()));
        assertArrayEquals(new float[4], c.advantages(), 0f);
    }

    @Test
    void missingOutcomeIsRefused() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "t")
                .span(Role.POLICY, 2)
                .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {-2, -2})
                .tokenSignal(Rollouts.VALUE, new float[2])
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of())));
        assertTrue(e.getMessage().contains("outcome"), e.getMessage());
    }

    /**
     * Multi-turn responses (policy turns between observations, some empty): the token pass of
     * {@code assign} gives, at the k-th policy token, the advantage of {@link SpoChain#segments} at
     * response position k (as float, bit for bit), 0 on context tokens, and the loss weight
     * {@code p < θ}; for every interval and threshold tried.
     */
    @Test
    void tokenPassMatchesSegmentsAcrossTurns() {
        SplittableRandom r = new SplittableRandom(14);
        var b = Rollouts.builder();
        int trajectories = 12;
        for (int i = 0; i < trajectories; i++) {
            b.trajectory("g" + i / 4, "t" + i).outcome(r.nextDouble());
            int n = 0;
            boolean policy = i % 2 == 0;
            for (int s = 0; s < 7; s++) {
                int len = r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(40);
                b.span(policy ? Role.POLICY : Role.CONTEXT, len);
                n += len;
                policy = !policy;
            }
            float[] lp = new float[n];
            float[] v = new float[n];
            for (int t = 0; t < n; t++) {
                lp[t] = (float) Math.log(r.nextDouble());
                v[t] = (float) r.nextDouble();
            }
            b.tokenSignal(Rollouts.OLD_LOGPROB, lp).tokenSignal(Rollouts.VALUE, v);
        }
        Rollouts batch = b.build();
        float[] lp = batch.tokenSignal(Rollouts.OLD_LOGPROB);
        for (int k : new int[] {1, 3, 5}) {
            for (double theta : new double[] {0.9, 0.5}) {
                Params p = params(Map.of("cutpoint_interval", k, "prob_threshold", theta));
                Credit c = EST.assign(batch, p);
                float[] want = new float[batch.tokenCount()];
                float[] wantWeight = new float[batch.tokenCount()];
                for (int i = 0; i < trajectories; i++) {
                    SpoChain.Segments seg = SpoChain.segments(batch, i, p);
                    if (seg == null) continue;
                    for (int j = 0; j < seg.tokens().length; j++) {
                        int t = seg.tokens()[j];
                        want[t] = (float) seg.advantages()[j];
                        wantWeight[t] = seg.probabilities()[j] < (float) theta ? 1f : 0f;
                    }
                }
                String what = "k=" + k + " θ=" + theta;
                for (int t = 0; t < want.length; t++) {
                    assertEquals(
                            Float.floatToIntBits(want[t]),
                            Float.floatToIntBits(c.advantages()[t]),
                            what + " token " + t);
                    assertEquals(wantWeight[t], c.lossWeights()[t], what + " weight, token " + t + " lp " + lp[t]);
                }
            }
        }
    }
}
