package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Fidelity;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The inventory-registry comparison finds differences both ways (against hand-made registries). */
class InventoryRegistryCheckTest {
    private final Inventory inv = Inventory.load();

    @Test
    void plannedRegistryPlusReferenceEstimatorsAgrees() {
        Map<String, Fidelity> m = new HashMap<>(FakeEstimators.PLANNED);
        m.put("oracle", Fidelity.REFERENCE);
        m.put("random", Fidelity.REFERENCE);
        assertEquals(List.of(), InventoryRegistryCheck.differences(inv, FakeEstimators.registry(m)));
    }

    @Test
    void reportsMissingUnclaimedAndFidelityDifferences() {
        Map<String, Fidelity> m = new HashMap<>(FakeEstimators.PLANNED);
        m.remove("siop");
        m.put("unclaimed_method", Fidelity.REFERENCE);
        m.put("gigpo", Fidelity.PAPER);
        List<String> diffs = InventoryRegistryCheck.differences(inv, FakeEstimators.registry(m));
        assertEquals(3, diffs.size(), diffs.toString());
        assertTrue(
                diffs.stream()
                        .anyMatch(
                                d -> d.startsWith(
                                        "estimator 'siop' is claimed by inventory entry '2605.04984' (SIOP) but is not in the registry")),
                diffs.toString());
        assertTrue(
                diffs.stream()
                        .anyMatch(d -> d.startsWith("registered estimator 'unclaimed_method'")
                                && d.contains("is not claimed")),
                diffs.toString());
        assertTrue(
                diffs.stream()
                        .anyMatch(
                                d -> d.equals(
                                        "estimator 'gigpo': inventory entry '2505.10978' (GiGPO) claims fidelity reference, its descriptor declares paper")),
                diffs.toString());
    }

    @Test
    void emptyRegistryListsEveryClaim() {
        List<String> diffs = InventoryRegistryCheck.differences(inv, FakeEstimators.empty());
        assertEquals(FakeEstimators.PLANNED.size(), diffs.size(), diffs.toString());
    }
}
