package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.ParamSpec;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TrajectoryEstimatorsTest {
    private final EstimatorRegistry registry = EstimatorRegistry.of(new TrajectoryEstimators().estimators());

    @Test
    void providesEveryEstimatorOfThePackage() {
        assertEquals(
                List.of(
                        "a_grae",
                        "adora",
                        "adora_vl",
                        "dapo",
                        "dr_grpo",
                        "duration_aware",
                        "gdpo",
                        "gpg",
                        "grpo",
                        "grpo_passk",
                        "lsc",
                        "opo",
                        "reinforce_plus_plus_baseline",
                        "rloo"),
                registry.ids());
        assertTrue(EstimatorRegistry.global().has("grpo"), "found through ServiceLoader");
    }

    @Test
    void openRlhfPresetsDeclareTheAdapterParameters() {
        for (String id : List.of("grpo", "dr_grpo", "rloo", "reinforce_plus_plus_baseline")) {
            Descriptor d = registry.get(id).descriptor();
            assertTrue(d.presets().containsKey("openrlhf"), id);
            Set<String> names = names(d);
            assertTrue(
                    names.containsAll(Set.of(
                            "gamma", "kl_coef", "kl_estimator", "kl_use_loss", "reward_clip_range", "no_std_norm")),
                    id + " " + names);
        }
        for (String id : List.of("grpo", "dr_grpo")) {
            Descriptor d = registry.get(id).descriptor();
            assertTrue(d.presets().containsKey("trl"), id);
            assertTrue(
                    names(d).containsAll(Set.of("scale_rewards", "multi_objective_aggregation", "reward_weights")), id);
        }
        assertTrue(names(registry.get("grpo").descriptor())
                .containsAll(Set.of("epsilon", "normalize_by_std", "std_floor", "std", "epsilon_on", "singleton")));
        assertTrue(registry.get("grpo")
                .descriptor()
                .presets()
                .keySet()
                .containsAll(Set.of("verl", "openrlhf", "trl", "paper")));
    }

    @Test
    void everyEstimatorIsDocumentedAndSourced() {
        for (Estimator e : registry.all()) {
            Descriptor d = e.descriptor();
            assertFalse(d.source().isBlank(), d.id());
            assertFalse(d.summary().isBlank(), d.id());
            for (ParamSpec p : d.parameters())
                assertFalse(p.doc() == null || p.doc().isBlank(), d.id() + "." + p.name());
        }
    }

    private static Set<String> names(Descriptor d) {
        return d.parameters().stream().map(ParamSpec::name).collect(Collectors.toSet());
    }
}
