package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.core.credit.Fidelity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Counts, merge, scope and provenance of the bundled inventory. */
class InventoryTest {
    private static final Path SHARED = Path.of("..", "..", "shared");
    private final Inventory inv = Inventory.load();

    @Test
    void countsMatchTheSources() {
        List<InventoryEntry> all = inv.entries();
        long seed = all.stream().filter(e -> e.from("seed")).count();
        long catalog = all.stream().filter(e -> e.from("survey_catalog")).count();
        long both = all.stream()
                .filter(e -> e.from("seed") && e.from("survey_catalog"))
                .count();
        long added = all.stream()
                .filter(e -> e.sources().equals(List.of("apportion")))
                .count();
        assertEquals(60, seed, "seed papers");
        assertEquals(73, catalog, "survey-catalog entries");
        assertEquals(17, both, "entries in both the seed list and the catalog");
        assertEquals(seed + catalog - both + added, all.size(), "every entry comes from a source");
        MergeStats m = inv.merge();
        assertEquals(seed, m.seedPapers());
        assertEquals(catalog, m.catalogEntries());
        assertEquals(both, m.coinciding());
        assertEquals(added, m.addedByApportion());
        assertEquals(all.size(), m.entries());
        assertEquals(List.of("2412.11120", "2504.15275"), m.coincidingByTitle());
    }

    @Test
    void everyEntryHasAScopeAndAReasonAndIdsAreConsistent() {
        Set<String> ids = new HashSet<>();
        for (InventoryEntry e : inv.entries()) {
            assertTrue(ids.add(e.id()), "duplicate id " + e.id());
            assertNotNull(e.scope(), e.id());
            assertTrue(e.scopeReason().length() >= 10, () -> e.id() + " has no scope reason");
            assertFalse(e.summary().isBlank(), e.id());
            if (e.id().matches("\\d{4}\\.\\d{4,5}")) assertEquals(e.id(), e.arxivId(), e.id());
            if (e.arxivId() != null) assertEquals("https://arxiv.org/abs/" + e.arxivId(), e.url(), e.id());
            if (e.scope() == Scope.OUT_OF_SCOPE) {
                assertNull(e.requirements(), e.id());
                assertNull(e.evidence(), e.id());
                assertTrue(e.implementedBy().isEmpty(), e.id());
            } else {
                assertNotNull(e.requirements(), e.id());
                assertNotNull(e.evidence(), e.id());
            }
            if (e.scope() == Scope.CORE)
                assertFalse(e.granularity().isEmpty(), () -> e.id() + ": a core method needs a credit unit");
        }
    }

    @Test
    void financialCreditPapersAreOutOfScope() {
        for (String id : List.of("2509.09855", "2401.16458", "seed-fair-credit-scoring-concept-drift", "2512.22313")) {
            InventoryEntry e = inv.get(id);
            assertEquals(Scope.OUT_OF_SCOPE, e.scope(), id);
        }
        assertTrue(inv.get("2401.16458").scopeReason().contains("financial"));
    }

    @Test
    void claimsAreExactlyThePlannedEstimatorsWithTheirFidelity() {
        Map<String, List<InventoryEntry>> claims = inv.claims();
        assertEquals(new TreeSet<>(FakeEstimators.PLANNED.keySet()), new TreeSet<>(claims.keySet()));
        FakeEstimators.PLANNED.forEach(
                (id, f) -> assertEquals(f, inv.claimedFidelity(id).orElseThrow(), id));
        for (String ref : InventoryRegistryCheck.REFERENCE_ESTIMATORS) assertFalse(claims.containsKey(ref), ref);
        for (List<InventoryEntry> es : claims.values()) {
            for (InventoryEntry e : es)
                assertNotEquals(Scope.OUT_OF_SCOPE, e.scope(), () -> e.id() + " is implemented but out of scope");
        }
    }

    @Test
    void classicMethodsHaveCoreEntriesWithASourceNote() {
        Map<String, String> classic = Map.of(
                "grpo",
                "2402.03300",
                "rloo",
                "2402.14740",
                "gae",
                "1506.02438",
                "remax",
                "2310.10505",
                "reinforce_plus_plus",
                "2501.03262",
                "dapo",
                "2503.14476",
                "dr_grpo",
                "2503.20783",
                "opo",
                "2505.23585",
                "gpg",
                "2504.02546",
                "grpo_passk",
                "2503.19595");
        classic.forEach((est, id) -> {
            InventoryEntry e = inv.get(id);
            assertEquals(Scope.CORE, e.scope(), id);
            assertEquals(List.of("apportion"), e.sources(), id);
            assertTrue(e.notes().startsWith("Added by apportion"), id);
            assertTrue(e.implementedBy().stream().anyMatch(i -> i.estimator().equals(est)), id + " claims " + est);
        });
    }

    @Test
    void entriesMergedByTitleExplainTheCatalogIdMismatch() {
        for (String id : inv.merge().coincidingByTitle()) {
            InventoryEntry e = inv.get(id);
            assertTrue(e.from("seed") && e.from("survey_catalog"), id);
            assertTrue(e.notes().contains("lists this paper as arXiv"), id);
            String catalogId = inv.json(id).get("catalog").get("id").asText();
            assertFalse(catalogId.equals(id), id);
        }
    }

    @Test
    void everySeedPaperOfTheSharedReadingListIsPresent() throws IOException {
        Path seed = SHARED.resolve("seed").resolve("000_443399dc7c551eca.txt");
        assumeTrue(Files.isRegularFile(seed), "shared seed list absent");
        String text = Files.readString(seed, StandardCharsets.UTF_8);
        Set<String> seedTitles = new HashSet<>();
        for (InventoryEntry e : inv.entries()) {
            if (e.from("seed"))
                seedTitles.add(inv.json(e.id()).get("seed").get("title").asText());
        }
        assertEquals(60, seedTitles.size(), "60 distinct seed titles in the inventory");
        List<String> notInSeed = new ArrayList<>();
        for (String t : seedTitles) {
            if (!text.contains("\n" + t + "\n")) notInSeed.add(t);
        }
        assertTrue(notInSeed.isEmpty(), () -> "inventory seed titles not found in the seed list: " + notInSeed);
        // every title line of the listing (a line followed by a blank line and a long abstract) is in the inventory
        String[] lines = text.split("\n", -1);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i + 2 < lines.length; i++) {
            boolean title = !lines[i].isBlank()
                    && lines[i].length() < 300
                    && (i == 0 || lines[i - 1].isBlank())
                    && lines[i + 1].isBlank()
                    && lines[i + 2].length() > 400;
            if (title && !seedTitles.contains(lines[i].strip())) missing.add(lines[i]);
        }
        assertTrue(missing.isEmpty(), () -> "seed papers missing from the inventory: " + missing);
    }

    @Test
    void everySurveyCatalogEntryIsPresentVerbatim() throws IOException {
        Path file = SHARED.resolve("data").resolve("survey-catalog").resolve("papers.json");
        assumeTrue(Files.isRegularFile(file), "shared survey catalog absent");
        JsonNode catalog = new ObjectMapper().readTree(file.toFile());
        Map<String, JsonNode> byCatalogId = new HashMap<>();
        for (InventoryEntry e : inv.entries()) {
            JsonNode c = inv.json(e.id()).get("catalog");
            if (c.isObject()) byCatalogId.put(c.get("id").asText(), c);
        }
        int n = 0;
        for (JsonNode p : catalog.get("papers")) {
            String id = p.get("id").asText();
            JsonNode c = byCatalogId.get(id);
            assertNotNull(c, () -> "catalog entry " + id + " is missing");
            var fields = c.fieldNames();
            while (fields.hasNext()) {
                String f = fields.next();
                assertEquals(p.get(f), c.get(f), id + "." + f + " differs from the catalog");
            }
            n++;
        }
        assertEquals(73, n);
        assertEquals(73, byCatalogId.size());
    }

    @Test
    void catalogLabelsAreKeptAndEntriesOutsideTheCatalogHaveNone() {
        for (InventoryEntry e : inv.entries()) {
            if (e.from("survey_catalog")) assertNotNull(e.methodology().catalogLabel(), e.id());
            else assertNull(e.methodology().catalogLabel(), e.id());
        }
        assertEquals("MC (group)", inv.get("2505.10978").methodology().catalogLabel());
    }

    @Test
    void rubricIsCumulativeWithFiveLevels() {
        EvidenceRubric r = inv.rubric();
        assertTrue(r.cumulative());
        assertEquals(5, r.levels().size());
        assertEquals(EvidenceLevel.E4, r.levels().get(4).level());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("lower bound")));
    }

    @Test
    void knownClassificationsSpotChecked() {
        InventoryEntry gigpo = inv.get("2505.10978");
        assertEquals(Regime.AGENTIC, gigpo.regime());
        assertTrue(gigpo.requirements().needed().isEmpty(), "GiGPO needs no critic and no extra rollouts");
        assertEquals(Fidelity.REFERENCE, gigpo.implementedBy().get(0).fidelity());
        InventoryEntry vine = inv.get("2410.01679");
        assertTrue(vine.requirements().has(Requirement.BRANCHABLE_STATES)
                && vine.requirements().has(Requirement.EXTRA_ROLLOUTS));
        assertTrue(
                inv.get("2510.14967").requirements().has(Requirement.PRIVILEGED_INFORMATION),
                "IGPO needs the gold answer");
        assertTrue(inv.get("2601.10712").requirements().has(Requirement.VERIFIER), "MatchTIR verifies tool calls");
        assertEquals(Regime.MULTI_AGENT, inv.get("2602.08847").regime());
        assertTrue(inv.get("2602.08335")
                .methodology()
                .axes()
                .contains(dev.apportion.core.credit.Methodology.GAME_THEORETIC));
    }

    private static InputStream bytes(JsonNode n) {
        return new ByteArrayInputStream(n.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode bundledCopy() throws IOException {
        try (InputStream in = InventoryTest.class.getResourceAsStream(Inventory.RESOURCE)) {
            return (ObjectNode) new ObjectMapper().readTree(in);
        }
    }

    @Test
    void loaderNamesEntryFieldAndValue() throws IOException {
        ObjectNode doc = bundledCopy();
        ObjectNode e = (ObjectNode) doc.get("entries").get(3);
        String id = e.get("id").asText();
        e.put("regime", "robotics");
        CatalogFormatException ex =
                assertThrows(CatalogFormatException.class, () -> Inventory.parse(bytes(doc), "x.json"));
        assertTrue(
                ex.getMessage().contains("x.json: entry '" + id + "': field 'regime' value 'robotics'"),
                ex.getMessage());
    }

    @Test
    void loaderRejectsNewerFormatsDuplicatesAndBadJson() throws IOException {
        ObjectNode doc = bundledCopy();
        doc.put("format_version", 2);
        CatalogFormatException ex =
                assertThrows(CatalogFormatException.class, () -> Inventory.parse(bytes(doc), "x.json"));
        assertEquals("x.json: format version 2 is newer than this reader (supports up to 1)", ex.getMessage());

        ObjectNode dup = bundledCopy();
        dup.withArray("entries").add(dup.get("entries").get(0).deepCopy());
        ex = assertThrows(CatalogFormatException.class, () -> Inventory.parse(bytes(dup), "x.json"));
        assertTrue(ex.getMessage().contains("appears twice"), ex.getMessage());

        IOException io = assertThrows(
                IOException.class,
                () -> Inventory.parse(
                        new ByteArrayInputStream("{\n \"format\": \n".getBytes(StandardCharsets.UTF_8)), "bad.json"));
        assertTrue(io.getMessage().startsWith("bad.json: not valid JSON at line"), io.getMessage());
    }

    @Test
    void outOfScopeEntryWithEvidenceIsRejected() throws IOException {
        ObjectNode doc = bundledCopy();
        for (JsonNode n : doc.get("entries")) {
            if (n.get("scope").asText().equals("out_of_scope")) {
                ((ObjectNode) n)
                        .putObject("evidence")
                        .put("level", "E1")
                        .put("basis", "abstract")
                        .put("rationale", "made up for the test");
                break;
            }
        }
        CatalogFormatException ex =
                assertThrows(CatalogFormatException.class, () -> Inventory.parse(bytes(doc), "x.json"));
        assertTrue(
                ex.getMessage().contains("field 'evidence' must be null for an out-of-scope entry"), ex.getMessage());
    }

    @Test
    void regimeCountsCoverEveryEntry() {
        Map<Regime, Long> byRegime =
                inv.entries().stream().collect(Collectors.groupingBy(InventoryEntry::regime, Collectors.counting()));
        assertEquals(
                inv.entries().size(),
                byRegime.values().stream().mapToLong(Long::longValue).sum());
        assertTrue(byRegime.keySet().containsAll(Set.of(Regime.values())));
    }
}
