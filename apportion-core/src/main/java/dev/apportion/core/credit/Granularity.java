package dev.apportion.core.credit;

/** The unit an estimator assigns credit to (the survey's granularity axis). */
public enum Granularity {
    TOKEN,
    SEGMENT,
    STEP,
    TURN,
    TRAJECTORY,
    MULTI_AGENT;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
