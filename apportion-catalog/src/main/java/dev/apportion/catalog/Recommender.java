package dev.apportion.catalog;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Fidelity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Walks the {@link DecisionTree} for a set of {@link Answers} and ranks the leaf's estimators:
 * estimators with measured credit quality (from a benchmark results file) first, best mean first,
 * then the others in the tree's order. Each estimator carries the paper it implements.
 */
public final class Recommender {
    private final DecisionTree tree;
    private final Inventory inventory;
    private final EstimatorRegistry registry;
    private final BenchResults bench;

    public Recommender(DecisionTree tree, Inventory inventory, EstimatorRegistry registry, BenchResults bench) {
        this.tree = Objects.requireNonNull(tree, "tree");
        this.inventory = Objects.requireNonNull(inventory, "inventory");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.bench = bench == null ? BenchResults.empty() : bench;
    }

    public Recommendation recommend(Answers a) {
        String famId = DecisionTree.temporalFamily(a);
        DecisionFamily family = tree.family(famId);
        List<PathStep> path = new ArrayList<>();
        String[] qs = {"verifier", "branching", "critic"};
        boolean[] ans = {a.verifier(), a.branching(), a.critic()};
        for (int i = 0; i < qs.length; i++) {
            boolean decided = ans[i] || i == qs.length - 1;
            String outcome = decided ? "-> " + family.name() : "";
            path.add(new PathStep(qs[i], tree.question(qs[i]).text(), ans[i] ? "yes" : "no", outcome));
            if (ans[i]) break;
        }
        DecisionFamily inter = a.agents() > 1 ? tree.family(DecisionTree.INTER_AGENT) : null;
        path.add(new PathStep(
                "agents",
                tree.question("agents").text(),
                a.agents() + (a.agents() == 1 ? " agent" : " agents"),
                inter != null ? "-> add " + inter.name() : "-> single agent: temporal credit only"));
        path.add(new PathStep(
                "horizon",
                tree.question("horizon").text(),
                a.horizon() + (a.horizon() == 1 ? " turn" : " turns"),
                a.horizon() > 1
                        ? "-> multi-turn (turn-level credit)"
                        : "-> single-turn (token- or trajectory-level credit)"));

        DecisionLeaf leaf = tree.leaf(famId, a.horizonClass())
                .orElseThrow(
                        () -> new IllegalStateException("decision tree lacks leaf " + famId + "/" + a.horizonClass()));
        DecisionLeaf interLeaf =
                inter != null ? tree.leaf(DecisionTree.INTER_AGENT, "any").orElseThrow() : null;

        List<RankedEstimator> ranked = rank(leaf, a, 1);
        if (interLeaf != null) {
            // several agents: the inter-agent estimators are listed after the temporal ones
            List<RankedEstimator> all = new ArrayList<>(ranked);
            for (RankedEstimator r : rank(interLeaf, a, ranked.size() + 1)) {
                if (all.stream().noneMatch(x -> x.id().equals(r.id()))) all.add(r);
            }
            ranked = all;
        }
        Regime regime = a.effectiveRegime();
        List<String> notes = notes(a, regime, ranked);
        List<InventoryEntry> papers = representative(family, regime);
        return new Recommendation(a, regime, path, family, leaf, ranked, inter, interLeaf, papers, notes);
    }

    /**
     * The estimators of a leaf: the tree's curated ids first, then every estimator the inventory
     * places in the leaf (generated: its family from the paper's requirements, its horizon from the
     * regime; see {@link #generated}); only registered ones (unless none is, then the curated ids
     * as plans); methods needing privileged information only when the user has it. Measured credit
     * quality from a results file reorders the measured ones among themselves at the top.
     */
    private List<RankedEstimator> rank(DecisionLeaf leaf, Answers a, int firstRank) {
        List<String> candidates = new ArrayList<>(leaf.estimators());
        for (String id : generated(leaf)) if (!candidates.contains(id)) candidates.add(id);
        candidates.removeIf(id -> !a.goldAnswer() && needsPrivileged(id));
        List<String> order = new ArrayList<>();
        for (String id : candidates) if (registry.ids().contains(id)) order.add(id);
        if (order.isEmpty()) {
            for (String id : leaf.estimators()) if (a.goldAnswer() || !needsPrivileged(id)) order.add(id);
        }
        List<String> base = List.copyOf(order);
        Comparator<String> byMeasure = Comparator.comparing(
                        (String id) -> bench.get(id).isEmpty())
                .thenComparing(
                        id -> -bench.get(id).map(BenchResults.Measure::mean).orElse(0.0))
                .thenComparing(base::indexOf);
        order.sort(byMeasure);
        List<RankedEstimator> out = new ArrayList<>();
        int rank = firstRank;
        for (String id : order) {
            boolean registered = registry.ids().contains(id);
            Fidelity fidelity = registered
                    ? registry.get(id).descriptor().fidelity()
                    : inventory.claimedFidelity(id).orElse(null);
            out.add(new RankedEstimator(
                    id,
                    rank++,
                    registered,
                    fidelity,
                    inventory.paperOf(id).orElse(null),
                    bench.get(id).orElse(null)));
        }
        return out;
    }

    private boolean needsPrivileged(String id) {
        return inventory
                .paperOf(id)
                .map(e -> e.requirements() != null && e.requirements().has(Requirement.PRIVILEGED_INFORMATION))
                .orElse(false);
    }

    /**
     * Registered estimators whose inventory paper places them in {@code leaf}: family by the
     * paper's requirements (first match: verifier → process/verifiable; branchable states or
     * extra rollouts → rollout/counterfactual; critic → TD/value/critic; otherwise implicit
     * signals), horizon by its regime (reasoning → single-turn, agentic → multi-turn, other →
     * both); multi-agent papers go to the inter-agent leaf. Inventory order.
     */
    List<String> generated(DecisionLeaf leaf) {
        List<String> out = new ArrayList<>();
        for (InventoryEntry e : inventory.entries()) {
            if (e.implementedBy().isEmpty() || e.scope() == Scope.OUT_OF_SCOPE) continue;
            if (!placement(e).contains(leaf.family() + "/" + leaf.horizon())) continue;
            for (Implementation impl : e.implementedBy()) {
                if (registry.ids().contains(impl.estimator()) && !out.contains(impl.estimator()))
                    out.add(impl.estimator());
            }
        }
        return out;
    }

    static List<String> placement(InventoryEntry e) {
        if (e.regime() == Regime.MULTI_AGENT) return List.of(DecisionTree.INTER_AGENT + "/any");
        Requirements r = e.requirements();
        String fam;
        if (r != null && r.has(Requirement.VERIFIER)) fam = DecisionTree.TEMPORAL_FAMILIES.get(0);
        else if (r != null && (r.has(Requirement.BRANCHABLE_STATES) || r.has(Requirement.EXTRA_ROLLOUTS)))
            fam = DecisionTree.TEMPORAL_FAMILIES.get(1);
        else if (r != null && r.has(Requirement.CRITIC)) fam = DecisionTree.TEMPORAL_FAMILIES.get(2);
        else fam = DecisionTree.TEMPORAL_FAMILIES.get(3);
        return switch (e.regime()) {
            case REASONING -> List.of(fam + "/single_turn");
            case AGENTIC -> List.of(fam + "/multi_turn");
            default -> List.of(fam + "/single_turn", fam + "/multi_turn");
        };
    }

    private List<String> notes(Answers a, Regime regime, List<RankedEstimator> ranked) {
        List<String> notes = new ArrayList<>();
        if (a.regime() != null) {
            if (a.regime() == Regime.REASONING && a.horizon() > 1) {
                notes.add("regime 'reasoning' with " + a.horizon()
                        + " turns: treated as multi-turn (e.g. tool-integrated reasoning)");
            } else if (a.regime() == Regime.AGENTIC && a.horizon() == 1) {
                notes.add("regime 'agentic' with a single turn: single-turn estimators apply");
            } else if (a.regime() == Regime.MULTI_AGENT && a.agents() == 1) {
                notes.add(
                        "regime 'multi_agent' but only 1 agent shares the reward: no inter-agent decomposition is added");
            } else if (a.regime() == Regime.OTHER) {
                notes.add(
                        "regime 'other' (classical RL, generators): the estimators are ranked for language-model settings; check their requirements");
            }
        }
        if (a.horizon() >= tree.longHorizonTurns()) notes.add(tree.longHorizonNote());
        if (!a.goldAnswer()) {
            notes.add(
                    "no privileged information (gold answer or ground-truth trace): methods that need it, such as igpo, a2tgpo "
                            + "and matchtir, are not listed (answer the gold_answer question yes to include them)");
        }
        if (!ranked.isEmpty() && ranked.stream().noneMatch(RankedEstimator::registered)) {
            notes.add("none of this leaf's estimators is registered in this build of apportion ("
                    + registry.ids().size() + " estimators registered): the ids are the planned implementations");
        }
        if (!bench.isEmpty() && ranked.stream().noneMatch(r -> r.measured() != null)) {
            notes.add("the results file " + bench.source() + " has no credit-quality measurement for these estimators");
        }
        return notes;
    }

    private List<InventoryEntry> representative(DecisionFamily family, Regime regime) {
        List<InventoryEntry> match = new ArrayList<>();
        List<InventoryEntry> rest = new ArrayList<>();
        for (String id : family.representativePapers()) {
            InventoryEntry e = inventory.find(id).orElse(null);
            if (e == null || !e.implementedBy().isEmpty()) continue;
            (e.regime() == regime ? match : rest).add(e);
        }
        match.addAll(rest);
        return match;
    }

    /** "yes"/"no" style answer parsing shared by the command line: yes, no, true, false, y, n. */
    public static boolean yesNo(String text, String what) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "yes", "y", "true":
                return true;
            case "no", "n", "false":
                return false;
            default:
                throw new IllegalArgumentException(what + ": '" + text + "' is not yes or no");
        }
    }
}
