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
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every golden file in {@code src/test/resources/golden/} against the estimators
 * registered on the class path ({@link EstimatorRegistry#global()}). A FAILED case fails the
 * file's test, and so does a SKIPPED one: a golden file is copied here together with the
 * estimators it checks (CONTRIBUTING.md), so every case must run. Counts per file go to
 * {@code target/golden-conformance.txt}.
 */
class GoldenConformanceTest {
    @TestFactory
    List<DynamicTest> everyGoldenFile() {
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
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : files) tests.add(DynamicTest.dynamicTest(f.getFileName().toString(), () -> runFile(f)));
        return tests;
    }

    private static void runFile(Path f) throws IOException {
        List<GoldenCase> cases = GoldenCases.load(f);
        long lines = Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        assertEquals(lines, cases.size(), "one case per line");
        assertTrue(cases.size() > 0);
        List<CaseResult> results = Conformance.runAll(cases, EstimatorRegistry.global());
        Conformance.Summary s = Conformance.summarize(results);
        report(f.getFileName() + ": " + s, results);
        List<CaseResult> failed = results.stream()
                .filter(r -> r.status() != CaseResult.Status.PASSED)
                .collect(Collectors.toList());
        if (!failed.isEmpty()) {
            fail(f.getFileName() + ": " + s + "\n"
                    + failed.stream()
                            .map(r -> r.source() + " " + r.caseName() + ": " + r.detail())
                            .collect(Collectors.joining("\n")));
        }
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
