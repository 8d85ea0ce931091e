package dev.apportion.catalog;

import dev.apportion.core.credit.Methodology;
import java.util.List;

/**
 * Where a method sits on the survey's methodology axis.
 *
 * @param axes the survey's five axes that apply (several may; empty when none fits, e.g. gradient-geometry
 *     reweighting); model-based includes LLM-as-critic and external verifiers
 * @param llmAsCritic true when an LLM acts as critic or judge (the survey's LLM-as-critic column)
 * @param label apportion's finer description of the mechanism
 * @param catalogLabel the survey catalog's methodology label, verbatim, or null when the entry is not in the catalog
 */
public record MethodTaxonomy(List<Methodology> axes, boolean llmAsCritic, String label, String catalogLabel) {
    public MethodTaxonomy {
        axes = List.copyOf(axes);
    }
}
