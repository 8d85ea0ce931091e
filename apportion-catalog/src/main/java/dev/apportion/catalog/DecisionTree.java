package dev.apportion.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The method-selection tree of the survey's companion repository, extended with horizon and
 * regime and mapped to apportion estimators.
 *
 * <p>Logic (fixed; the data file holds the texts, families and leaves): the first of
 * verifier, branching, critic answered "yes" picks the family (process/verifiable feedback;
 * rollout/intervention/counterfactual; TD/value/critic); three "no" answers give implicit signals /
 * advantage reweighting. The horizon (1 turn or more) picks the leaf's estimators. Several agents
 * add the inter-agent family on top. Immutable and thread-safe.
 */
public final class DecisionTree {
    public static final String RESOURCE = "/dev/apportion/catalog/decision-tree.json";
    public static final int FORMAT_VERSION = 1;
    /** Families reached by the three feedback questions, in question order, then the all-"no" family. */
    public static final List<String> TEMPORAL_FAMILIES =
            List.of("process_verifiable", "rollout_counterfactual", "critic_value", "implicit_reweighting");

    public static final String INTER_AGENT = "inter_agent";

    private static final CatalogFile.Bundled<DecisionTree> BUNDLED =
            new CatalogFile.Bundled<>(RESOURCE, "decision-tree.json", "decision tree", DecisionTree::parse);

    private final String version;
    private final List<DecisionQuestion> questions;
    private final Map<String, DecisionFamily> families;
    private final List<DecisionLeaf> leaves;
    private final int longHorizonTurns;
    private final String longHorizonNote;

    private DecisionTree(
            String version,
            List<DecisionQuestion> questions,
            Map<String, DecisionFamily> families,
            List<DecisionLeaf> leaves,
            int longHorizonTurns,
            String longHorizonNote) {
        this.version = version;
        this.questions = List.copyOf(questions);
        this.families = Collections.unmodifiableMap(families);
        this.leaves = List.copyOf(leaves);
        this.longHorizonTurns = longHorizonTurns;
        this.longHorizonNote = longHorizonNote;
    }

    /** The bundled tree (parsed once). */
    public static DecisionTree load() {
        return BUNDLED.get();
    }

    /** Parses and validates a decision-tree file: every family has its leaves, every question is present. */
    public static DecisionTree parse(InputStream in, String source) throws IOException {
        JsonNode root = CatalogFile.readObject(in, source);
        JsonFields f = new JsonFields(source);
        if (!f.text(root, "format").equals("apportion-decision-tree"))
            throw f.error("format", "must be 'apportion-decision-tree'");
        CatalogFile.formatVersion(root, f, source, FORMAT_VERSION);
        List<DecisionQuestion> questions = new ArrayList<>();
        for (JsonNode q : f.array(root, "questions"))
            questions.add(new DecisionQuestion(f.text(q, "id"), f.text(q, "text")));
        for (String id : List.of("verifier", "branching", "critic", "agents", "horizon", "gold_answer")) {
            if (questions.stream().noneMatch(q -> q.id().equals(id)))
                throw f.error("questions", "lacks question '" + id + "'");
        }
        Map<String, DecisionFamily> families = new LinkedHashMap<>();
        for (JsonNode n : f.array(root, "families")) {
            DecisionFamily fam = new DecisionFamily(
                    f.text(n, "id"),
                    f.text(n, "name"),
                    f.text(n, "condition"),
                    f.text(n, "cost_risk"),
                    f.texts(n, "representative_papers"));
            if (families.put(fam.id(), fam) != null) throw f.error("families", "defines '" + fam.id() + "' twice");
        }
        List<DecisionLeaf> leaves = new ArrayList<>();
        for (JsonNode n : f.array(root, "leaves")) {
            DecisionLeaf leaf = new DecisionLeaf(
                    f.text(n, "family"), f.text(n, "horizon"), f.texts(n, "estimators"), f.text(n, "note"));
            if (!families.containsKey(leaf.family()))
                throw f.error("leaves", "leaf '" + leaf.id() + "' names unknown family '" + leaf.family() + "'");
            if (leaves.stream().anyMatch(l -> l.id().equals(leaf.id())))
                throw f.error("leaves", "defines leaf '" + leaf.id() + "' twice");
            leaves.add(leaf);
        }
        DecisionTree tree = new DecisionTree(
                f.text(root, "tree_version"),
                questions,
                families,
                leaves,
                f.integer(root, "long_horizon_turns"),
                f.text(root, "long_horizon_note"));
        for (String fam : TEMPORAL_FAMILIES) {
            for (String h : List.of("single_turn", "multi_turn")) {
                if (tree.leaf(fam, h).isEmpty()) throw f.error("leaves", "lacks leaf '" + fam + "/" + h + "'");
            }
        }
        if (!families.containsKey(INTER_AGENT) || tree.leaf(INTER_AGENT, "any").isEmpty()) {
            throw f.error("leaves", "lacks family and leaf '" + INTER_AGENT + "/any'");
        }
        return tree;
    }

    public String version() {
        return version;
    }

    public List<DecisionQuestion> questions() {
        return questions;
    }

    public DecisionQuestion question(String id) {
        return questions.stream()
                .filter(q -> q.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no decision question '" + id + "'"));
    }

    /** Families by id, in file order. */
    public Map<String, DecisionFamily> families() {
        return families;
    }

    public DecisionFamily family(String id) {
        DecisionFamily fam = families.get(id);
        if (fam == null)
            throw new IllegalArgumentException(
                    "no decision family '" + id + "'; known: " + String.join(", ", families.keySet()));
        return fam;
    }

    public List<DecisionLeaf> leaves() {
        return leaves;
    }

    public Optional<DecisionLeaf> leaf(String family, String horizon) {
        return leaves.stream()
                .filter(l -> l.family().equals(family) && l.horizon().equals(horizon))
                .findFirst();
    }

    public int longHorizonTurns() {
        return longHorizonTurns;
    }

    public String longHorizonNote() {
        return longHorizonNote;
    }

    /** The family the three feedback questions lead to. */
    public static String temporalFamily(Answers a) {
        if (a.verifier()) return TEMPORAL_FAMILIES.get(0);
        if (a.branching()) return TEMPORAL_FAMILIES.get(1);
        if (a.critic()) return TEMPORAL_FAMILIES.get(2);
        return TEMPORAL_FAMILIES.get(3);
    }
}
