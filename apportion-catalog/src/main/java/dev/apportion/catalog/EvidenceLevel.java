package dev.apportion.catalog;

/**
 * Ordinal evidence level of the inventory's rubric; the criteria of each level are in the
 * inventory file ({@code rubric}) and in {@code docs/catalog.md}.
 */
public enum EvidenceLevel {
    E0,
    E1,
    E2,
    E3,
    E4;

    public String wireName() {
        return name();
    }
}
