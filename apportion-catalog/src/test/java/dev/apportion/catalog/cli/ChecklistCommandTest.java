package dev.apportion.catalog.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.catalog.TestFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecklistCommandTest {
    @Test
    void completeYamlReportExitsZero() {
        Run r = Run.of(
                new ChecklistCommand(), TestFiles.report("complete-report.yaml").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("covered 20 of 20 items (required 15 of 15, recommended 5 of 5)"), r.out());
        assertTrue(r.out().contains("result: PASS"), r.out());
    }

    @Test
    void benchmarkStyleJsonWithReportObjectPasses() {
        Run r = Run.of(
                new ChecklistCommand(), TestFiles.report("nested-report.json").toString());
        assertEquals(0, r.exit(), r.out() + r.err());
    }

    @Test
    void missingRequiredItemsExitOneAndArePrintedWithTheirDescriptions() {
        Run r = Run.of(
                new ChecklistCommand(),
                TestFiles.report("missing-required.json").toString());
        assertEquals(1, r.exit());
        assertTrue(
                r.out().contains("missing required items:\n  intervals: Confidence intervals or standard errors"),
                r.out());
        assertTrue(r.out().contains("  credit_quality_measure: A direct measure of credit quality"), r.out());
        assertTrue(r.out().contains("missing recommended items:\n  causal_checks:"), r.out());
        assertTrue(r.out().contains("result: FAIL (8 required items missing)"), r.out());
    }

    @Test
    void unreadableFilesExitTwoWithFileAndLine(@TempDir Path dir) {
        Path absent = dir.resolve("nope.yaml");
        Run r = Run.of(new ChecklistCommand(), absent.toString());
        assertEquals(2, r.exit());
        assertEquals(
                "apportion checklist: " + absent + ": no such file", r.err().strip());

        Run y = Run.of(new ChecklistCommand(), TestFiles.report("broken.yaml").toString());
        assertEquals(2, y.exit());
        assertTrue(y.err().contains("broken.yaml: not valid YAML at line"), y.err());

        Run j = Run.of(new ChecklistCommand(), TestFiles.report("broken.json").toString());
        assertEquals(2, j.exit());
        assertTrue(j.err().contains("broken.json: not valid JSON at line 4"), j.err());

        Run l = Run.of(new ChecklistCommand(), TestFiles.report("list.yaml").toString());
        assertEquals(2, l.exit());
        assertTrue(l.err().contains("top level must be an object"), l.err());
    }

    @Test
    void missingArgumentIsUsageError() {
        assertEquals(2, Run.of(new ChecklistCommand()).exit());
    }
}
