package dev.apportion.core.credit;

/** How closely an estimator follows its source. */
public enum Fidelity {
    /** Matches the authors' or the framework's code on golden vectors. */
    REFERENCE,
    /** Follows the paper's equations; no reference vectors. */
    PAPER,
    /** The paper's details were not available: constants and steps are ours and say so. */
    RECONSTRUCTED,
    /**
     * A line-by-line port of named code (the authors' or a framework's) that has no golden vectors
     * yet: checked on worked examples only. Becomes {@link #REFERENCE} once golden cases pass.
     */
    PORT;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
