package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.WireName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The registered choice parameters whose values are not lower-case Java names are closed enum
 * families with explicit wire names: the descriptor lists exactly the family's wire names in
 * declaration order (so {@code apportion estimators} is unchanged), every value resolves back
 * to its own constant, and a near miss in case or punctuation is rejected.
 */
class ChoiceFamiliesTest {
    /** estimator id, parameter, enum class (binary name), the wire names as they were declared before the enums. */
    private record Family(String estimator, String parameter, String enumClass, List<String> wires) {}

    private static final String E = "dev.apportion.core.estimator.";

    private static final List<Family> FAMILIES = List.of(
            new Family("dapo", "loss_agg", E + "trajectory.Dapo$LossAgg", List.of("token-mean", "seq-mean-token-mean")),
            new Family(
                    "a2tgpo",
                    "mode",
                    E + "turn.A2tgpoEstimator$Mode",
                    List.of("turn-group-v1d", "joint", "separate", "turn-group")),
            new Family("delta", "impl", E + "token.Delta$Impl", List.of("Normal", "Memory_efficient")),
            new Family("pure", "reward_mode", E + "step.PureEstimator$RewardMode", List.of("PRM", "VR", "PRMVR")),
            new Family("pure", "credit_form", E + "step.PureSteps$CreditForm", List.of("min", "sum")),
            new Family("pure_reward", "credit_form", E + "step.PureSteps$CreditForm", List.of("min", "sum")),
            new Family(
                    "gigpo", "episode_stats", E + "step.Gigpo$EpisodeStats", List.of("per-step-row", "per-trajectory")),
            new Family("poad", "algorithm", E + "token.Poad$Algorithm", List.of("POAD", "NTPO", "ARCHER")),
            new Family(
                    "temporal_schedule",
                    "schedule_mode",
                    E + "token.TemporalScheduleEstimator$ScheduleMode",
                    List.of("linear", "sigmoid", "gamma")),
            new Family(
                    "temporal_schedule",
                    "strategy",
                    E + "token.TemporalScheduleEstimator$Strategy",
                    List.of("tp_schedule", "forking_tok_schedule", "entropy_adv_schedule")));

    @Test
    void everyFamilyMatchesItsDescriptorAndRoundTrips() throws ClassNotFoundException {
        EstimatorRegistry registry = EstimatorRegistry.global();
        for (Family f : FAMILIES) {
            Descriptor d = registry.get(f.estimator()).descriptor();
            ParamSpec spec = d.parameters().stream()
                    .filter(p -> p.name().equals(f.parameter()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(f.estimator() + " has no " + f.parameter()));
            assertEquals(ParamSpec.Type.CHOICE, spec.type(), f.toString());
            assertEquals(f.wires(), spec.choices(), f.estimator() + "." + f.parameter() + ": the declared choices");
            Class<?> type = Class.forName(f.enumClass());
            assertTrue(type.isEnum(), f.enumClass());
            List<String> wires = new ArrayList<>();
            for (Object c : type.getEnumConstants()) {
                String wire = WireName.of((Enum<?>) c);
                wires.add(wire);
                Params p = Params.resolve(d, null, Map.of(f.parameter(), wire));
                assertSame(c, choice(p, f.parameter(), type), f.estimator() + "." + f.parameter() + " = " + wire);
            }
            assertEquals(f.wires(), wires, f.enumClass() + ": the wire names");
            for (String wire : f.wires()) {
                for (String miss : nearMisses(wire)) {
                    String msg = assertThrows(
                                    IllegalArgumentException.class,
                                    () -> Params.resolve(d, null, Map.of(f.parameter(), miss)),
                                    f.estimator() + "." + f.parameter() + " = '" + miss + "'")
                            .getMessage();
                    assertEquals(
                            "estimator '" + f.estimator() + "': parameter '" + f.parameter() + "' must be one of "
                                    + f.wires() + ", got '" + miss + "'",
                            msg);
                }
            }
        }
    }

    /** Every preset of these estimators still resolves, and to a constant of the family. */
    @Test
    void presetsResolveToConstants() throws ClassNotFoundException {
        EstimatorRegistry registry = EstimatorRegistry.global();
        int checked = 0;
        for (Family f : FAMILIES) {
            Descriptor d = registry.get(f.estimator()).descriptor();
            Class<?> type = Class.forName(f.enumClass());
            for (String preset : d.presets().keySet()) {
                Object c = choice(Params.resolve(d, preset, Map.of()), f.parameter(), type);
                assertTrue(type.isInstance(c));
                checked++;
            }
        }
        assertTrue(checked > 10, "presets checked: " + checked);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object choice(Params p, String name, Class<?> type) {
        return p.getChoice(name, (Class) type);
    }

    /** Case and punctuation variants of {@code wire} that are not themselves wire names. */
    private static List<String> nearMisses(String wire) {
        TreeSet<String> out = new TreeSet<>();
        out.add(wire.toUpperCase(java.util.Locale.ROOT));
        out.add(wire.toLowerCase(java.util.Locale.ROOT));
        out.add(Character.toUpperCase(wire.charAt(0)) + wire.substring(1));
        out.add(Character.toLowerCase(wire.charAt(0)) + wire.substring(1));
        out.add(wire.replace('-', '_'));
        out.add(wire.replace('_', '-'));
        out.add(wire + " ");
        out.remove(wire);
        return List.copyOf(out);
    }
}
