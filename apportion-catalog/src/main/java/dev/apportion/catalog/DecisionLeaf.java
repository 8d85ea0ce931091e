package dev.apportion.catalog;

import java.util.List;

/**
 * A leaf of the decision tree: a family at a horizon class, with the apportion estimators that
 * implement it, best first.
 *
 * @param family family id
 * @param horizon {@code single_turn}, {@code multi_turn}, or {@code any} (inter-agent leaf)
 * @param estimators registry ids, in the static recommended order (empty when none is implemented)
 * @param note what the estimators do here and which methods of the family are not implemented
 */
public record DecisionLeaf(String family, String horizon, List<String> estimators, String note) {
    public DecisionLeaf {
        estimators = List.copyOf(estimators);
    }

    public String id() {
        return family + "/" + horizon;
    }
}
