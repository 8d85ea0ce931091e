package dev.apportion.catalog;

/**
 * Whether an inventory entry is a credit-assignment method for RL on language models (core),
 * related to one (adjacent: surveys, benchmarks, infrastructure, reward modelling, exploration
 * control, credit for non-LLM policies), or unrelated (out of scope, e.g. "credit" in the
 * financial sense).
 */
public enum Scope {
    CORE,
    ADJACENT,
    OUT_OF_SCOPE;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
