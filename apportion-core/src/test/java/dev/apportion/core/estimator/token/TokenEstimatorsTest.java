package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenEstimatorsTest {
    @Test
    void providerRegistersEveryTokenEstimatorWithItsPresets() {
        EstimatorRegistry r = EstimatorRegistry.global();
        assertInstanceOf(Gae.class, r.get("gae").unwrap());
        assertInstanceOf(ReinforcePlusPlus.class, r.get("reinforce_plus_plus").unwrap());
        assertInstanceOf(ReMax.class, r.get("remax").unwrap());
        assertInstanceOf(
                OptimalTokenBaseline.class, r.get("optimal_token_baseline").unwrap());
        assertInstanceOf(
                TirOptimalTokenBaseline.class,
                r.get("tir_optimal_token_baseline").unwrap());
        assertInstanceOf(Appo.class, r.get("appo").unwrap());
        assertInstanceOf(TargetDecoupledGae.class, r.get("target_decoupled_gae").unwrap());
        for (Estimator e : new TokenEstimators().estimators()) {
            if (!e.descriptor().source().contains("volcengine/verl")) continue; // ports of verl's own code only
            assertTrue(e.descriptor().presets().containsKey("verl"), e.id());
            assertEquals(
                    Params.defaults(e.descriptor()).values(),
                    Params.resolve(e.descriptor(), "verl", Map.of()).values(),
                    e.id() + ": preset verl = defaults");
        }
    }

    @Test
    void openRlhfPresetsTakeTheGoldenContractParameterNames() {
        for (String id : List.of("gae", "reinforce_plus_plus")) {
            Estimator e = EstimatorRegistry.global().get(id);
            Params p = Params.resolve(
                    e.descriptor(),
                    "openrlhf",
                    Map.of(
                            "gamma",
                            0.9,
                            "lambda",
                            0.95,
                            "kl_coef",
                            0.05,
                            "kl_estimator",
                            "k3",
                            "kl_use_loss",
                            true,
                            "reward_clip_range",
                            List.of(-5.0, 5.0),
                            "no_std_norm",
                            true));
            assertEquals(0.9, p.getDouble("gamma"));
            assertEquals("k3", p.getString("kl_estimator"));
            assertEquals("biased", p.getString("whiten_variance"));
        }
    }
}
