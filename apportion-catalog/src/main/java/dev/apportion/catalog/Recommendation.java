package dev.apportion.catalog;

import java.util.List;

/**
 * What {@link Recommender} recommends for one set of answers.
 *
 * @param answers the answers
 * @param regime the regime used (named or implied)
 * @param path questions and answers in order
 * @param family the temporal family the feedback questions lead to
 * @param leaf the leaf of that family at the horizon class
 * @param estimators the leaf's estimators, ranked (measured credit quality first when available)
 * @param interAgent the inter-agent family when several agents share the reward, else null
 * @param interAgentLeaf its leaf (no estimator is implemented for it yet), else null
 * @param representativePapers representative papers of the family that no apportion estimator implements, regime matches first
 * @param notes remarks on the answers (regime conflicts, long horizons, registry)
 */
public record Recommendation(
        Answers answers,
        Regime regime,
        List<PathStep> path,
        DecisionFamily family,
        DecisionLeaf leaf,
        List<RankedEstimator> estimators,
        DecisionFamily interAgent,
        DecisionLeaf interAgentLeaf,
        List<InventoryEntry> representativePapers,
        List<String> notes) {
    public Recommendation {
        path = List.copyOf(path);
        estimators = List.copyOf(estimators);
        representativePapers = List.copyOf(representativePapers);
        notes = List.copyOf(notes);
    }

    /** True when at least one of the leaf's estimators is registered in this build. */
    public boolean implemented() {
        return estimators.stream().anyMatch(RankedEstimator::registered);
    }

    /** The leaf's id, with the inter-agent modifier when present ("critic_value/multi_turn+inter_agent"). */
    public String leafId() {
        return leaf.id() + (interAgent != null ? "+" + interAgent.id() : "");
    }
}
