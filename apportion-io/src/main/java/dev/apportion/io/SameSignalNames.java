package dev.apportion.io;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The rule that every trajectory of a rollout file gives the same token signal names: remembers
 * the first trajectory's names and where it stood, and names the first difference of a later
 * one. Shared by the JSONL and Parquet readers, which word the error for their own positions
 * (lines, rows).
 */
final class SameSignalNames {
    /**
     * A trajectory's names differ from the first trajectory's.
     *
     * @param name the first name the first trajectory has and this one lacks, or (none lacking)
     *     the first this one adds
     * @param missing true when {@code name} is lacking here
     * @param firstPosition the line or row of the first trajectory
     * @param firstId the first trajectory's id
     */
    record Mismatch(String name, boolean missing, long firstPosition, String firstId) {}

    private Set<String> first;
    private long firstPosition;
    private String firstId;

    /** Null when {@code names} equal the first trajectory's (or are the first); else the difference. */
    Mismatch check(Set<String> names, long position, String id) {
        if (first == null) {
            first = names;
            firstPosition = position;
            firstId = id;
            return null;
        }
        if (names.equals(first)) return null;
        Set<String> missing = new LinkedHashSet<>(first);
        missing.removeAll(names);
        if (!missing.isEmpty()) return new Mismatch(missing.iterator().next(), true, firstPosition, firstId);
        Set<String> extra = new LinkedHashSet<>(names);
        extra.removeAll(first);
        return new Mismatch(extra.iterator().next(), false, firstPosition, firstId);
    }
}
