package dev.apportion.catalog;

import dev.apportion.core.credit.Granularity;
import java.util.List;

/**
 * One paper or method of the inventory. Field definitions: {@code docs/catalog.md}.
 *
 * @param id stable id: the arXiv id, {@code openreview-<forum id>}, or {@code seed-<slug>} for seed
 *     papers without a known arXiv id
 * @param arxivId arXiv id or null
 * @param shortName short method name used in listings
 * @param title paper title
 * @param year publication year
 * @param url canonical paper URL or null
 * @param venue venue or null
 * @param regime reasoning, agentic, multi-agent or other
 * @param granularity credit units, primary first; empty when not applicable
 * @param methodology position on the survey's methodology axis
 * @param baselineFamilies families of the baselines the paper compares against
 * @param requirements what the method needs, or null for out-of-scope entries
 * @param evidence evidence level, or null for out-of-scope entries
 * @param codeUrl code repository or null
 * @param codeStatus what is known about the code
 * @param scope core, adjacent or out of scope
 * @param scopeReason one line explaining the scope
 * @param summary one line describing the mechanism
 * @param implementedBy apportion estimators implementing the method, with their fidelity
 * @param sources where the entry comes from: {@code seed}, {@code survey_catalog}, {@code apportion}
 * @param notes data-quality notes (id mismatches, renamed papers) or null
 * @param notRunnableReason for an entry no estimator implements: what exactly is missing to
 *     make it runnable (field {@code not_runnable_reason}), else null
 */
public record InventoryEntry(
        String id,
        String arxivId,
        String shortName,
        String title,
        int year,
        String url,
        String venue,
        Regime regime,
        List<Granularity> granularity,
        MethodTaxonomy methodology,
        List<BaselineFamily> baselineFamilies,
        Requirements requirements,
        Evidence evidence,
        String codeUrl,
        CodeStatus codeStatus,
        Scope scope,
        String scopeReason,
        String summary,
        List<Implementation> implementedBy,
        List<String> sources,
        String notes,
        String notRunnableReason) {
    public InventoryEntry {
        granularity = List.copyOf(granularity);
        baselineFamilies = List.copyOf(baselineFamilies);
        implementedBy = List.copyOf(implementedBy);
        sources = List.copyOf(sources);
    }

    /**
     * True for a core entry that no estimator implements and that gives no
     * {@code not_runnable_reason}: issue 12 §3 allows none.
     */
    public boolean unexplained() {
        return scope == Scope.CORE
                && implementedBy.isEmpty()
                && (notRunnableReason == null || notRunnableReason.isBlank());
    }

    /** True when the entry comes from the given source ({@code seed}, {@code survey_catalog}, {@code apportion}). */
    public boolean from(String source) {
        return sources.contains(source);
    }

    /** The primary credit unit, or null when not applicable. */
    public Granularity primaryGranularity() {
        return granularity.isEmpty() ? null : granularity.get(0);
    }

    /** "GiGPO (arXiv 2505.10978)" */
    public String citation() {
        return shortName + (arxivId != null ? " (arXiv " + arxivId + ")" : url != null ? " (" + url + ")" : "");
    }
}
