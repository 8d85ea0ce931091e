package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.golden.AdaptedCase;
import dev.apportion.io.golden.GoldenAdapters;
import dev.apportion.io.golden.GoldenCase;
import dev.apportion.io.golden.GoldenCases;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * MA-RLHF's macro-level arrays of {@code reasoning.jsonl} (macro boundaries and lengths, macro
 * values, rewards, advantages and returns, token rewards), which the credit does not carry, against
 * {@link MaRlhfEstimator}'s package-private {@code macros} on the batch built by the io module's
 * golden adapter. It lives in the estimator's package (in apportion-io's tests, which have the
 * adapters) to reach that method; the token-level arrays are compared by the conformance test.
 */
class MaRlhfMacrosGoldenTest {
    private static final String FILE = "reasoning.jsonl";

    @TestFactory
    List<DynamicTest> macroArraysMatchTheReference() throws IOException {
        List<DynamicTest> out = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/golden/" + FILE)) {
            assertNotNull(in, "test resource /golden/" + FILE);
            for (GoldenCase c : GoldenCases.load(new InputStreamReader(in, StandardCharsets.UTF_8), FILE)) {
                if (c.estimator().equals(MaRlhfEstimator.ID))
                    out.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
            }
        }
        assertEquals(5, out.size());
        return out;
    }

    private static void check(GoldenCase c) {
        AdaptedCase a = GoldenAdapters.find(c, GoldenAdapters.all()).adapt(c);
        JsonNode e = c.expected();
        Rollouts b = a.batch();
        MaRlhfEstimator est = (MaRlhfEstimator)
                EstimatorRegistry.global().get(MaRlhfEstimator.ID).unwrap();
        Params p = Params.resolve(est.descriptor(), a.preset(), a.params());
        MaRlhfEstimator.Settings cfg = MaRlhfEstimator.Settings.of(p);
        MaRlhfEstimator.Inputs inputs = MaRlhfEstimator.Inputs.of(b, cfg);
        for (int row = 0; row < b.trajectoryCount(); row++) {
            MaRlhfEstimator.Macros m = MaRlhfEstimator.macros(b, inputs, cfg, row);
            // DeepSpeed-Chat position t scores token t + 1
            int offset = b.tokenStart(row) + 1;
            List<Integer> bounds = new ArrayList<>();
            for (int x : m.boundaries()) bounds.add(x - offset);
            assertEquals(ints(e.get("macro_boundaries")), bounds, c.name() + ": macro_boundaries");
            List<Integer> lengths = new ArrayList<>();
            for (int x : m.lengths()) lengths.add(x);
            assertEquals(ints(e.get("macro_lengths")), lengths, c.name() + ": macro_lengths");
            macro(c, "macro_values", e.get("macro_values").get(row), m.values());
            macro(c, "macro_rewards", e.get("macro_rewards").get(row), m.rewards());
            macro(c, "advantages", e.get("advantages").get(row), m.advantages());
            macro(c, "returns", e.get("returns").get(row), m.returns());
            JsonNode tr = e.get("token_rewards").get(row);
            for (int k = 0; k < m.tokenRewards().length; k++) {
                int pos = m.regionStart() - offset + k;
                value(c, "token_rewards[" + row + "][" + pos + "]", tr.get(pos).asDouble(), m.tokenRewards()[k]);
            }
        }
    }

    private static List<Integer> ints(JsonNode v) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : v) out.add((int) x.asDouble());
        return out;
    }

    private static void macro(GoldenCase c, String what, JsonNode want, double[] got) {
        assertEquals(want.size(), got.length, c.name() + ": number of " + what);
        for (int j = 0; j < got.length; j++)
            value(c, what + "[" + j + "]", want.get(j).asDouble(), got[j]);
    }

    private static void value(GoldenCase c, String where, double want, double got) {
        if (Math.abs(got - want) > c.atol() + c.rtol() * Math.abs(want))
            throw new AssertionError(c.name() + ": " + where + " want " + want + " got " + got);
    }
}
