package dev.apportion.catalog;

/** What is known about a paper's code. */
public enum CodeStatus {
    /** apportion's reference notes read the authors' code (file and commit in the notes). */
    REFERENCE_CODE_READ,
    /** The sources name a public repository that apportion did not read. */
    PUBLIC,
    /** Code was promised or the repository is a placeholder. */
    ANNOUNCED,
    /** The sources looked and found no code. */
    NONE_FOUND,
    /** Not checked. */
    NOT_CHECKED;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
