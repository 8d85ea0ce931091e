package dev.apportion.bench.estimators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.metrics.CreditMetrics;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import dev.apportion.bench.testing.Batches;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference estimators validate the metrics: the oracle scores perfectly, random scores about chance. */
class ReferenceEstimatorsTest {
    private static SampledBatch batch(String family, Map<String, Object> knobs, long seed) {
        return Batches.sampled(family, knobs, seed);
    }

    @Test
    void registeredThroughTheServiceLoader() {
        assertTrue(EstimatorRegistry.global().has("oracle"));
        assertTrue(EstimatorRegistry.global().has("random"));
    }

    @Test
    void oracleScoresOneOnEveryFamily() {
        OracleEstimator o = new OracleEstimator();
        for (TaskFamily f : TaskFamilies.all()) {
            Map<String, Object> k =
                    f.id().equals("bifurcation") ? Map.of("tokens_per_turn", 3, "distractor_noise", 1.0) : Map.of();
            SampledBatch b = batch(f.id(), k, 3);
            assertEquals(null, b.rollouts().spanSignal("true_advantage"), "the truth reaches references only");
            assertEquals(null, b.rollouts().tokenSignal("true_advantage"), "the truth reaches references only");
            Credit c = o.assign(b.referenceRollouts());
            Map<String, Double> m = CreditMetrics.evaluate(b, c, true, true);
            assertEquals(1.0, m.get("spearman"), 1e-6, f.id() + " spearman");
            assertEquals(1.0, m.get("sign_agreement"), 1e-12, f.id() + " sign agreement");
            if (!Double.isNaN(m.get("auroc"))) {
                assertEquals(1.0, m.get("auroc"), 1e-12, f.id() + " auroc");
                assertEquals(0.0, m.get("leakage"), 1e-12, f.id() + " leakage");
            }
            assertEquals(1.0, m.get("token_spearman"), 1e-6, f.id() + " token spearman");
            byte[] mask = b.rollouts().mask();
            for (int t = 0; t < mask.length; t++) if (mask[t] == 0) assertEquals(0f, c.advantages()[t]);
        }
    }

    @Test
    void oracleNeedsTheTruthSignal() {
        Rollouts plain = Rollouts.builder()
                .trajectory("g", "t")
                .outcome(1)
                .span(dev.apportion.core.rollout.Role.POLICY, 2)
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> new OracleEstimator().assign(plain));
        assertTrue(e.getMessage().contains("true_advantage"), e.getMessage());
    }

    @Test
    void randomScoresAboutZeroRankCorrelation() {
        RandomEstimator r = new RandomEstimator();
        double sum = 0;
        double auroc = 0;
        int n = 0;
        for (long seed = 0; seed < 40; seed++) {
            SampledBatch b = batch("bifurcation", Map.of("horizon", 8), seed);
            Map<String, Double> m = CreditMetrics.evaluate(b, r.assign(b.rollouts()), false, false);
            sum += m.get("spearman");
            auroc += m.get("auroc");
            n++;
        }
        assertEquals(0.0, sum / n, 0.05, "mean rank correlation of random credit");
        assertEquals(0.5, auroc / n, 0.05, "mean AUROC of random credit");
    }

    @Test
    void randomIsDeterministicPerTrajectoryAndDiffersBetweenSamples() {
        SampledBatch b1 = batch("agentic", Map.of(), 1);
        SampledBatch b2 = batch("agentic", Map.of(), 2);
        RandomEstimator r = new RandomEstimator();
        float[] a1 = r.assign(b1.rollouts()).advantages();
        assertEquals(
                java.util.Arrays.toString(a1),
                java.util.Arrays.toString(r.assign(b1.rollouts()).advantages()));
        assertNotEquals(a1[b1.policyTokens()[0]], r.assign(b2.rollouts()).advantages()[b2.policyTokens()[0]]);
    }
}
