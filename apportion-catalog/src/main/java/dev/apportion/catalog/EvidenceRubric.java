package dev.apportion.catalog;

import java.util.List;

/**
 * The ordinal evidence rubric stored with the inventory.
 *
 * @param levels E0 to E4, in order
 * @param cumulative true when a level requires all lower levels' criteria
 * @param notes how levels were assessed, and deviations from the survey's rubric
 */
public record EvidenceRubric(List<RubricLevel> levels, boolean cumulative, List<String> notes) {
    public EvidenceRubric {
        levels = List.copyOf(levels);
        notes = List.copyOf(notes);
    }
}
