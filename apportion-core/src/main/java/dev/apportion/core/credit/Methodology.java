package dev.apportion.core.credit;

/** How an estimator computes credit (the survey's five methodology axes). */
public enum Methodology {
    MONTE_CARLO,
    TEMPORAL_DIFFERENCE,
    MODEL_BASED,
    GAME_THEORETIC,
    INFORMATION_THEORETIC;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
