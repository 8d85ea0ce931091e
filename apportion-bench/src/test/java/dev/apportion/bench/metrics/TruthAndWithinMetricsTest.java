package dev.apportion.bench.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.testing.Batches;
import dev.apportion.core.credit.Credit;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 7, findings 2 and 3: rounding noise in the truth, and metrics that pooling does not dilute. */
class TruthAndWithinMetricsTest {
    private static SampledBatch batch(String family, Map<String, Object> knobs, long seed) {
        return Batches.sampled(family, knobs, seed);
    }

    @Test
    void truthBelowOneNanoIsExactlyZero() {
        for (String fam : new String[] {"bifurcation", "agentic", "multi_agent", "key_to_door"}) {
            SampledBatch b = batch(fam, Map.of(), 3);
            for (int s : b.policySpans()) {
                float v = b.spanTruth()[s];
                assertTrue(
                        v == 0f || Math.abs(v) >= 1e-9, fam + ": truth " + v + " is rounding noise, not an advantage");
            }
            for (int t : b.policyTokens()) {
                float v = b.tokenTruth()[t];
                assertTrue(v == 0f || Math.abs(v) >= 1e-9, fam + ": token truth " + v);
            }
        }
    }

    /** Credit = the trajectory's summed true advantage on each of its turns (ideal trajectory-level credit). */
    private static Credit trajectoryConstant(SampledBatch b) {
        var r = b.rollouts();
        float[] adv = new float[r.tokenCount()];
        float[] span = new float[r.spanCount()];
        for (int i = 0; i < r.trajectoryCount(); i++) {
            double sum = 0;
            for (int s = r.spanStart(i); s < r.spanEnd(i); s++) if (r.isPolicySpan(s)) sum += b.spanTruth()[s];
            for (int s = r.spanStart(i); s < r.spanEnd(i); s++) {
                if (!r.isPolicySpan(s)) continue;
                span[s] = (float) sum;
                for (int t = r.spanTokenStart(s); t < r.spanTokenEnd(s); t++) adv[t] = (float) sum;
            }
        }
        return Credit.builder(adv).spanAdvantages(span).build();
    }

    @Test
    void withinTrajectorySpearmanIsZeroForTrajectoryConstantCreditAndOneForTheTruth() {
        SampledBatch b = batch("bifurcation", Map.of("horizon", 16, "decisive", 1), 4);
        Map<String, Double> m = CreditMetrics.evaluate(b, trajectoryConstant(b), false, false);
        assertEquals(0.0, m.get(CreditMetrics.WITHIN_TRAJECTORY), 1e-12);
        assertTrue(m.get("spearman") < 0.6, "pooled Spearman of trajectory-constant credit " + m.get("spearman"));
        var r = b.rollouts();
        float[] truthTok = new float[r.tokenCount()];
        for (int s : b.policySpans()) {
            for (int t = r.spanTokenStart(s); t < r.spanTokenEnd(s); t++) truthTok[t] = b.spanTruth()[s];
        }
        Map<String, Double> o =
                CreditMetrics.evaluate(b, Credit.builder(truthTok).build(), false, false);
        assertEquals(1.0, o.get(CreditMetrics.WITHIN_TRAJECTORY), 1e-9);
        assertEquals(1.0, o.get(CreditMetrics.WITHIN_DECISION), 1e-9);
        assertEquals(1.0, o.get("spearman"), 1e-9);
    }
}
