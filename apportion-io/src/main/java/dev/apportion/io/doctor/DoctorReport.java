package dev.apportion.io.doctor;

import java.util.List;
import java.util.Map;

/**
 * What {@link Doctor#examine} found.
 *
 * @param findings every finding, errors first, then warnings, then infos
 * @param summary counts describing the batch (trajectories, groups, tokens, shares; see {@link Doctor})
 */
public record DoctorReport(List<Finding> findings, Map<String, Object> summary) {
    public DoctorReport {
        findings = List.copyOf(findings);
        summary = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(summary));
    }

    /** True when at least one finding is an {@link Severity#ERROR}. */
    public boolean hasError() {
        for (Finding f : findings) if (f.severity() == Severity.ERROR) return true;
        return false;
    }
}
