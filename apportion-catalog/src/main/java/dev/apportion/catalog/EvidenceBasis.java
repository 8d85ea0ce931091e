package dev.apportion.catalog;

/** Which source an evidence level was assessed from. */
public enum EvidenceBasis {
    /** The paper's abstract. */
    ABSTRACT,
    /** apportion's reference notes, which read the paper or its code. */
    REFERENCE_NOTES,
    /** Only the survey catalog's one-line description. */
    CATALOG_DESCRIPTION,
    /** Well-known published results (classic estimators only). */
    KNOWN_PAPER;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
