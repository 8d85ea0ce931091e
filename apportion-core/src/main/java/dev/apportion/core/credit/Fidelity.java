package dev.apportion.core.credit;

/** How closely an estimator follows its source. */
public enum Fidelity {
    /** Matches the authors' or the framework's code on golden vectors. */
    REFERENCE,
    /** Follows the paper's equations; no reference vectors. */
    PAPER,
    /** The paper's details were not available: constants and steps are ours and say so. */
    RECONSTRUCTED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
