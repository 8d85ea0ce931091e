package dev.apportion.catalog;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Fidelity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares the inventory's claims with an estimator registry, both ways: every estimator an entry
 * claims must be registered (under its id, not an alias) with the claimed fidelity, and every
 * registered estimator except the benchmark's reference estimators must be claimed by an entry.
 */
public final class InventoryRegistryCheck {
    /** The benchmark's reference estimators: not methods, so no inventory entry claims them. */
    public static final Set<String> REFERENCE_ESTIMATORS = Set.of("oracle", "random");

    private InventoryRegistryCheck() {}

    /** One line per difference; empty when inventory and registry agree. */
    public static List<String> differences(Inventory inventory, EstimatorRegistry registry) {
        List<String> out = new ArrayList<>();
        List<String> ids = registry.ids();
        for (Map.Entry<String, List<InventoryEntry>> claim : inventory.claims().entrySet()) {
            String est = claim.getKey();
            for (InventoryEntry e : claim.getValue()) {
                Fidelity claimed = e.implementedBy().stream()
                        .filter(i -> i.estimator().equals(est))
                        .findFirst()
                        .orElseThrow()
                        .fidelity();
                if (REFERENCE_ESTIMATORS.contains(est)) {
                    out.add("inventory entry '" + e.id() + "' (" + e.shortName() + ") claims '" + est
                            + "', a reference estimator of the benchmark, not a method");
                } else if (!ids.contains(est)) {
                    String alias = registry.has(est)
                            ? " (it is an alias of '" + registry.get(est).id() + "'; claim the id)"
                            : "";
                    out.add("estimator '" + est + "' is claimed by inventory entry '" + e.id() + "' (" + e.shortName()
                            + ") but is not in the registry" + alias);
                } else {
                    Fidelity declared = registry.get(est).descriptor().fidelity();
                    if (declared != claimed) {
                        out.add("estimator '" + est + "': inventory entry '" + e.id() + "' (" + e.shortName()
                                + ") claims fidelity " + claimed.wireName() + ", its descriptor declares "
                                + declared.wireName());
                    }
                }
            }
        }
        Map<String, List<InventoryEntry>> claims = inventory.claims();
        for (Estimator est : registry.all()) {
            Descriptor d = est.descriptor();
            if (REFERENCE_ESTIMATORS.contains(d.id())) continue;
            if (!claims.containsKey(d.id())) {
                out.add("registered estimator '" + d.id() + "' (" + d.title() + ", " + d.source()
                        + ") is not claimed by any inventory entry");
            }
        }
        return out;
    }
}
