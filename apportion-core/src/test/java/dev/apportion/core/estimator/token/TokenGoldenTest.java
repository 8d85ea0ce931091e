package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every golden case of this package's estimators, from the copies of
 * {@code verl-and-gigpo.jsonl} (volcengine/verl@b178a3c) and {@code openrlhf-trl.jsonl}
 * (OpenRLHF@3c3be62) in {@code src/test/resources/golden}, run through the global registry.
 */
class TokenGoldenTest {
    private static final List<String> MINE = List.of(Gae.ID, ReinforcePlusPlus.ID, ReMax.ID);

    private static List<GoldenCases.Case> cases() {
        List<GoldenCases.Case> all = new ArrayList<>();
        all.addAll(GoldenCases.load("/golden/verl-and-gigpo.jsonl", MINE));
        all.addAll(GoldenCases.load("/golden/openrlhf-trl.jsonl", MINE));
        return all;
    }

    @Test
    void everyEstimatorAndPresetOfTheGoldenFilesIsRegistered() {
        List<GoldenCases.Case> all = cases();
        // 4 gae + 4 reinforce_plus_plus + 2 remax (verl), 4 gae + 4 reinforce (OpenRLHF)
        assertEquals(18, all.size(), "golden cases of gae, reinforce_plus_plus, remax");
        for (GoldenCases.Case c : all) {
            Estimator e = EstimatorRegistry.global().get(c.estimator());
            if (c.preset() != null) assertTrue(e.descriptor().presets().containsKey(c.preset()), c.name());
        }
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c)));
    }

    private static void run(GoldenCases.Case c) {
        Estimator e = EstimatorRegistry.global().get(c.estimator());
        Params p = Params.resolve(e.descriptor(), c.preset(), c.params());
        if (c.error() != null) {
            assertThrows(IllegalArgumentException.class, () -> e.assign(c.batch(), p), c.name());
            return;
        }
        Credit credit = e.assign(c.batch(), p);
        compare(c, "advantages", c.advantages(), credit.advantages(), true);
        if (c.returns() != null) {
            assertNotNull(credit.returns(), c.name() + ": the estimator must produce returns");
            compare(c, "returns", c.returns(), credit.returns(), false);
        }
    }

    private static void compare(GoldenCases.Case c, String what, double[][] want, float[] got, boolean zeroOnContext) {
        for (int i = 0; i < want.length; i++) {
            for (int t = 0; t < want[i].length; t++) {
                float g = got[c.tokenIndex()[i][t]];
                if (c.mask()[i][t] == 1) {
                    double w = want[i][t];
                    if (Math.abs(g - w) > c.atol() + c.rtol() * Math.abs(w)) {
                        fail(c.name() + ": " + what + "[" + i + "][" + t + "] want " + w + " got " + g);
                    }
                } else if (zeroOnContext && g != 0f) {
                    fail(c.name() + ": " + what + "[" + i + "][" + t + "] is a context token but got " + g);
                }
            }
        }
    }
}
