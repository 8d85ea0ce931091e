package dev.apportion.catalog;

import java.util.List;

/**
 * The outcome of checking one report against the checklist.
 *
 * @param covered items the report covers
 * @param missing items the report lacks (required first, in checklist order)
 */
public record ChecklistResult(List<ChecklistItem> covered, List<ChecklistItem> missing) {
    public ChecklistResult {
        covered = List.copyOf(covered);
        missing = List.copyOf(missing);
    }

    /** True when no required item is missing. */
    public boolean passed() {
        return missing.stream().noneMatch(ChecklistItem::required);
    }

    public long missingRequired() {
        return missing.stream().filter(ChecklistItem::required).count();
    }
}
