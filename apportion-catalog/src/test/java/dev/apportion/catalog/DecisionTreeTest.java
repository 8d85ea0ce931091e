package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every leaf of the decision tree maps to implemented estimators or says plainly that none is implemented. */
class DecisionTreeTest {
    private final DecisionTree tree = DecisionTree.load();
    private final Inventory inv = Inventory.load();

    /** Every combination of answers: 8 feedback combinations x 1 or 3 agents x 1 or 8 turns. */
    private static List<Answers> allAnswers() {
        List<Answers> out = new ArrayList<>();
        for (int bits = 0; bits < 8; bits++) {
            for (int agents : new int[] {1, 3}) {
                for (int horizon : new int[] {1, 8}) {
                    out.add(new Answers((bits & 4) != 0, (bits & 2) != 0, (bits & 1) != 0, agents, horizon, null));
                }
            }
        }
        return out;
    }

    @Test
    void everyLeafHasEstimatorsTheInventoryClaimsOrSaysNoneIsImplemented() {
        Set<String> claimed = inv.claims().keySet();
        assertEquals(9, tree.leaves().size(), "4 families x 2 horizons + the inter-agent leaf");
        for (DecisionLeaf leaf : tree.leaves()) {
            {
                assertFalse(leaf.estimators().isEmpty(), leaf.id());
                for (String e : leaf.estimators())
                    assertTrue(claimed.contains(e), leaf.id() + ": " + e + " is claimed by no inventory entry");
                assertEquals(
                        leaf.estimators().size(),
                        new HashSet<>(leaf.estimators()).size(),
                        leaf.id() + " lists an estimator twice");
            }
        }
    }

    @Test
    void everyAnswerCombinationReachesAnImplementedLeafWithThePlannedRegistry() {
        Recommender r = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null);
        Set<String> leavesSeen = new HashSet<>();
        for (Answers a : allAnswers()) {
            Recommendation rec = r.recommend(a);
            leavesSeen.add(rec.leaf().id());
            assertTrue(rec.implemented(), () -> rec.leafId() + " has no registered estimator");
            for (RankedEstimator e : rec.estimators()) {
                assertNotNull(e.paper(), e.id() + " has no paper");
                assertNotNull(e.fidelity(), e.id());
            }
            if (a.agents() > 1) {
                assertNotNull(rec.interAgent());
                assertFalse(rec.interAgentLeaf().estimators().isEmpty());
                assertTrue(rec.leafId().endsWith("+inter_agent"));
            } else {
                assertNull(rec.interAgent());
            }
        }
        assertEquals(8, leavesSeen.size(), "every temporal leaf is reachable");
    }

    @Test
    void withAnEmptyRegistryEveryLeafSaysPlainlyThatNoneIsImplemented() {
        Recommender r = new Recommender(tree, inv, FakeEstimators.empty(), null);
        for (Answers a : allAnswers()) {
            Recommendation rec = r.recommend(a);
            assertFalse(rec.implemented());
            assertTrue(
                    rec.notes().stream().anyMatch(n -> n.startsWith("none of this leaf's estimators is registered")),
                    rec.leafId());
        }
    }

    @Test
    void firstYesPicksTheFamily() {
        assertEquals("process_verifiable", DecisionTree.temporalFamily(new Answers(true, true, true, 1, 1, null)));
        assertEquals("rollout_counterfactual", DecisionTree.temporalFamily(new Answers(false, true, true, 1, 1, null)));
        assertEquals("critic_value", DecisionTree.temporalFamily(new Answers(false, false, true, 1, 1, null)));
        assertEquals("implicit_reweighting", DecisionTree.temporalFamily(new Answers(false, false, false, 1, 1, null)));
    }

    @Test
    void pathStopsAtTheFirstYesAndRecordsAgentsAndHorizon() {
        Recommendation rec = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null)
                .recommend(new Answers(false, true, false, 2, 30, null));
        assertEquals(
                List.of("verifier", "branching", "agents", "horizon"),
                rec.path().stream().map(PathStep::question).toList());
        assertEquals(
                "-> " + tree.family("rollout_counterfactual").name(),
                rec.path().get(1).outcome());
        assertEquals("rollout_counterfactual/multi_turn+inter_agent", rec.leafId());
        assertEquals(Regime.MULTI_AGENT, rec.regime());
        assertTrue(rec.notes().contains(tree.longHorizonNote()));
        assertEquals("gigpo", rec.estimators().get(0).id());
        assertEquals("2505.10978", rec.estimators().get(0).paper().id());
    }

    @Test
    void singleTurnWithoutFeedbackRecommendsOutcomeEstimatorsInStaticOrder() {
        Recommendation rec = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null)
                .recommend(new Answers(false, false, false, 1, 1, null));
        assertEquals(Regime.REASONING, rec.regime());
        List<String> ids = rec.estimators().stream().map(RankedEstimator::id).toList();
        List<String> curated =
                tree.leaf("implicit_reweighting", "single_turn").orElseThrow().estimators();
        assertEquals(curated, ids.subList(0, curated.size()), "curated order first, generated estimators after");
        assertTrue(rec.representativePapers().stream()
                .allMatch(e -> e.implementedBy().isEmpty()));
        assertEquals(Regime.REASONING, rec.representativePapers().get(0).regime(), "regime matches come first");
    }

    @Test
    void regimeConflictsProduceNotes() {
        Recommender r = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null);
        assertTrue(r.recommend(new Answers(false, false, true, 1, 5, Regime.REASONING))
                .notes()
                .get(0)
                .contains("treated as multi-turn"));
        assertTrue(r.recommend(new Answers(false, false, true, 1, 1, Regime.AGENTIC))
                .notes()
                .get(0)
                .contains("single-turn estimators"));
        assertTrue(r.recommend(new Answers(false, false, true, 1, 1, Regime.MULTI_AGENT))
                .notes()
                .get(0)
                .contains("only 1 agent"));
    }

    @Test
    void measuredCreditQualityReordersTheLeaf() throws Exception {
        String json =
                "{\"rows\": [{\"estimator\": \"grpo\", \"spearman\": 0.9}, {\"estimator\": \"rloo\", \"spearman\": 0.2},"
                        + " {\"estimator\": \"grpo\", \"spearman\": 0.7}]}";
        EstimatorRegistry reg = FakeEstimators.plannedRegistry();
        BenchResults bench = BenchResults.of(new ObjectMapper().readTree(json), reg.ids(), "results.json");
        Recommendation rec =
                new Recommender(tree, inv, reg, bench).recommend(new Answers(false, false, false, 1, 1, null));
        assertEquals(
                List.of("grpo", "rloo"),
                rec.estimators().subList(0, 2).stream().map(RankedEstimator::id).toList());
        assertEquals(0.8, rec.estimators().get(0).measured().mean(), 1e-12);
        assertEquals(2, rec.estimators().get(0).measured().n());
        assertEquals("dr_grpo", rec.estimators().get(2).id(), "unmeasured estimators keep the static order");
    }

    @Test
    void representativePapersExistInTheInventory() {
        for (DecisionFamily f : tree.families().values()) {
            assertFalse(f.representativePapers().isEmpty(), f.id());
            for (String id : f.representativePapers())
                assertTrue(inv.find(id).isPresent(), f.id() + ": unknown paper " + id);
        }
    }

    @Test
    void answersAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Answers(true, true, true, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new Answers(true, true, true, 1, 0, null));
        assertTrue(Recommender.yesNo("Yes", "x"));
        assertFalse(Recommender.yesNo("n", "x"));
        assertThrows(IllegalArgumentException.class, () -> Recommender.yesNo("maybe", "--critic"));
    }

    @Test
    void parserRejectsATreeWithoutALeaf() {
        String broken = "{\"format\": \"apportion-decision-tree\", \"format_version\": 1, \"tree_version\": \"x\","
                + " \"questions\": [{\"id\":\"verifier\",\"text\":\"?\"},{\"id\":\"branching\",\"text\":\"?\"},{\"id\":\"critic\",\"text\":\"?\"},"
                + "{\"id\":\"agents\",\"text\":\"?\"},{\"id\":\"horizon\",\"text\":\"?\"},{\"id\":\"gold_answer\",\"text\":\"?\"}], \"long_horizon_turns\": 20, \"long_horizon_note\": \"n\","
                + " \"families\": [], \"leaves\": []}";
        CatalogFormatException e = assertThrows(
                CatalogFormatException.class,
                () -> DecisionTree.parse(new ByteArrayInputStream(broken.getBytes(StandardCharsets.UTF_8)), "t.json"));
        assertTrue(e.getMessage().contains("lacks leaf 'process_verifiable/single_turn'"), e.getMessage());
    }

    // ---- issue 7 --------------------------------------------------------------------------------

    @Test
    void leafNotesCarryNoImplementationStatus() {
        // implementation status is generated from the registry and the inventory; a note that says
        // "not implemented" goes stale as soon as someone implements the paper
        for (DecisionLeaf leaf : tree.leaves()) {
            String n = leaf.note().toLowerCase(java.util.Locale.ROOT);
            assertFalse(
                    n.contains("not implemented") || n.contains("not yet") || n.contains("no apportion estimator"),
                    leaf.id() + ": stale implementation status in the note: " + leaf.note());
        }
    }

    @Test
    void everyImplementedInScopePaperIsReachableFromSomeLeaf() {
        EstimatorRegistry reg = FakeEstimators.plannedRegistry();
        Recommender r = new Recommender(tree, inv, reg, null);
        Set<String> reachable = new HashSet<>();
        for (DecisionLeaf leaf : tree.leaves()) {
            reachable.addAll(leaf.estimators());
            reachable.addAll(r.generated(leaf));
        }
        for (InventoryEntry e : inv.entries()) {
            if (e.scope() == Scope.OUT_OF_SCOPE) continue;
            for (Implementation impl : e.implementedBy()) {
                if (reg.ids().contains(impl.estimator()))
                    assertTrue(reachable.contains(impl.estimator()), impl.estimator());
            }
        }
    }

    @Test
    void practitionerRankings() {
        Recommender r = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null);
        // single-turn, outcome only: the GRPO / RLOO / Dr. GRPO family leads
        String first = r.recommend(new Answers(false, false, false, 1, 1, null))
                .estimators()
                .get(0)
                .id();
        assertTrue(Set.of("grpo", "rloo", "dr_grpo").contains(first), first);
        // multi-turn with repeated states: GiGPO leads
        assertEquals(
                "gigpo",
                r.recommend(new Answers(false, false, false, 1, 20, null))
                        .estimators()
                        .get(0)
                        .id());
        // single-turn rollout credit: VinePPO
        assertEquals(
                "vineppo",
                r.recommend(new Answers(false, true, false, 1, 1, null))
                        .estimators()
                        .get(0)
                        .id());
        // GDPO is not process credit
        for (Answers a : allAnswers()) {
            if (a.verifier()) {
                assertFalse(r.recommend(a).estimators().stream().anyMatch(e -> e.id().equals("gdpo")));
            }
        }
        // several agents: a counterfactual or Shapley estimator is listed
        List<String> three = r.recommend(new Answers(false, false, false, 3, 1, null)).estimators().stream()
                .map(RankedEstimator::id)
                .toList();
        assertTrue(three.contains("coma") || three.contains("agent_shapley"), three::toString);
    }

    @Test
    void goldAnswerGatesMethodsThatNeedPrivilegedInformation() {
        Recommender r = new Recommender(tree, inv, FakeEstimators.plannedRegistry(), null);
        List<String> without = r.recommend(new Answers(false, false, false, 1, 8, null, false)).estimators().stream()
                .map(RankedEstimator::id)
                .toList();
        List<String> with = r.recommend(new Answers(false, false, false, 1, 8, null, true)).estimators().stream()
                .map(RankedEstimator::id)
                .toList();
        assertFalse(without.contains("igpo"), without::toString);
        assertTrue(with.contains("igpo"), with::toString);
        assertTrue(tree.questions().stream().anyMatch(q -> q.id().equals("gold_answer")));
    }

    @Test
    void inventoryFieldsFoundWrongByTheAuditAreFixed() {
        assertEquals(Scope.ADJACENT, inv.get("2510.08872").scope(), "GTAlign: reward design is adjacent");
        assertEquals(
                Regime.REASONING,
                inv.get("2411.00809").regime(),
                "Adaptive Segment-level Reward: single-response RLHF");
        assertEquals(
                "SCAR: Shapley Credit Assignment for More Efficient RLHF",
                inv.get("2505.20417").title());
        assertEquals(List.of(Granularity.STEP), inv.get("2604.13517").granularity());
        assertEquals(EvidenceLevel.E1, inv.get("2509.22558").evidence().level(), "StepORLM has no same-size baseline");
        assertEquals(
                EvidenceBasis.REFERENCE_NOTES,
                inv.get("2412.11120").evidence().basis(),
                "LaRe's rationale cites the notes");
        assertEquals(
                "2511.03807", inv.get("seed-fair-credit-scoring-concept-drift").arxivId());
    }
}
