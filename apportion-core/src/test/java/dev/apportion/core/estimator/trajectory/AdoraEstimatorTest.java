package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdoraEstimatorTest extends EstimatorContract {
    private static final AdoraEstimator EST = new AdoraEstimator();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(Map.of("correct_score", 0.5, "max_length_threshold", 10.0, "lamda", 0.5)));
    }

    /** Trajectories (group, score, response length) with a 2-token prompt. */
    static Rollouts batch(String[] groups, double[] scores, int[] lengths) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < scores.length; i++) {
            b.trajectory(groups[i], "t" + i)
                    .outcome(scores[i])
                    .span(Role.CONTEXT, 2)
                    .span(Role.POLICY, lengths[i]);
        }
        return b.build();
    }

    static double[] perTrajectory(Rollouts b, Credit c) {
        double[] out = new double[b.trajectoryCount()];
        for (int i = 0; i < out.length; i++) out[i] = c.advantages()[b.tokenStart(i) + 2];
        return out;
    }

    /** methods-reasoning.md §13: group A is advantageous (1200 > 700), group B is not (400 < 650). */
    @Test
    void workedExample() {
        String[] g = {"A", "A", "A", "A", "B", "B", "B", "B"};
        double[] s = {3, -1, 3, -0.5, 3, 3, -1, -0.5};
        int[] len = {800, 500, 1200, 900, 300, 400, 600, 700};
        Rollouts b = batch(g, s, len);
        Credit c = EST.assign(b, resolved(Map.of()));
        assertArrayEquals(
                new double[] {0.8622, -0.9772, 0.8622, -0.7472, 0.08622, 0.08622, -0.09772, -0.07472},
                perTrajectory(b, c),
                1e-4);
        assertEquals(1.0, c.diagnostics().get("groups_attenuated"));
        // incorrect answers at least max_length_threshold long (truncated) are left out: with 650, B keeps {600} and
        // 400 < 600
        Credit cut = EST.assign(b, resolved(Map.of("max_length_threshold", 650.0)));
        assertEquals(1.0, cut.diagnostics().get("groups_attenuated"));
        // with 550 both of B's incorrect answers are left out (and A's 900): empty sets count as advantageous
        Credit none = EST.assign(b, resolved(Map.of("max_length_threshold", 550.0)));
        assertEquals(
                0.0,
                none.diagnostics().get("groups_attenuated"),
                "an empty incorrect set makes the group advantageous");
    }

    @Test
    void groupWithoutCorrectAnswerIsAttenuated() {
        Rollouts b = batch(new String[] {"a", "a"}, new double[] {-1, -0.5}, new int[] {5, 6});
        double[] a = perTrajectory(b, EST.assign(b, resolved(Map.of())));
        assertArrayEquals(new double[] {-0.1 * 0.7071, 0.1 * 0.7071}, a, 1e-4);
    }

    @Test
    void singletonReferenceKeepsTheRawScore() {
        Rollouts b = batch(new String[] {"a", "b", "b"}, new double[] {3, 3, -1}, new int[] {5, 6, 5});
        assertEquals(3.0, perTrajectory(b, EST.assign(b, resolved("reference", Map.of())))[0], 1e-6);
        assertEquals(0.0, perTrajectory(b, EST.assign(b, resolved(Map.of())))[0], 0.0);
    }
}
