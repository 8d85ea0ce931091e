package dev.apportion.catalog;

/**
 * An entry's evidence level on the inventory's rubric.
 *
 * @param level ordinal level (a lower bound: criteria the sources do not show are not credited)
 * @param basis the source the level was assessed from
 * @param rationale one sentence naming what the sources show
 */
public record Evidence(EvidenceLevel level, EvidenceBasis basis, String rationale) {}
