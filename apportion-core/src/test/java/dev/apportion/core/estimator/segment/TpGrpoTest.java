package dev.apportion.core.estimator.segment;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TpGrpoTest extends EstimatorContract {
    private final TpGrpo est = new TpGrpo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** Random batches carry a signed span signal info_gain in [-0.5, 0.5]. */
    @Override
    protected List<Params> parameterSets() {
        return List.of(
                resolved(null, Map.of("label_signal", "info_gain")),
                resolved("paper", Map.of("label_signal", "info_gain", "lambda", 2.0)),
                resolved(null, Map.of("label_signal", "info_gain", "sign_guard", false)));
    }

    private static RolloutsBuilder steps(RolloutsBuilder b, double... labels) {
        for (double l : labels) {
            b.span(Role.POLICY, 2);
            if (!Double.isNaN(l)) b.spanSignal("prm_label", l); // NaN: the step has no verdict (signal absent)
        }
        return b;
    }

    /**
     * By hand: group of a (outcome 1, labels C C I I C) and b (outcome 0, labels I C). p = 1/2.
     * GRPO: mean 0.5, unbiased std 0.70711 → Â = ±0.70711. λ = 0.5: ρ+ = 0.5·(1 − 0.5) = 0.25,
     * ρ− = −0.5·0.5 = −0.25. a: thoughts {1,2} C → 0.95711, {3,4} I → 0.45711, {5} C → 0.95711.
     * b: I → −0.95711, C → −0.45711. Three thoughts in a, two in b.
     */
    @Test
    void workedExample() {
        RolloutsBuilder b = Rollouts.builder().trajectory("q", "a").outcome(1).span(Role.CONTEXT, 1);
        steps(b, 1, 1, -1, -1, 1);
        steps(b.trajectory("q", "b").outcome(0), -1, 1);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        float hi = 0.957107f;
        float lo = 0.457107f;
        assertClose(
                new float[] {0, hi, hi, hi, hi, lo, lo, lo, lo, hi, hi, -hi, -hi, -lo, -lo}, c.advantages(), "tp_grpo");
        assertEquals(5.0, c.diagnostics().get("thoughts"));
    }

    /**
     * Ability adapts: p = 3/4 (outcomes 1, 1, 1, 0). Â for the winners = 0.25/0.5 = 0.5, loser −1.5.
     * λ = 0.5: ρ+ = 0.125, ρ− = −0.375. Winner's incorrect thought: 0.5 − 0.375 = 0.125.
     * With λ = 2: ρ− = −1.5 flips 0.5 to −1.0, so the guard sets 0; without it −1.0.
     */
    @Test
    void abilityScalesAndGuardKeepsTheSign() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b.trajectory("q", "w1").outcome(1), 1, -1);
        steps(b.trajectory("q", "w2").outcome(1), 1);
        steps(b.trajectory("q", "w3").outcome(1), 1);
        steps(b.trajectory("q", "l").outcome(0), 1);
        Rollouts batch = b.build();
        float[] a = est.assign(batch).advantages();
        assertClose(
                new float[] {0.625f, 0.625f, 0.125f, 0.125f, 0.625f, 0.625f, 0.625f, 0.625f, -1.375f, -1.375f},
                a,
                "p=3/4");
        float[] g = est.assign(batch, resolved(null, Map.of("lambda", 2.0))).advantages();
        assertEquals(0f, g[2]);
        assertEquals(
                -1.0f,
                est.assign(batch, resolved(null, Map.of("lambda", 2.0, "sign_guard", false)))
                        .advantages()[2],
                1e-5);
        // the loser's correct thought: -1.5 + 2*(1-0.75) = -1.0, same sign, kept
        assertEquals(-1.0f, g[8], 1e-5);
    }

    /** All-equal group: Â = 0, so the process reward alone drives credit; unjudged steps get 0. */
    @Test
    void degenerateGroupUsesProcessRewardOnly() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b.trajectory("q", "a").outcome(0), -1, Double.NaN, 1);
        steps(b.trajectory("q", "b").outcome(0), 1);
        float[] a = est.assign(b.build()).advantages();
        // p = 0: ρ+ = 0.5, ρ− = 0
        assertClose(new float[] {0, 0, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f}, a, "p=0");
    }

    @Test
    void missingLabelsAreNamed() {
        Rollouts batch = Rollouts.builder()
                .trajectory("q", "a")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(batch));
        assertTrue(e.getMessage().contains("prm_label"), e.getMessage());
    }
}
