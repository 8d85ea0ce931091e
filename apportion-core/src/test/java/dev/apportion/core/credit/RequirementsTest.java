package dev.apportion.core.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Requirements are enforced once, by the registry, with one message shape. */
class RequirementsTest {
    private static final Rollouts NO_REWARD =
            Rollouts.builder().trajectory("g", "a").span(Role.POLICY, 2).build();

    @Test
    void everyEstimatorWithAnEnforcedRewardRefusesABatchWithoutRewardsInOneShape() {
        int enforced = 0;
        for (Estimator e : EstimatorRegistry.global().all()) {
            SignalRequirement r = e.descriptor().requires().stream()
                    .filter(SignalRequirement::enforced)
                    .findFirst()
                    .orElse(null);
            if (r == null) continue;
            enforced++;
            RolloutException x = assertThrows(RolloutException.class, () -> e.assign(NO_REWARD), e.id());
            assertEquals(
                    "estimator '" + e.id() + "' needs " + Requirements.describe(r) + "; the batch has none",
                    x.getMessage());
            assertEquals("outcome", x.field(), e.id());
        }
        assertTrue(enforced >= 22, "estimators with an enforced requirement: " + enforced);
    }

    @Test
    void theMessageNamesEstimatorSignalAndProducer() {
        RolloutException x = assertThrows(
                RolloutException.class,
                () -> EstimatorRegistry.global().get("grpo").assign(NO_REWARD));
        assertTrue(
                x.getMessage()
                        .startsWith(
                                "estimator 'grpo' needs trajectory signal 'reward' (any reward: an outcome, outcome"
                                        + " components, span rewards or token_signals.reward) from the reward model or verifier"),
                x.getMessage());
    }

    @Test
    void anEmptyBatchAndAMetRequirementPass() {
        Rollouts empty = Rollouts.builder().build();
        EstimatorRegistry.global().get("grpo").assign(empty);
        Descriptor d = EstimatorRegistry.global().get("grpo").descriptor();
        Rollouts rewarded = Rollouts.builder()
                .trajectory("g", "a")
                .span(Role.POLICY, 2)
                .outcome(1.0)
                .build();
        Requirements.enforce(d, rewarded);
        assertEquals(List.of(), Requirements.unmet(d, rewarded));
        assertEquals(d.requires(), Requirements.unmet(d, NO_REWARD));
    }
}
