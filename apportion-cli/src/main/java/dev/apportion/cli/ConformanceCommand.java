package dev.apportion.cli;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.io.golden.CaseResult;
import dev.apportion.io.golden.Conformance;
import dev.apportion.io.golden.GoldenCase;
import dev.apportion.io.golden.GoldenCases;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion conformance}: runs golden cases (see {@code golden/README.md}) against the
 * registered estimators. Prints one line per failing case with its worst mismatch, one line
 * per estimator whose cases were skipped, and ends with {@code N passed, N failed} (and
 * {@code , N skipped}); exits 1 when any case failed.
 */
@Command(
        name = "conformance",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        header = "Check the estimators against golden cases.",
        description = "Runs golden cases (outputs of the reference implementations, see golden/README.md) against "
                + "the registered estimators. Prints one line per failing case with its worst mismatch and "
                + "one line per estimator whose cases were skipped, then 'N passed, N failed' (', N "
                + "skipped'). Exit code 1 when any case fails.")
final class ConformanceCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Golden-case JSONL files.")
    private List<Path> files = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        EstimatorRegistry registry = main.registry();
        List<GoldenCase> cases = new ArrayList<>();
        for (Path f : files) cases.addAll(GoldenCases.load(f));

        int passed = 0;
        int failed = 0;
        int skipped = 0;
        Map<String, Integer> skippedBy = new TreeMap<>();
        Map<String, Set<String>> skipReasons = new TreeMap<>();
        for (GoldenCase c : cases) {
            CaseResult r;
            try {
                r = Conformance.run(c, registry);
            } catch (RuntimeException e) {
                // a conformance run must not stop at one broken case; count it and go on
                r = new CaseResult(
                        c.name(),
                        CaseResult.Status.FAILED,
                        "error: " + Errors.message(e),
                        c.source(),
                        null,
                        Errors.message(e));
            }
            switch (r.status()) {
                case PASSED:
                    passed++;
                    break;
                case SKIPPED:
                    skipped++;
                    String family = c.estimator() == null ? "(no estimator)" : c.estimator();
                    skippedBy.merge(family, 1, Integer::sum);
                    skipReasons
                            .computeIfAbsent(family, k -> new LinkedHashSet<>())
                            .add(Errors.oneLine(r.detail()));
                    break;
                case FAILED:
                default:
                    failed++;
                    out.println("FAIL " + r.caseName() + (r.source() == null ? "" : " (" + r.source() + ")") + ": "
                            + Errors.oneLine(r.detail()));
                    break;
            }
        }
        for (Map.Entry<String, Integer> e : skippedBy.entrySet()) {
            List<String> reasons = new ArrayList<>(skipReasons.get(e.getKey()));
            String why = String.join("; ", reasons.subList(0, Math.min(3, reasons.size())))
                    + (reasons.size() > 3 ? "; and " + (reasons.size() - 3) + " more reasons" : "");
            out.println("SKIP " + e.getKey() + ": " + e.getValue() + (e.getValue() == 1 ? " case" : " cases") + " ("
                    + why + ")");
        }
        out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        out.flush();
        return failed > 0 ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
