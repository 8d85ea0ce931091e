package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.turn;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DrMasTest extends EstimatorContract {
    private final DrMas est = new DrMas();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        for (String e : List.of("rloo", "reinforce_plus_plus_baseline")) {
            for (boolean byAgent : new boolean[] {true, false}) {
                out.add(resolved(null, Map.of("adv_estimator", e, "group_by_agent_id", byAgent)));
            }
        }
        return out;
    }

    /** A question with two rollouts of a solver/verifier team; each row's reward is a span reward. */
    private static Rollouts team() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "r1")
                .span(Role.POLICY, 2, 1.0, null, "solver")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, 0.0, null, "verifier")
                .span(Role.POLICY, 1, 1.0, null, "solver");
        b.trajectory("q", "r2")
                .span(Role.POLICY, 2, 0.0, null, "solver")
                .span(Role.CONTEXT, 1)
                .span(Role.POLICY, 2, 1.0, null, "verifier");
        return b.build();
    }

    /**
     * Agent-wise: solver samples [1, 1, 0] (r1 acts twice): mean 2/3, std sqrt(1/3) -> 0.57735, -1.1547;
     * verifier [0, 1] -> -+0.7071. Shared baseline: trajectory means r1 = 2/3, r2 = 1/2, one sample each
     * per trajectory in a group of 2 -> +-0.7071 on every row of the trajectory.
     */
    @Test
    void agentWiseVersusSharedBaseline() {
        Rollouts batch = team();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        double hi = (1 - 2.0 / 3) / (Math.sqrt(1.0 / 3) + 1e-6);
        assertEquals(hi, turn(batch, a, 0, 0), TOL);
        assertEquals(-0.7071061, turn(batch, a, 0, 1), TOL);
        assertEquals(hi, turn(batch, a, 0, 2), TOL);
        assertEquals(-2 * hi, turn(batch, a, 1, 0), 2 * TOL);
        assertEquals(0.7071061, turn(batch, a, 1, 1), TOL);
        assertTurnConstant(batch, a);
        float[] shared =
                est.assign(batch, resolved("shared_baseline", Map.of())).advantages();
        for (int j = 0; j < 3; j++) assertEquals(0.7071061, turn(batch, shared, 0, j), TOL);
        for (int j = 0; j < 2; j++) assertEquals(-0.7071061, turn(batch, shared, 1, j), TOL);
    }

    /** rloo: (s - m) n/(n-1); pass@k: only the best sample gets max - second; a one-sample group is an error. */
    @Test
    void rlooAndPassK() {
        Rollouts batch = team();
        float[] r = est.assign(batch, resolved(null, Map.of("adv_estimator", "rloo")))
                .advantages();
        assertEquals((1 - 2.0 / 3) * 1.5, turn(batch, r, 0, 0), TOL);
        assertEquals(-1.0, turn(batch, r, 0, 1), TOL);
        Params pk = resolved(null, Map.of("adv_estimator", "grpo_passk", "norm_adv_by_std_in_grpo", false));
        float[] p = est.assign(batch, pk).advantages();
        assertEquals(0.0, turn(batch, p, 0, 0), 0.0); // solver tie at the top: 1 - 1
        assertEquals(1.0, turn(batch, p, 1, 1), TOL); // verifier best: 1 - 0
        assertEquals(0.0, turn(batch, p, 0, 1), 0.0);
        Rollouts lone = Rollouts.builder()
                .trajectory("q", "x")
                .span(Role.POLICY, 2, 1.0, null, "solver")
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(lone, pk));
        assertTrue(e.getMessage().contains("at least 2 samples"), e.getMessage());
    }

    /** reinforce_plus_plus_baseline: whitened over policy tokens, token-weighted. */
    @Test
    void reinforcePlusPlusBaselineWhitensOverTokens() {
        Rollouts batch = team();
        float[] a = est.assign(batch, resolved(null, Map.of("adv_estimator", "reinforce_plus_plus_baseline")))
                .advantages();
        double sum = 0;
        int n = 0;
        for (int t = 0; t < a.length; t++) {
            if (batch.mask()[t] == 0) continue;
            sum += a[t];
            n++;
        }
        assertEquals(0.0, sum / n, 1e-6);
        assertTurnConstant(batch, a);
    }
}
