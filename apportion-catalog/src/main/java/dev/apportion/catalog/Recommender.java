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
        path.add(new PathStep("agents", tree.question("agents").text(), a.agents() + (a.agents() == 1 ? " agent" : " agents"),
                inter != null ? "-> add " + inter.name() : "-> single agent: temporal credit only"));
        path.add(new PathStep("horizon", tree.question("horizon").text(), a.horizon() + (a.horizon() == 1 ? " turn" : " turns"),
                a.horizon() > 1 ? "-> multi-turn (turn-level credit)" : "-> single-turn (token- or trajectory-level credit)"));

        DecisionLeaf leaf = tree.leaf(famId, a.horizonClass())
                .orElseThrow(() -> new IllegalStateException("decision tree lacks leaf " + famId + "/" + a.horizonClass()));
        DecisionLeaf interLeaf = inter != null ? tree.leaf(DecisionTree.INTER_AGENT, "any").orElseThrow() : null;

        List<RankedEstimator> ranked = rank(leaf);
        Regime regime = a.effectiveRegime();
        List<String> notes = notes(a, regime, ranked);
        List<InventoryEntry> papers = representative(family, regime);
        return new Recommendation(a, regime, path, family, leaf, ranked, inter, interLeaf, papers, notes);
    }

    private List<RankedEstimator> rank(DecisionLeaf leaf) {
        List<String> order = new ArrayList<>(leaf.estimators());
        Comparator<String> byMeasure = Comparator.comparing((String id) -> bench.get(id).isEmpty())
                .thenComparing(id -> -bench.get(id).map(BenchResults.Measure::mean).orElse(0.0))
                .thenComparing(leaf.estimators()::indexOf);
        order.sort(byMeasure);
        List<RankedEstimator> out = new ArrayList<>();
        int rank = 1;
        for (String id : order) {
            boolean registered = registry.ids().contains(id);
            Fidelity fidelity = registered ? registry.get(id).descriptor().fidelity() : inventory.claimedFidelity(id).orElse(null);
            out.add(new RankedEstimator(id, rank++, registered, fidelity, inventory.paperOf(id).orElse(null), bench.get(id).orElse(null)));
        }
        return out;
    }

    private List<String> notes(Answers a, Regime regime, List<RankedEstimator> ranked) {
        List<String> notes = new ArrayList<>();
        if (a.regime() != null) {
            if (a.regime() == Regime.REASONING && a.horizon() > 1) {
                notes.add("regime 'reasoning' with " + a.horizon() + " turns: treated as multi-turn (e.g. tool-integrated reasoning)");
            } else if (a.regime() == Regime.AGENTIC && a.horizon() == 1) {
                notes.add("regime 'agentic' with a single turn: single-turn estimators apply");
            } else if (a.regime() == Regime.MULTI_AGENT && a.agents() == 1) {
                notes.add("regime 'multi_agent' but only 1 agent shares the reward: no inter-agent decomposition is added");
            } else if (a.regime() == Regime.OTHER) {
                notes.add("regime 'other' (classical RL, generators): the estimators are ranked for language-model settings; check their requirements");
            }
        }
        if (a.horizon() >= tree.longHorizonTurns()) notes.add(tree.longHorizonNote());
        if (!ranked.isEmpty() && ranked.stream().noneMatch(RankedEstimator::registered)) {
            notes.add("none of this leaf's estimators is registered in this build of apportion (" + registry.ids().size()
                    + " estimators registered): the ids are the planned implementations");
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
