package dev.apportion.core.credit;

/** Where a signal lives in the rollout model. */
public enum SignalLevel {
    TRAJECTORY,
    SPAN,
    TOKEN;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
