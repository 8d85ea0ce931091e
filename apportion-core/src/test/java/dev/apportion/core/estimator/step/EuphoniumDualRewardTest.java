package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperBatches.start;
import static dev.apportion.core.testing.PaperBatches.step;
import static dev.apportion.core.testing.PaperBatches.stepValue;
import static dev.apportion.core.testing.PaperBatches.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EuphoniumDualRewardTest extends EstimatorContract {
    private final EuphoniumDualReward est = new EuphoniumDualReward();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(resolved(null, Map.of("outcome_coef", 0.5, "adv_clip_max", 1.0)));
    }

    private Params p(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return resolved(null, m);
    }

    /** Four rollouts, outcomes [1, 0, 0, 1], a first step scored [0.2, 0.4, 0.4, 0.8], a second step on two of them. */
    private static Rollouts example() {
        double[] outcome = {1, 0, 0, 1};
        double[] first = {0.2, 0.4, 0.4, 0.8};
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 4; i++) {
            start(b, "q", "r" + i, outcome[i]);
            step(b, 2, "prm", first[i]);
            if (i < 2) step(b, 1, "prm", i == 0 ? 0.9 : 0.1);
        }
        return b.build();
    }

    @Test
    void notesProcessAdvantageAndTheSumWithTheOutcome() {
        Rollouts b = example();
        // notes: [0.2, 0.4, 0.4, 0.8] → mean 0.45, unbiased std 0.2517 → [−0.993, −0.199, −0.199, 1.391]
        double[] pra = {-0.9933992283251002, -0.19867984566502, -0.19867984566502, 1.3907589196551404};
        double ora = 0.8660253887844389; // outcomes [1, 0, 0, 1]
        double[] sign = {1, -1, -1, 1};
        float[] only = est.assign(b, resolved("process_only", Map.of())).advantages();
        float[] none = est.assign(b, resolved("outcome_only", Map.of())).advantages();
        float[] both = est.assign(b).advantages();
        float[] weighted =
                est.assign(b, p("outcome_coef", 2.0, "process_coef", 0.5)).advantages();
        for (int i = 0; i < 4; i++) {
            assertEquals(pra[i], stepValue(b, only, i, 0), 1e-5);
            assertEquals(sign[i] * ora, stepValue(b, none, i, 0), 1e-5);
            assertEquals(sign[i] * ora + pra[i], stepValue(b, both, i, 0), 1e-5);
            assertEquals(2 * sign[i] * ora + 0.5 * pra[i], stepValue(b, weighted, i, 0), 1e-5);
        }
        // second step: only rollouts 0 and 1 have it: [0.9, 0.1] → ±1/√2 (std + 1e-8)
        double z = 0.4 / (Math.sqrt(0.32) + 1e-8);
        assertEquals(z, stepValue(b, only, 0, 1), 1e-5);
        assertEquals(-z, stepValue(b, only, 1, 1), 1e-5);
    }

    @Test
    void advantagesAreClamped() {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 30; i++) steps(b, "q", "r" + i, i == 0 ? 1.0 : 0.0, 1, "prm", 0.5);
        Rollouts batch = b.build();
        // z of the single success = (1 − 1/30)/√(1/30) ≈ 5.29, clamped to 5; process rewards tie → 0
        float[] a = est.assign(batch).advantages();
        assertEquals(5.0, stepValue(batch, a, 0, 0), 1e-6);
        float[] c = est.assign(batch, p("adv_clip_max", 1.0)).advantages();
        assertEquals(1.0, stepValue(batch, c, 0, 0), 1e-6);
    }

    @Test
    void outcomeComponentsAreWeightedAndMissingProcessRewardsCountZero() {
        RolloutsBuilder b = Rollouts.builder();
        double[][] comps = {{1, 0}, {0, 0}};
        for (int i = 0; i < 2; i++) {
            b.trajectory("q", "r" + i).outcomeComponent("acc", comps[i][0]).outcomeComponent("fmt", comps[i][1]);
            b.span(dev.apportion.core.rollout.Role.POLICY, 2);
            if (i == 0) b.spanSignal("prm", 1.0);
        }
        Rollouts batch = b.build();
        double z = 0.5 / (Math.sqrt(0.5) + 1e-8);
        float[] a = est.assign(batch, p("reward_weights", List.of(3.0, 1.0), "mode", "none"))
                .advantages();
        assertEquals(3 * z, a[0], 1e-5);
        // process rewards [1, 0 (missing)]
        float[] q = est.assign(batch, p("mode", "only")).advantages();
        assertEquals(-z, q[2], 1e-5);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> est.assign(batch, p("reward_weights", List.of(1.0))));
        assertTrue(e.getMessage().contains("reward_weights"), e.getMessage());
    }
}
