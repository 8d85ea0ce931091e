package dev.apportion.core.estimator.trajectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.testing.GoldenJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every golden case of this package's estimators (verl-and-gigpo.jsonl and openrlhf-trl.jsonl,
 * copied from ../shared/golden) must pass: advantages (and returns when the case has them)
 * within {@code atol + rtol·|want|} where the mask is 1, exactly 0 where it is 0, and the
 * expected refusals refused with an IllegalArgumentException.
 */
class GoldenCasesTest {
    private static final EstimatorRegistry MINE = EstimatorRegistry.of(new TrajectoryEstimators().estimators());

    @Test
    void verlCasesOfThisPackagePass() {
        Map<String, Integer> passed = run("/golden/verl-and-gigpo.jsonl");
        assertEquals(
                Map.of("gpg", 5, "grpo", 15, "grpo_passk", 5, "opo", 5, "reinforce_plus_plus_baseline", 5, "rloo", 10),
                passed);
    }

    @Test
    void openRlhfAndTrlCasesOfThisPackagePass() {
        Map<String, Integer> passed = run("/golden/openrlhf-trl.jsonl");
        assertEquals(
                Map.of(
                        "dr_grpo[openrlhf]",
                        4,
                        "dr_grpo[trl]",
                        4,
                        "grpo[openrlhf]",
                        4,
                        "grpo[trl]",
                        12,
                        "reinforce_plus_plus_baseline[openrlhf]",
                        4,
                        "rloo[openrlhf]",
                        4),
                passed);
    }

    /** Runs the file's cases of this package's estimators; fails listing every failing case; returns passes per estimator. */
    private static Map<String, Integer> run(String resource) {
        List<String> failures = new ArrayList<>();
        Map<String, Integer> passed = new TreeMap<>();
        for (GoldenCases.Case c : GoldenCases.load(resource)) {
            if (!MINE.has(c.estimator())) continue; // another package's estimator
            Estimator e = MINE.get(c.estimator());
            if (c.preset() != null && !e.descriptor().presets().containsKey(c.preset())) {
                failures.add(c.name() + ": preset '" + c.preset() + "' missing");
                continue;
            }
            String problem = check(e, c);
            if (problem == null)
                passed.merge(c.estimator() + (c.preset() == null ? "" : "[" + c.preset() + "]"), 1, Integer::sum);
            else failures.add(c.name() + ": " + problem);
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " golden cases failed:\n" + String.join("\n", failures));
        return passed;
    }

    private static String check(Estimator e, GoldenCases.Case c) {
        if (c.batch() == null) return "layout not supported by the test reader";
        Credit credit;
        try {
            Params p = Params.resolve(e.descriptor(), c.preset(), c.params());
            credit = e.assign(c.batch(), p);
        } catch (IllegalArgumentException ex) {
            return c.error() != null ? null : "refused: " + ex.getMessage();
        }
        if (c.error() != null) return "expected a refusal (" + c.error() + ") but got credit";
        String bad = compare("advantages", credit.advantages(), c.advantages(), c);
        if (bad != null) return bad;
        if (c.returns() != null) {
            if (credit.returns() == null) return "the case has returns but the estimator gave none";
            return compare("returns", credit.returns(), c.returns(), c);
        }
        return null;
    }

    private static String compare(String what, float[] got, double[][] want, GoldenCases.Case c) {
        for (int r = 0; r < want.length; r++) {
            for (int t = 0; t < want[r].length; t++) {
                double g = got[c.tokenIndex()[r][t]];
                if (c.mask()[r][t] == 0) {
                    if (what.equals("advantages") && g != 0)
                        return what + "[" + r + "][" + t + "] on a context token is " + g;
                    continue;
                }
                double w = want[r][t];
                if (!GoldenJson.close(w, g, c.atol(), c.rtol())) {
                    return what + "[" + r + "][" + t + "] want " + w + " got " + g;
                }
            }
        }
        return null;
    }
}
