package dev.apportion.view;

import java.util.Objects;

/**
 * A finding about the batch (from {@code apportion doctor}), pinned in the viewer on the
 * trajectory it names ({@code id} within {@code group}), on every trajectory of {@code group}
 * when only the group is named, and above the list when neither is.
 */
public record PinnedFinding(String severity, String code, String message, String group, String id) {
    public PinnedFinding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }
}
