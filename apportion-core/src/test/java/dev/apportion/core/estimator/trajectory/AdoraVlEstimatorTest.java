package dev.apportion.core.estimator.trajectory;

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
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdoraVlEstimatorTest extends EstimatorContract {
    private static final AdoraVlEstimator EST = new AdoraVlEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected RandomBatches.Options options() {
        return new RandomBatches.Options(4, 2, 6, true, false, true, false);
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        for (String e : List.of("rloo", "reinforce_baseline", "reinforce"))
            out.add(resolved(Map.of("advantage_estimator", e)));
        out.add(resolved(Map.of("use_adora", false, "max_length_threshold", 8.0)));
        return out;
    }

    static Rollouts batch(double[] reward, int[] len, int n) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < reward.length; i++)
            b.trajectory("p" + (i / n), "t" + i).outcome(reward[i]).span(Role.POLICY, len[i]);
        return b.build();
    }

    static double[] perTrajectory(Rollouts b, Credit c) {
        double[] out = new double[b.trajectoryCount()];
        for (int i = 0; i < out.length; i++) out[i] = c.advantages()[b.tokenStart(i)];
        return out;
    }

    @Test
    void weightsAndShaping() {
        // group 0: correct max 30 > other mean 15 → 1; group 1: correct max 10 < other mean 25 → lamda
        double[] r = {1, 0, 0, 1, 1, 0, 0, 0};
        int[] len = {30, 10, 20, 10, 5, 20, 30, 25};
        Rollouts b = batch(r, len, 4);
        double[] w = AdoraVlEstimator.groupWeights(b, b.scores(), 0.1, 0.5, 4094, true);
        assertArrayEquals(new double[] {1.0, (float) 0.1}, w, 0.0);
        double[] rloo = perTrajectory(b, EST.assign(b, resolved(Map.of("advantage_estimator", "rloo"))));
        assertEquals(1 - 1.0 / 3, rloo[0], 1e-6);
        assertEquals(1.0 * (float) 0.1, rloo[4], 1e-6);
        double[] base = perTrajectory(b, EST.assign(b, resolved(Map.of("advantage_estimator", "reinforce_baseline"))));
        assertEquals(0.5, base[0], 1e-6);
        double[] norm = perTrajectory(b, EST.assign(b, resolved(Map.of())));
        assertEquals(0.5 / Math.sqrt(1.0 / 3), norm[0], 1e-6);
        double[] raw = perTrajectory(b, EST.assign(b, resolved(Map.of("advantage_estimator", "reinforce"))));
        assertEquals((float) 0.1, raw[4], 1e-7);
        double[] off = perTrajectory(
                b, EST.assign(b, resolved(Map.of("advantage_estimator", "reinforce", "use_adora", false))));
        assertEquals(1.0, off[4], 0.0);
    }

    @Test
    void emptyOtherSetReferenceVersusCorrected() {
        // all correct: the reference's +inf mean gives lamda; the corrected default gives 1
        Rollouts b = batch(new double[] {1, 1}, new int[] {5, 6}, 2);
        Credit ref = EST.assign(b, resolved("reference", Map.of("advantage_estimator", "reinforce")));
        assertEquals((float) 0.1, ref.advantages()[0], 1e-7);
        Credit fixed = EST.assign(b, resolved(Map.of("advantage_estimator", "reinforce")));
        assertEquals(1f, fixed.advantages()[0], 0f);
        // no correct answer keeps weight 1 in both
        Rollouts none = batch(new double[] {0, 0.25}, new int[] {5, 6}, 2);
        assertEquals(
                0.25f,
                EST.assign(none, resolved("reference", Map.of("advantage_estimator", "reinforce")))
                        .advantages()[5],
                0f);
    }

    @Test
    void singletonsAreRefusedWhereTheReferenceGivesNaN() {
        Rollouts b = batch(new double[] {1}, new int[] {3}, 1);
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, resolved(Map.of())));
        assertTrue(e.getMessage().contains("group 'p0'"), e.getMessage());
        assertThrows(RolloutException.class, () -> EST.assign(b, resolved(Map.of("advantage_estimator", "rloo"))));
        assertEquals(
                0f,
                EST.assign(b, resolved(Map.of("advantage_estimator", "reinforce_baseline")))
                        .advantages()[0],
                0f);
    }
}
