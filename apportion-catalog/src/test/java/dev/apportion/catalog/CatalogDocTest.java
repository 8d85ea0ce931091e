package dev.apportion.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated sections of docs/catalog.md (counts, rubric, checklist, tree) match the data. */
class CatalogDocTest {
    private static final Path DOC = Path.of("..", "docs", "catalog.md");

    @Test
    void generatedBlocksMatchTheData() throws IOException {
        assertTrue(Files.isRegularFile(DOC), "docs/catalog.md is missing at " + DOC.toAbsolutePath());
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        for (String name : CatalogDoc.BLOCKS) {
            String inDoc = CatalogDoc.extract(doc, name);
            assertNotNull(inDoc, "docs/catalog.md lacks the markers of block '" + name + "'");
            String expected = CatalogDoc.block(name);
            assertEquals(
                    expected,
                    inDoc,
                    "docs/catalog.md block '" + name + "' is stale; regenerate it with CatalogDoc (expected below)");
        }
    }

    @Test
    void countsBlockStatesTheMerge() {
        String counts = CatalogDoc.block("counts");
        Inventory inv = Inventory.load();
        assertTrue(
                counts.contains("**" + inv.entries().size()
                        + " entries** = 60 seed papers + 73 survey-catalog entries − 17 in both"),
                counts);
        long core = inv.entries().stream().filter(e -> e.scope() == Scope.CORE).count();
        assertTrue(counts.contains("| core | " + core + " | " + core + " | 0 |"), counts);
    }

    @Test
    void renderRequiresMarkers() {
        try {
            CatalogDoc.render("no markers");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("lacks the markers of block 'counts'"));
            return;
        }
        throw new AssertionError("render accepted a document without markers");
    }
}
