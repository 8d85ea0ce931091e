package dev.apportion.catalog;

import java.util.List;

/**
 * One level of the evidence rubric.
 *
 * @param level the level
 * @param summary a few words
 * @param criteria what the sources must show (in addition to all lower levels)
 */
public record RubricLevel(EvidenceLevel level, String summary, List<String> criteria) {
    public RubricLevel {
        criteria = List.copyOf(criteria);
    }
}
