package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamsTest {
    private static final Descriptor D = Descriptor.builder("demo")
            .parameters(
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                    ParamSpec.bool("normalize_by_std", true, "divide by the std"),
                    ParamSpec.integer("n", 3, 1, 10, "a count"),
                    ParamSpec.choice("singleton", "raw", List.of("raw", "zero"), "one-sample groups"),
                    ParamSpec.realList("clip", List.of(-10.0, 10.0), "clip range"))
            .preset("trl", Map.of("epsilon", 1e-4))
            .build();

    @Test
    void defaultsPresetsAndOverridesLayer() {
        Params p = Params.defaults(D);
        assertEquals(1e-6, p.getDouble("epsilon"));
        assertTrue(p.getBoolean("normalize_by_std"));
        assertEquals("raw", p.getString("singleton"));
        assertArrayEquals(new double[] {-10, 10}, p.getDoubleList("clip"));
        Params q = Params.resolve(D, "trl", Map.of("normalize_by_std", "false", "n", "7", "clip", "-1,2"));
        assertEquals(1e-4, q.getDouble("epsilon"));
        assertFalse(q.getBoolean("normalize_by_std"));
        assertEquals(7, q.getInt("n"));
        assertArrayEquals(new double[] {-1, 2}, q.getDoubleList("clip"));
        assertEquals("trl", q.preset());
        Params r = Params.resolve(D, null, Map.of("clip", List.of(-2, 3.5)));
        assertArrayEquals(new double[] {-2, 3.5}, r.getDoubleList("clip"));
    }

    @Test
    void badValuesAreNamed() {
        assertEquals(
                "estimator 'demo' has no parameter 'eps' (parameters: epsilon, normalize_by_std, n, singleton, clip)",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("eps", 1)))
                        .getMessage());
        assertEquals(
                "estimator 'demo' has no preset 'openrlhf' (presets: trl)",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, "openrlhf", Map.of()))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'epsilon' must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("epsilon", "-1")))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'n' must be <= 10, got 11",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("n", 11)))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'n' must be a whole number, got 2.5",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("n", 2.5)))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'singleton' must be one of [raw, zero], got 'one'",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("singleton", "one")))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'normalize_by_std' must be true or false, got 'yes'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> Params.resolve(D, null, Map.of("normalize_by_std", "yes")))
                        .getMessage());
        assertEquals(
                "estimator 'demo': parameter 'epsilon' must be finite, got NaN",
                assertThrows(IllegalArgumentException.class, () -> Params.resolve(D, null, Map.of("epsilon", "NaN")))
                        .getMessage());
    }

    @Test
    void aBadPresetFailsAtRegistration() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Descriptor.builder("x")
                        .parameters(ParamSpec.real("a", 1, 0.0, 1.0, "a"))
                        .preset("p", Map.of("a", 2.0))
                        .build());
    }

    @Test
    void registryResolvesIdsAndAliasesAndSuggests() {
        Estimator e = new Estimator() {
            final Descriptor d =
                    Descriptor.builder("grpo").aliases("group_norm").build();

            @Override
            public Descriptor descriptor() {
                return d;
            }

            @Override
            public Credit assign(dev.apportion.core.rollout.Rollouts batch, Params params, Execution execution) {
                return Credit.of(new float[batch.tokenCount()]);
            }
        };
        EstimatorRegistry r = EstimatorRegistry.of(List.of(e));
        assertEquals(e, r.get("grpo").unwrap());
        assertEquals(e, r.get("group_norm").unwrap());
        assertEquals(List.of("grpo"), r.ids());
        assertEquals(
                "unknown estimator 'gpro' (did you mean 'grpo'?); known: grpo",
                assertThrows(IllegalArgumentException.class, () -> r.get("gpro"))
                        .getMessage());
    }
}
