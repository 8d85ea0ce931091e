package dev.apportion.catalog;

import java.util.List;

/**
 * A method family at a leaf of the decision tree.
 *
 * @param id {@code process_verifiable}, {@code rollout_counterfactual}, {@code critic_value},
 *     {@code implicit_reweighting} or {@code inter_agent}
 * @param name human name
 * @param condition when the family applies
 * @param costRisk its cost or risk
 * @param representativePapers inventory ids of representative papers
 */
public record DecisionFamily(
        String id, String name, String condition, String costRisk, List<String> representativePapers) {
    public DecisionFamily {
        representativePapers = List.copyOf(representativePapers);
    }
}
