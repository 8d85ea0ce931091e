package dev.apportion.io.doctor;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How serious a {@link Finding} is. Serialised lower-case ({@code "error"}, {@code "warning"}, {@code "info"}). */
public enum Severity {
    /** The batch (or the credit computed on it) is broken: training on it would be wrong. */
    ERROR,
    /** The batch is usable but part of it carries no or distorted learning signal. */
    WARNING,
    /** Worth knowing; nothing to fix. */
    INFO;

    /** The wire name: the constant in lower case (also what Jackson writes). */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
