package dev.apportion.core.estimator.turn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ItpoTest extends EstimatorContract {
    private static final Itpo EST = new Itpo();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    /** The random batches' token rewards play the implicit PRM, reward_baseline the one outcome metric. */
    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>();
        for (String mode : List.of("rloo_itpo", "rloo_itponorm", "rloo")) {
            out.add(params(Map.of(
                    "adv_estimator",
                    mode,
                    "rm_score_signal",
                    "reward",
                    "reward_metrics",
                    "reward_baseline",
                    "reward_gt_coef",
                    1.0)));
        }
        return out;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, false, true, true, false);
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Two one-turn dialogues of a group: P = [1, 1] and [0, 0] after a 1-token user turn. */
    static Rollouts pair() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "d0")
                .signal("acc", 1)
                .signal("token_amount", 0.5)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Itpo.RM_SCORE, new float[] {0, 1, 1});
        b.trajectory("q", "d1")
                .signal("acc", 0)
                .signal("token_amount", 0.25)
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Itpo.RM_SCORE, new float[] {0, 0, 0});
        return b.build();
    }

    /**
     * rloo_itpo, coef 1, metric acc only: turn sums 2 and 0; RLOO with n = 2: X' = 2X − (2 + 0) → +2, −2 at
     * the turn ends; returns [2, 2], [−2, −2]; whitening: mean 0, unbiased variance 16/4·4/3 → ±2/√(16/3).
     */
    @Test
    void workedExample() {
        Credit c = EST.assign(pair(), params(Map.of("reward_dpo_coef", 1.0, "reward_metrics", "acc")));
        assertArrayEquals(new float[] {0, 2, 2, 0, -2, -2}, c.returns(), 1e-6f);
        float a = (float) (2 / Math.sqrt(16.0 / 3 + 1e-8));
        assertArrayEquals(new float[] {0, a, a, 0, -a, -a}, c.advantages(), 1e-6f);
        Itpo.TurnStats st = Itpo.turnStatistics(pair(), params(Map.of("reward_metrics", "acc")));
        assertArrayEquals(new double[] {2, 0}, st.value(), 1e-12);
        assertArrayEquals(new double[] {1, 1}, st.lengthShare(), 0);
    }

    /** rloo_itponorm: a single turn's softmax is 1, so the turn reward is the metric itself (plus ta·ℓ for token keys). */
    @Test
    void normModeWeighsTheMetricsWithTheSoftmax() {
        Credit c = EST.assign(
                pair(),
                params(Map.of(
                        "adv_estimator",
                        "rloo_itponorm",
                        "reward_dpo_coef",
                        1.0,
                        "reward_metrics",
                        "acc,token_amount")));
        // X = acc·1 + ta·1 = [1.5, 0.25] → 2X − 1.75 = [1.25, −1.25]
        assertArrayEquals(new float[] {0, 1.25f, 1.25f, 0, -1.25f, -1.25f}, c.returns(), 1e-6f);
        assertNull(Itpo.turnStatistics(pair(), params(Map.of("adv_estimator", "rloo")))
                .value());
    }

    @Test
    void twoTurnsShareLengthAndSeeLaterRewards() {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 2; i++) {
            b.trajectory("q", "d" + i)
                    .signal("acc", i)
                    .span(Role.POLICY, 1)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 3)
                    .tokenSignal(Itpo.RM_SCORE, new float[] {i, 0, 1, 1, 1});
        }
        Params p = params(Map.of("reward_dpo_coef", 1.0, "reward_metrics", "acc"));
        Rollouts batch = b.build();
        Itpo.TurnStats st = Itpo.turnStatistics(batch, p);
        assertArrayEquals(new double[] {0.25, 0.75, 0.25, 0.75}, st.lengthShare(), 1e-12);
        Credit c = EST.assign(batch, p);
        // X = turn sums [0, 3] and [1, 3]: means 1.5 and 2 → base 3.5; X' = 2X − 3.5 = [−3.5, 2.5], [−1.5, 2.5]
        assertArrayEquals(new float[] {-1, 0, 2.5f, 2.5f, 2.5f, 1, 0, 2.5f, 2.5f, 2.5f}, c.returns(), 1e-6f);
    }

    /**
     * Turns are the maximal runs of mask-1 tokens: adjacent policy spans form one turn, empty spans of
     * either role split nothing, a non-empty context span does. Random span layouts against a scan of the
     * mask.
     */
    @Test
    void turnsAreTheRunsOfTheMask() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(14);
        for (int round = 0; round < 200; round++) {
            RolloutsBuilder b = Rollouts.builder();
            for (int i = 0; i < 2; i++) {
                var t = b.trajectory("q", "d" + i).signal("acc", i);
                int len = 0;
                int spans = 1 + r.nextInt(7);
                boolean policy = false;
                for (int s = 0; s < spans || !policy; s++) {
                    boolean p = r.nextBoolean();
                    int l = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(3);
                    policy |= p && l > 0;
                    t.span(p ? Role.POLICY : Role.CONTEXT, l);
                    len += l;
                }
                float[] rm = new float[len];
                for (int k = 0; k < len; k++) rm[k] = (float) r.nextDouble(-1, 1);
                t.tokenSignal(Itpo.RM_SCORE, rm);
            }
            Rollouts batch = b.build();
            Itpo.TurnStats st = Itpo.turnStatistics(batch, params(Map.of("reward_metrics", "acc")));
            byte[] mask = batch.mask();
            List<Integer> ends = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            int[] offsets = new int[3];
            for (int i = 0; i < 2; i++) {
                int run = 0;
                for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                    run = mask[t] == 1 ? run + 1 : 0;
                    if (run > 0 && (t + 1 == batch.tokenEnd(i) || mask[t + 1] == 0)) {
                        ends.add(t);
                        lengths.add(run);
                    }
                }
                offsets[i + 1] = ends.size();
            }
            String where = "round " + round;
            assertArrayEquals(offsets, st.offsets(), where);
            assertArrayEquals(ends.stream().mapToInt(Integer::intValue).toArray(), st.turnEnd(), where);
            assertArrayEquals(lengths.stream().mapToInt(Integer::intValue).toArray(), st.length(), where);
            for (int k = 0; k < ends.size(); k++) {
                double sum = 0;
                for (int t = ends.get(k); t > ends.get(k) - lengths.get(k); t--)
                    sum += batch.tokenSignal(Itpo.RM_SCORE)[t];
                assertEquals(sum, st.sum()[k], 0, where);
            }
        }
    }

    @Test
    void aGroupOfOneIsRefused() {
        Rollouts b = Rollouts.builder()
                .trajectory("q", "d")
                .signal("acc", 1)
                .span(Role.POLICY, 2)
                .tokenSignal(Itpo.RM_SCORE, new float[2])
                .build();
        RolloutException e =
                assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of("reward_metrics", "acc"))));
        assertTrue(e.getMessage().contains("groups of at least 2"), e.getMessage());
        assertEquals("group", e.field());
    }
}
