package dev.apportion.catalog.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.catalog.FakeEstimators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecommendCommandTest {
    private static RecommendCommand planned(Path defaultResults) {
        return new RecommendCommand(FakeEstimators::plannedRegistry, defaultResults);
    }

    /** The five answers as options ({@code --horizon} left out when null), then {@code extra}. */
    private static String[] answers(
            String verifier, String branching, String critic, String agents, String horizon, String... extra) {
        List<String> a = new ArrayList<>(
                List.of("--verifier", verifier, "--branching", branching, "--critic", critic, "--agents", agents));
        if (horizon != null) a.addAll(List.of("--horizon", horizon));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void printsPathFamilyAndRankedEstimatorsWithPapers(@TempDir Path dir) {
        Run r = Run.of(planned(dir.resolve("none.json")), answers("no", "no", "yes", "1", "12"));
        assertEquals(0, r.exit(), r.err());
        String o = r.out();
        assertTrue(o.contains("1. Will you run a reliable intermediate verifier during training"), o);
        assertTrue(o.contains("3. Will you train or call a critic during training"), o);
        assertTrue(o.contains("yes  -> TD / value / retrospective-critic credit"), o);
        assertTrue(o.contains("regime: agentic (implied by agents and horizon)"), o);
        assertTrue(
                o.contains("recommended family: TD / value / retrospective-critic credit (critic_value/multi_turn)"),
                o);
        assertTrue(o.contains("  1. gae  fidelity reference  paper: GAE (arXiv 1506.02438)  needs: critic"), o);
        assertTrue(o.contains("representative papers of the family"), o);
        assertFalse(o.contains("not in this build"), o);
    }

    @Test
    void saysPlainlyWhenNothingIsImplemented(@TempDir Path dir) {
        Run r = Run.of(
                new RecommendCommand(FakeEstimators::empty, dir.resolve("none.json")),
                answers("yes", "no", "no", "3", "4"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("vpr [not in this build]"), r.out());
        assertTrue(r.out().contains("none of these is implemented in this build yet"), r.out());
        assertTrue(r.out().contains("several agents share the reward: add inter-agent decomposition"), r.out());
        assertTrue(r.out().contains("coma gives each agent a counterfactual advantage"), r.out());
    }

    @Test
    void jsonOutputAndExplicitResultsRanking(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results.json");
        Files.writeString(
                results,
                "{\"estimators\": {\"dapo\": {\"credit\": {\"spearman\": 0.77}}, \"grpo\": {\"spearman\": 0.5}}}");
        Run r = Run.of(
                planned(dir.resolve("none.json")),
                answers("n", "n", "n", "1", "1", "--results", results.toString(), "--json"));
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("implicit_reweighting/single_turn", j.get("leaf").asText());
        assertEquals("dapo", j.get("estimators").get(0).get("id").asText());
        assertEquals(
                0.77, j.get("estimators").get(0).get("measured").get("mean").asDouble(), 1e-12);
        assertEquals("grpo", j.get("estimators").get(1).get("id").asText());
        assertEquals(
                "2503.14476", j.get("estimators").get(0).get("paper").get("id").asText());
        assertEquals("reasoning", j.get("regime").asText());
        assertTrue(j.get("inter_agent").isNull());
    }

    @Test
    void defaultResultsFileIsUsedWhenPresent(@TempDir Path dir) throws Exception {
        Path def = dir.resolve("results.json");
        Files.writeString(def, "[{\"estimator\": \"tir_optimal_token_baseline\", \"spearman\": 0.95}]");
        Run r = Run.of(planned(def), answers("no", "no", "no", "1", "6"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("  1. tir_optimal_token_baseline"), r.out());
        assertTrue(r.out().contains("measured spearman 0.950 (n=1)"), r.out());
    }

    @Test
    void unreadableExplicitResultsIsBadInputButDefaultIsOnlyAWarning(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("results.json");
        Files.writeString(bad, "{ not json");
        Run r = Run.of(
                planned(dir.resolve("none.json")), answers("no", "no", "no", "1", "1", "--results", bad.toString()));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("results.json: not valid JSON at line 1"), r.err());

        Run w = Run.of(planned(bad), answers("no", "no", "no", "1", "1"));
        assertEquals(0, w.exit());
        assertTrue(w.err().contains("warning: ignoring"), w.err());
    }

    @Test
    void badUsageExitsTwo(@TempDir Path dir) {
        assertEquals(
                2,
                Run.of(planned(dir.resolve("x")), answers("maybe", "no", "no", "1", "1"))
                        .exit());
        assertEquals(
                2,
                Run.of(planned(dir.resolve("x")), answers("no", "no", "no", "0", "1"))
                        .exit());
        assertEquals(
                2,
                Run.of(planned(dir.resolve("x")), answers("no", "no", "no", "1", null))
                        .exit());
        Run reg = Run.of(planned(dir.resolve("x")), answers("no", "no", "no", "1", "1", "--regime", "robotics"));
        assertEquals(2, reg.exit());
        assertTrue(
                reg.err().contains("--regime: 'robotics' is not one of reasoning, agentic, multi_agent, other"),
                reg.err());
    }

    /** Issue 7: the contract outside checks rely on, with the real registry. */
    @Test
    void jsonContractWithTheRealRegistry(@TempDir Path dir) throws Exception {
        var reg = dev.apportion.core.credit.EstimatorRegistry.global();
        java.util.function.Function<String[], com.fasterxml.jackson.databind.JsonNode> run = args -> {
            Run r = Run.of(new RecommendCommand(() -> reg, dir.resolve("none.json")), args);
            assertEquals(0, r.exit(), r.err());
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        };
        var single = run.apply(answers("no", "no", "no", "1", "1", "--json"));
        assertTrue(java.util.Set.of("grpo", "rloo", "dr_grpo")
                .contains(single.get("estimators").get(0).get("id").asText()));
        assertEquals(
                "gigpo",
                run.apply(answers("no", "no", "no", "1", "20", "--json"))
                        .get("estimators")
                        .get(0)
                        .get("id")
                        .asText());
        var three = run.apply(answers("no", "no", "no", "3", "1", "--json"));
        java.util.List<String> ids = new java.util.ArrayList<>();
        three.get("estimators").forEach(e -> ids.add(e.get("id").asText()));
        assertTrue(
                ids.contains("coma") || ids.contains("agent_shapley") || ids.contains("agent_shapley_ig"),
                ids::toString);
        for (var out : java.util.List.of(single, three)) {
            out.get("estimators")
                    .forEach(e -> assertTrue(
                            reg.ids().contains(e.get("id").asText()),
                            e.get("id").asText()));
        }
    }
}
