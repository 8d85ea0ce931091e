package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every golden file in {@code src/test/resources/golden/} against the estimators
 * registered on the class path ({@link EstimatorRegistry#global()}), one test per case (grouped
 * by file). A FAILED case fails its test, and so does a SKIPPED one: a golden file is copied here together with the
 * estimators it checks (CONTRIBUTING.md), so every case must run. Counts per file go to
 * {@code target/golden-conformance.txt}.
 */
class GoldenConformanceTest {
    @TestFactory
    List<DynamicContainer> everyGoldenFile() {
        List<Path> files = GoldenFiles.all();
        try {
            Files.deleteIfExists(Paths.get("target", "golden-conformance.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(
                12,
                files.size(),
                "the twelve golden files are copied (the shared eleven and at_grpo-pending): " + files);
        List<DynamicContainer> containers = new ArrayList<>();
        for (Path f : files) containers.add(file(f));
        return containers;
    }

    /**
     * One container per file: a test that the file reads whole (one case per non-blank line),
     * then one test per case, named after it, which fails unless the case PASSED.
     */
    private static DynamicContainer file(Path f) {
        List<GoldenCase> cases;
        long lines;
        try {
            cases = GoldenCases.load(f);
            lines = Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        Conformance.Summary s = Conformance.summarize(results);
        report(f.getFileName() + ": " + s, results);
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("one case per line", () -> {
            assertEquals(lines, cases.size(), "one case per line");
            assertTrue(cases.size() > 0);
        }));
        for (CaseResult r : results) {
            tests.add(DynamicTest.dynamicTest(r.caseName(), () -> {
                if (r.status() != CaseResult.Status.PASSED)
                    fail(r.source() + " " + r.caseName() + " " + r.status() + ": " + r.detail());
            }));
        }
        return DynamicContainer.dynamicContainer(f.getFileName().toString(), tests);
    }

    private static synchronized void report(String headline, List<CaseResult> results) {
        try {
            Path out = Paths.get("target", "golden-conformance.txt");
            Files.createDirectories(out.getParent());
            StringBuilder sb = new StringBuilder(headline).append('\n');
            for (CaseResult r : results)
                sb.append("  ")
                        .append(r.status())
                        .append(' ')
                        .append(r.caseName())
                        .append(": ")
                        .append(r.detail())
                        .append('\n');
            Files.writeString(
                    out,
                    sb.toString(),
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
