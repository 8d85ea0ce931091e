package dev.apportion.catalog;

import java.util.List;

/**
 * How the inventory was assembled.
 *
 * @param seedPapers entries from the seed reading list
 * @param catalogEntries entries from the survey catalog
 * @param coinciding entries in both (merged)
 * @param coincidingByTitle merged entries whose catalog arXiv id was wrong, matched by title
 * @param addedByApportion classic estimators added by apportion
 * @param entries total entries
 */
public record MergeStats(
        int seedPapers,
        int catalogEntries,
        int coinciding,
        List<String> coincidingByTitle,
        int addedByApportion,
        int entries) {
    public MergeStats {
        coincidingByTitle = List.copyOf(coincidingByTitle);
    }
}
