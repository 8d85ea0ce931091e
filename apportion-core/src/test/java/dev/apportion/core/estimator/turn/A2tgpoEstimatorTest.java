package dev.apportion.core.estimator.turn;

import static dev.apportion.core.estimator.turn.TurnTestBatches.turnValue;
import static dev.apportion.core.estimator.turn.TurnTestBatches.turns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import dev.apportion.core.testing.RandomBatches;
import dev.apportion.core.testing.Tolerance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class A2tgpoEstimatorTest extends EstimatorContract {
    private static final List<String> MODES = List.of("turn-group-v1d", "joint", "separate", "turn-group");
    private final A2tgpoEstimator est = new A2tgpoEstimator();

    @Override
    protected Estimator estimator() {
        return est;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        for (String m : MODES) out.add(Params.resolve(est.descriptor(), null, Map.of("mode", m)));
        for (String m : MODES)
            out.add(Params.resolve(est.descriptor(), "corrected", Map.of("mode", m, "normalize_by_std", false)));
        return out;
    }

    /** methods-agentic.md §2 worked example, read through apportion's builder. */
    @Test
    void workedExample() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "r1", 2, 0.2, 0.1, 1.0);
        turns(b, "q", "r2", 3, 1e-10, -0.1, 0.0);
        Rollouts batch = b.build();
        Credit c = est.assign(batch);
        double[] a = {1.4243, 1.3, 1.0};
        double[] clip = {1.1386, 1.1386, 1.0};
        for (int j = 0; j < 3; j++) {
            assertEquals(a[j], turnValue(batch, c.advantages(), 0, j), 1e-4);
            assertEquals(-a[j], turnValue(batch, c.advantages(), 1, j), 1e-4);
            assertEquals(clip[j], turnValue(batch, c.clipScales(), 0, j), 1e-4);
            assertEquals(2 - clip[j], turnValue(batch, c.clipScales(), 1, j), 1e-4);
        }
        byte[] m = batch.mask();
        for (int t = 0; t < m.length; t++) if (m[t] == 0) assertEquals(1f, c.clipScales()[t], 0f);
    }

    @Test
    void clipScalesOnlyInV1dAndWithinModulationBand() {
        Rollouts batch = RandomBatches.batch(11);
        for (String mode : MODES) {
            Params p = Params.resolve(est.descriptor(), null, Map.of("mode", mode));
            Credit c = est.assign(batch, p);
            if (!mode.equals("turn-group-v1d")) {
                assertNull(c.clipScales(), mode);
                continue;
            }
            assertNotNull(c.clipScales());
            boolean moved = false;
            for (float s : c.clipScales()) {
                assertTrue(s > 0.7f - 1e-6f && s < 1.3f + 1e-6f, "clip scale " + s);
                moved |= s != 1f;
            }
            assertTrue(moved, "some IG turn must get a clip scale other than 1");
        }
    }

    /** Hand numbers for turn-group: one group, three rows with one IG turn each, gamma 0.5. */
    @Test
    void turnGroupDoubleDiscountQuirk() {
        RolloutsBuilder b = Rollouts.builder();
        turns(b, "q", "a", 1, 0.2, 1.0);
        turns(b, "q", "b", 1, -0.1, 0.0);
        turns(b, "q", "c", 1, 0.05, 1.0);
        Rollouts batch = b.build();
        Map<String, Object> p = new LinkedHashMap<>(Map.of("mode", "turn-group", "gamma", 0.5));
        float[] ref =
                est.assign(batch, Params.resolve(est.descriptor(), null, p)).advantages();
        assertEquals(2.2067090, turnValue(batch, ref, 0, 0), 1e-5);
        assertEquals(-3.4119206, turnValue(batch, ref, 1, 0), 1e-5);
        assertEquals(1.2052116, turnValue(batch, ref, 2, 0), 1e-5);
        assertEquals(0.7071053, turnValue(batch, ref, 0, 1), 1e-5);
        p.put("turn_group_double_discount", false);
        float[] single =
                est.assign(batch, Params.resolve(est.descriptor(), null, p)).advantages();
        assertEquals(2.1456536, turnValue(batch, single, 0, 0), 1e-5);
        assertEquals(-3.4493605, turnValue(batch, single, 1, 0), 1e-5);
        assertEquals(1.3037069, turnValue(batch, single, 2, 0), 1e-5);
    }

    @Test
    void groupLocalModesAreGroupLocalAndTurnGroupIsNot() {
        List<RandomBatches.Traj> ts = RandomBatches.trajectories(5, RandomBatches.Options.defaults());
        Map<String, List<RandomBatches.Traj>> byGroup = new LinkedHashMap<>();
        for (RandomBatches.Traj t : ts)
            byGroup.computeIfAbsent(t.group(), k -> new ArrayList<>()).add(t);
        for (String mode : MODES) {
            Params p = Params.resolve(est.descriptor(), null, Map.of("mode", mode));
            Map<String, float[]> whole = perTrajectory(est.assign(RandomBatches.build(ts), p), ts);
            boolean same = true;
            for (List<RandomBatches.Traj> part : byGroup.values()) {
                Map<String, float[]> alone = perTrajectory(est.assign(RandomBatches.build(part), p), part);
                for (Map.Entry<String, float[]> e : alone.entrySet()) {
                    float[] w = whole.get(e.getKey());
                    for (int k = 0; k < w.length; k++) same &= Tolerance.close(w[k], e.getValue()[k], TOL, TOL);
                }
            }
            if (mode.equals("turn-group")) assertFalse(same, "turn-group uses batch-level statistics");
            else assertTrue(same, mode + " must be group-local");
        }
    }
}
