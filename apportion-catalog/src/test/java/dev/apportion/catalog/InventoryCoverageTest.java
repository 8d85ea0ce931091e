package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 §3: every core entry either links an estimator or says, in a non-empty
 * {@code not_runnable_reason}, exactly what is missing; an implemented entry carries no stale
 * reason.
 */
class InventoryCoverageTest {
    private final Inventory inv = Inventory.load();

    @Test
    void everyCoreEntryIsImplementedOrExplained() {
        List<String> problems = new ArrayList<>();
        for (InventoryEntry e : inv.entries()) {
            if (e.unexplained())
                problems.add(e.id() + " (" + e.shortName() + "): core, no estimator and no not_runnable_reason");
            if (!e.implementedBy().isEmpty() && e.notRunnableReason() != null) {
                problems.add(e.id() + " (" + e.shortName() + "): implemented by "
                        + e.implementedBy().get(0).estimator() + " but still has a not_runnable_reason");
            }
            if (e.notRunnableReason() != null && e.notRunnableReason().strip().length() < 40) {
                problems.add(e.id() + ": not_runnable_reason too short to name what is missing: '"
                        + e.notRunnableReason() + "'");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void unexplainedNeedsCoreScopeAndNoEstimator() {
        long core = inv.entries().stream().filter(e -> e.scope() == Scope.CORE).count();
        long implemented = inv.entries().stream()
                .filter(e -> e.scope() == Scope.CORE && !e.implementedBy().isEmpty())
                .count();
        long explained = inv.entries().stream()
                .filter(e -> e.scope() == Scope.CORE && e.implementedBy().isEmpty() && e.notRunnableReason() != null)
                .count();
        assertEquals(core, implemented + explained);
        InventoryEntry any = inv.entries().stream()
                .filter(e -> e.scope() == Scope.CORE && e.implementedBy().isEmpty())
                .findFirst()
                .orElseThrow();
        InventoryEntry bare = new InventoryEntry(
                any.id(),
                any.arxivId(),
                any.shortName(),
                any.title(),
                any.year(),
                any.url(),
                any.venue(),
                any.regime(),
                any.granularity(),
                any.methodology(),
                any.baselineFamilies(),
                any.requirements(),
                any.evidence(),
                any.codeUrl(),
                any.codeStatus(),
                any.scope(),
                any.scopeReason(),
                any.summary(),
                any.implementedBy(),
                any.sources(),
                any.notes(),
                null);
        assertTrue(bare.unexplained());
        assertTrue(!any.unexplained());
    }
}
