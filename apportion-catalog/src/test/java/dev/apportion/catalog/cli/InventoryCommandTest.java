package dev.apportion.catalog.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.catalog.FakeEstimators;
import dev.apportion.catalog.Inventory;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Fidelity;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class InventoryCommandTest {
    private static final Supplier<EstimatorRegistry> EMPTY = FakeEstimators::empty;

    private static JsonNode json(Run r) throws Exception {
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void defaultTableListsEveryEntry() {
        Run r = Run.of(new InventoryCommand(EMPTY));
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("ID"), lines[0]);
        int n = Inventory.load().entries().size();
        assertEquals(n + 3, lines.length, "header + one line per entry + core counts + summary");
        assertTrue(lines[lines.length - 1].startsWith(n + " of " + n + " entries"), lines[lines.length - 1]);
        assertTrue(r.out().contains("(gigpo)"), "unregistered estimators in parentheses");
    }

    /** Issue 12 §3: the core listing has no entry that is neither implemented nor explained. */
    @Test
    void coreListingExplainsEveryUnimplementedEntry() {
        Run r = Run.of(new InventoryCommand(EMPTY), "--scope", "core");
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().contains("UNEXPLAINED"), r.out());
        long core = Inventory.load().entries().stream()
                .filter(e -> e.scope() == dev.apportion.catalog.Scope.CORE)
                .count();
        long impl = Inventory.load().entries().stream()
                .filter(e -> e.scope() == dev.apportion.catalog.Scope.CORE
                        && !e.implementedBy().isEmpty())
                .count();
        assertTrue(
                r.out()
                        .contains("core: " + impl + " implemented, " + (core - impl)
                                + " not runnable (reason given), 0 unexplained"),
                r.out());
        assertTrue(r.out().contains("not runnable: "), r.out());
    }

    @Test
    void filtersCombine() throws Exception {
        JsonNode out = json(Run.of(
                new InventoryCommand(EMPTY),
                "--granularity",
                "turn",
                "--regime",
                "agentic",
                "--scope",
                "core",
                "--methodology",
                "information-theoretic",
                "--json"));
        assertTrue(out.get("count").asInt() > 3);
        for (JsonNode e : out.get("entries")) {
            assertEquals("agentic", e.get("regime").asText());
            assertEquals("core", e.get("scope").asText());
            assertTrue(
                    e.get("granularity").toString().contains("\"turn\""),
                    e.get("id").asText());
            assertTrue(
                    e.get("methodology").get("axes").toString().contains("information_theoretic"),
                    e.get("id").asText());
        }
    }

    @Test
    void commaSeparatedValuesMatchAny() throws Exception {
        int core = json(Run.of(new InventoryCommand(EMPTY), "--scope", "core", "--json"))
                .get("count")
                .asInt();
        int adj = json(Run.of(new InventoryCommand(EMPTY), "--scope", "adjacent", "--json"))
                .get("count")
                .asInt();
        int both = json(Run.of(new InventoryCommand(EMPTY), "--scope", "core,adjacent", "--json"))
                .get("count")
                .asInt();
        assertEquals(core + adj, both);
    }

    @Test
    void llmAsCriticAndMinEvidence() throws Exception {
        JsonNode llm = json(Run.of(new InventoryCommand(EMPTY), "--methodology", "llm_as_critic", "--json"));
        for (JsonNode e : llm.get("entries"))
            assertTrue(e.get("methodology").get("llm_as_critic").asBoolean());
        JsonNode strong = json(Run.of(new InventoryCommand(EMPTY), "--min-evidence", "E3", "--json"));
        for (JsonNode e : strong.get("entries"))
            assertTrue(e.get("evidence").get("level").asText().compareTo("E3") >= 0);
        assertEquals(12, strong.get("count").asInt());
    }

    @Test
    void implementedUsesTheRegistry() throws Exception {
        assertEquals(
                0,
                json(Run.of(new InventoryCommand(EMPTY), "--implemented", "--json"))
                        .get("count")
                        .asInt());
        Supplier<EstimatorRegistry> one = () -> FakeEstimators.registry(Map.of("gigpo", Fidelity.REFERENCE));
        JsonNode out = json(Run.of(new InventoryCommand(one), "--implemented", "--json"));
        assertEquals(1, out.get("count").asInt());
        assertEquals("2505.10978", out.get("entries").get(0).get("id").asText());
        JsonNode all = json(Run.of(new InventoryCommand(FakeEstimators::plannedRegistry), "--implemented", "--json"));
        assertEquals(
                64,
                all.get("count")
                        .asInt()); // 50 + MT-GRPO, SPA-RL, Dr. MAS, C3, CCPO + DelTA, AT2PO, ArCHer, FlowTracer +
        // TP-GRPO, InT, Graph-GRPO, APPO, RoR
    }

    @Test
    void csvHasAHeaderAndQuotedFields() {
        Run r = Run.of(new InventoryCommand(EMPTY), "--csv", "--scope", "out_of_scope");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(String.join(",", InventoryCommand.CSV_HEADER), lines[0]);
        assertEquals(14, lines.length, "header + 13 out-of-scope entries (GTAlign moved to adjacent, issue 7)");
        assertTrue(
                r.out()
                        .contains(
                                ",\"economic agents and scoring rules (mechanism design), not RL credit assignment\","),
                "fields with commas are quoted");
        assertEquals("\"a \"\"b\"\", c\"", InventoryCommand.csv("a \"b\", c"));
    }

    @Test
    void badFilterValueIsAUsageError() {
        Run r = Run.of(new InventoryCommand(EMPTY), "--granularity", "paragraph");
        assertEquals(2, r.exit());
        assertTrue(
                r.err()
                        .contains(
                                "--granularity: 'paragraph' is not one of token, segment, step, turn, trajectory, multi_agent"),
                r.err());
        Run j = Run.of(new InventoryCommand(EMPTY), "--json", "--csv");
        assertEquals(2, j.exit());
    }

    @Test
    void unreadableInventoryFileExitsTwo() {
        Run r = Run.of(new InventoryCommand(EMPTY), "--file", "does-not-exist.json");
        assertEquals(2, r.exit());
        assertFalse(r.err().isBlank());
    }
}
