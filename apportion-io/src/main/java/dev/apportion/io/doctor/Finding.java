package dev.apportion.io.doctor;

import java.util.Objects;

/**
 * One observation of {@link Doctor#examine}.
 *
 * @param severity how serious
 * @param code stable machine-readable code (for example {@code singleton_groups})
 * @param message one line for a person, with counts and examples
 * @param group the group concerned when the finding is about exactly one group, else null
 * @param id the trajectory id concerned when the finding is about exactly one trajectory, else null
 */
public record Finding(Severity severity, String code, String message, String group, String id) {
    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }
}
