package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The adapters of reasoning-token.jsonl and prl-poad-itpo.jsonl: who takes which case, and the layouts' rules. */
class ReasoningTokenAndPrlPoadItpoAdaptersTest {
    @Test
    void everyCaseGoesToItsFamilysAdapter() {
        for (GoldenCase c : GoldenFiles.load("reasoning-token.jsonl")) {
            assertSame(
                    ReasoningTokenAdapter.class,
                    GoldenAdapters.find(c, GoldenAdapters.all()).getClass(),
                    c.name());
        }
        for (GoldenCase c : GoldenFiles.load("prl-poad-itpo.jsonl")) {
            assertSame(
                    PrlPoadItpoAdapter.class,
                    GoldenAdapters.find(c, GoldenAdapters.all()).getClass(),
                    c.name());
        }
    }

    @Test
    void everyCaseOfBothFamiliesPasses() {
        for (String f : List.of("reasoning-token.jsonl", "prl-poad-itpo.jsonl")) {
            List<CaseResult> results = Conformance.runAll(GoldenFiles.load(f), EstimatorRegistry.global());
            Conformance.Summary s = Conformance.summarize(results);
            assertEquals(
                    results.size(),
                    s.passed(),
                    f + ": " + s + " "
                            + results.stream()
                                    .filter(r -> r.status() != CaseResult.Status.PASSED)
                                    .map(r -> r.caseName() + ": " + r.detail())
                                    .toList());
        }
    }

    /** The reference uses agent 0's action length for every agent: agent 1's slots are policy tokens exactly where agent 0's are. */
    @Test
    void poadActionsTakeAgentZerosLength() {
        GoldenCase c = GoldenFiles.load("prl-poad-itpo.jsonl").stream()
                .filter(x -> x.name().equals("public/poad/edge/two-agents-agent0-length"))
                .findFirst()
                .orElseThrow();
        AdaptedCase a = new PrlPoadItpoAdapter().adapt(c);
        byte[] mask = a.batch().mask();
        int[][] ti = a.tokenIndex();
        int agents = c.input().get("values").get(0).get(0).size();
        assertEquals(2, agents);
        boolean differs = false;
        for (int row = 0; row < ti.length; row += agents) {
            for (int l = 0; l < ti[row].length; l++) {
                assertEquals(mask[ti[row][l]], mask[ti[row + 1][l]], "row " + row + " slot " + l);
                // agent 1's own tokens end elsewhere in this case: its trailing pads still count
                double tok1 = c.input()
                        .get("action_tokens")
                        .get(row / agents)
                        .get(0)
                        .get(1)
                        .get(l)
                        .asDouble();
                if (mask[ti[row + 1][l]] == 1 && tok1 == 0) differs = true;
            }
        }
        assertTrue(differs, "the case has an agent-1 pad slot inside agent 0's length");
        assertFalse(a.params().containsKey("pad_token_id"));
    }

    /** SPO-chain's prefix values become values before each token; the prompt value sits on token 0. */
    @Test
    void spoChainShiftsPrefixValuesByOneToken() {
        GoldenCase c = GoldenFiles.load("reasoning-token.jsonl").get(0);
        AdaptedCase a = new ReasoningTokenAdapter().adapt(c);
        float[] v = a.batch().tokenSignal(Rollouts.VALUE);
        assertNotNull(v);
        assertEquals((float) c.input().get("prompt_value").get(0).asDouble(), v[0]);
        assertEquals((float) c.input().get("prefix_values").get(0).get(0).asDouble(), v[1]);
    }
}
