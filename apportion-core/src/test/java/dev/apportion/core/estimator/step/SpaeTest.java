package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperBatches.start;
import static dev.apportion.core.testing.PaperBatches.step;
import static dev.apportion.core.testing.PaperBatches.stepValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpaeTest extends EstimatorContract {
    private final Spae est = new Spae();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>();
        Map<String, Object> probe = Map.of("acc_signal", "prm", "conf_signal", "prm");
        out.add(resolved(null, probe));
        out.add(resolved("paper", probe));
        out.add(resolved("penalize", probe));
        out.add(resolved(
                null,
                Map.of(
                        "potential_from",
                        "signal",
                        "potential_signal",
                        "info_gain",
                        "batch_normalize",
                        false,
                        "filter_uniform_groups",
                        false)));
        return out;
    }

    private Params p(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return resolved(null, m);
    }

    private static final double[][] NOTES_PROBES = {{0.1, 0.3}, {0.6, 0.5}, {0.95, 0.9}, {0.97, 0.95}, {0.98, 0.96}};
    private static final double[] NOTES_PHI = {-0.205, 0.25, 0.8575, 0.91725, 0.9412};

    @Test
    void notesPotentialsAndShapedAdvantages() {
        double[] phi = new double[5];
        for (int k = 0; k < 5; k++) {
            phi[k] = Spae.potential(NOTES_PROBES[k][0], NOTES_PROBES[k][1]);
            assertEquals(NOTES_PHI[k], phi[k], 1e-12);
        }
        assertEquals(1.0, Spae.potential(1, 1), 0);
        assertEquals(-1.0, Spae.potential(0, 1), 0);
        assertEquals(0.5, Spae.potential(1, 0), 0);
        double[] out = new double[5];
        int saturated = Spae.shape(1.0, phi, 0, 5, 0.5, 0.5, 0.9, false, out);
        double[] want = {1.0, 1.2275, 1.30375, 1.029875, 0.511975}; // notes, Â^G = +1, α = ξ = 0.5
        for (int k = 0; k < 5; k++) assertEquals(want[k], out[k], 1e-12, "step " + k);
        assertEquals(1, saturated);
    }

    private static void probed(RolloutsBuilder b, String group, String id, double outcome, double[][] probes) {
        start(b, group, id, outcome);
        for (double[] p : probes) step(b, 2, "probe_acc", p[0], "probe_conf", p[1]);
    }

    @Test
    void estimatorWithGroupAdvantage() {
        RolloutsBuilder rb = Rollouts.builder();
        probed(rb, "q", "right", 1.0, NOTES_PROBES);
        probed(rb, "q", "wrong", 0.0, new double[][] {{0.1, 0.2}, {0.2, 0.2}});
        Rollouts b = rb.build();
        Credit c = est.assign(b, p("batch_normalize", false));
        double z = 0.5 / (Math.sqrt(0.5) + 1e-6); // outcomes [1, 0]: unbiased std √0.5
        double[] dPhi = {0, 0.455, 0.6075, 0.05975, 0.02395};
        for (int k = 0; k < 5; k++) {
            double f = k == 4 ? 0.5 : 1.0; // only step 5 comes after Φ > 0.9
            assertEquals(z * f + 0.5 * dPhi[k], stepValue(b, c.advantages(), 0, k), 1e-5, "step " + k);
        }
        // wrong response: Φ = [−0.12, −0.04]
        assertEquals(-z, stepValue(b, c.advantages(), 1, 0), 1e-5);
        assertEquals(-z + 0.5 * 0.08, stepValue(b, c.advantages(), 1, 1), 1e-5);
    }

    @Test
    void penalizeMakesPostSaturationStepsOfWrongAnswersMoreNegative() {
        RolloutsBuilder rb = Rollouts.builder();
        probed(rb, "q", "right", 1.0, new double[][] {{0.5, 0.5}, {0.5, 0.5}});
        probed(rb, "q", "lost", 0.0, new double[][] {{0.97, 0.95}, {0.1, 0.9}}); // Φ 0.91725 then −0.715
        Rollouts b = rb.build();
        double z = 0.5 / (Math.sqrt(0.5) + 1e-6);
        double shaping = 0.5 * (-0.715 - 0.91725);
        float[] scale = est.assign(b, p("batch_normalize", false)).advantages();
        float[] pen = est.assign(b, p("batch_normalize", false, "saturation", "penalize"))
                .advantages();
        assertEquals(-z * 0.5 + shaping, stepValue(b, scale, 1, 1), 1e-5);
        assertEquals(-z - 0.5 * z + shaping, stepValue(b, pen, 1, 1), 1e-5);
        // for the positive response nothing saturates, so both rules agree
        assertEquals(stepValue(b, scale, 0, 1), stepValue(b, pen, 0, 1), 0);
    }

    @Test
    void uniformGroupsAreDroppedAndTheRestWhitened() {
        RolloutsBuilder rb = Rollouts.builder();
        probed(rb, "solved", "a", 1.0, new double[][] {{0.2, 0.2}, {0.9, 0.9}});
        probed(rb, "solved", "b", 1.0, new double[][] {{0.3, 0.3}});
        probed(rb, "mixed", "c", 1.0, new double[][] {{0.2, 0.2}, {0.9, 0.9}, {0.95, 0.95}});
        probed(rb, "mixed", "d", 0.0, new double[][] {{0.2, 0.6}});
        Rollouts b = rb.build();
        Credit c = est.assign(b);
        assertEquals(1.0, c.diagnostics().get("dropped_groups"));
        for (int t = b.tokenStart(0); t < b.tokenEnd(1); t++) assertEquals(0f, c.advantages()[t], 0f);
        // the mixed group's policy tokens are whitened: mean 0, unbiased variance 1 (up to the 1e-8)
        double sum = 0;
        double sq = 0;
        int n = 0;
        for (int t = b.tokenStart(2); t < b.tokenEnd(3); t++) {
            if (b.mask()[t] == 0) continue;
            sum += c.advantages()[t];
            sq += c.advantages()[t] * c.advantages()[t];
            n++;
        }
        assertEquals(0.0, sum / n, 1e-5);
        assertEquals(1.0, (sq - sum * sum / n) / (n - 1), 1e-4);
        // without filtering the solved group is shaped by ξ·ΔΦ alone
        float[] kept = est.assign(b, p("filter_uniform_groups", false, "batch_normalize", false))
                .advantages();
        double dPhi = Spae.potential(0.9, 0.9) - Spae.potential(0.2, 0.2);
        assertEquals(0.5 * dPhi, stepValue(b, kept, 0, 1), 1e-6);
        assertNotEquals(0.0, dPhi);
    }

    @Test
    void potentialGivenDirectly() {
        RolloutsBuilder rb = Rollouts.builder();
        start(rb, "q", "a", 1.0);
        for (double phi : NOTES_PHI) step(rb, 1, "potential", phi);
        start(rb, "q", "b", 0.0);
        step(rb, 1, "potential", 0.0);
        Rollouts b = rb.build();
        float[] a = est.assign(b, p("potential_from", "signal", "batch_normalize", false))
                .advantages();
        double z = 0.5 / (Math.sqrt(0.5) + 1e-6);
        assertEquals(z * 0.5 + 0.5 * 0.02395, stepValue(b, a, 0, 4), 1e-5);
    }

    @Test
    void probeValuesAreChecked() {
        RolloutsBuilder rb = Rollouts.builder();
        probed(rb, "q", "a", 1.0, new double[][] {{1.2, 0.5}});
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(rb.build()));
        assertTrue(e.getMessage().contains("probe_acc") && e.getMessage().contains("1.2"), e.getMessage());
        RolloutsBuilder nb = Rollouts.builder();
        start(nb, "q", "a", 1.0);
        step(nb, 2, "probe_acc", 0.5);
        RolloutException f = assertThrows(RolloutException.class, () -> est.assign(nb.build()));
        assertTrue(f.getMessage().contains("probe_conf"), f.getMessage());
    }
}
