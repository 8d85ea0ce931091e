package dev.apportion.bench.cli;

import dev.apportion.bench.report.BenchOutputs;
import dev.apportion.bench.report.Provenance;
import dev.apportion.bench.report.ReadmeResults;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.EstimatorRef;
import dev.apportion.bench.run.Progress;
import dev.apportion.bench.run.Runner;
import dev.apportion.bench.run.Suite;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apportion bench}: runs the benchmark protocol (a suite of controlled tasks with exact
 * credit, every registered estimator whose signals a task provides, the claims) and writes
 * results.json, results.csv and report.html. Exit codes: 0 done, 2 bad usage or input.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        header = "Run the benchmark protocol: controlled tasks with exact oracle credit.",
        description = {
            "Run the credit-assignment benchmark protocol: controlled tasks with exact true advantages, "
                    + "credit-quality metrics, a learning comparison and re-tested claims.",
            "Writes results.json, results.csv and report.html to --out."
        })
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--suite",
            defaultValue = "quick",
            paramLabel = "quick|full|FILE",
            description =
                    "Suite to run: quick (default; about a minute), full (complete sweeps), or a suite JSON file.")
    String suite;

    @Option(
            names = "--tasks",
            split = ",",
            paramLabel = "ID",
            description = "Only these suite entries or task families (comma-separated).")
    List<String> tasks;

    @Option(
            names = "--estimators",
            split = ",",
            paramLabel = "ID[@PRESET]",
            description = "Only these estimators (default: every registered estimator).")
    List<String> estimators;

    @Option(
            names = "--seeds",
            paramLabel = "N",
            description = "Seeds for credit quality and learning (default: the suite's).")
    Integer seeds;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Root seed (default 0).")
    long rootSeed;

    @Option(
            names = "--out",
            defaultValue = "bench-out",
            paramLabel = "DIR",
            description = "Output directory (default bench-out).")
    Path out;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors).")
    Integer threads;

    @Option(names = "--claims", paramLabel = "FILE", description = "Claims JSON file replacing the built-in claims.")
    Path claimsFile;

    @Option(names = "--no-claims", description = "Do not re-test claims.")
    boolean noClaims;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(
            names = "--report-from",
            paramLabel = "FILE",
            description =
                    "Run nothing: render report.html and leaderboard.svg again into --out from this" + " results.json.")
    Path reportFrom;

    @Option(
            names = "--plan",
            description = "Print the work units per task configuration and an estimate of the run time; run nothing.")
    boolean plan;

    @Option(
            names = "--resume",
            description = "Continue an interrupted run: units recorded in --out's journal.jsonl (same suite, seed, "
                    + "filters and build) are read back instead of run; the results equal an uninterrupted run's.")
    boolean resume;

    @Option(
            names = "--progress-lines",
            description = "Print progress as one line every 30 s (for log files) instead of redrawing one line.")
    boolean progressLines;

    @Option(
            names = "--readme-from",
            paramLabel = "RESULTS_JSON",
            description = "Write README.md's results section (between <!-- results:begin --> and "
                    + "<!-- results:end -->) from a results.json; run nothing.")
    Path readmeFrom;

    @Option(
            names = "--readme",
            defaultValue = "README.md",
            paramLabel = "FILE",
            description = "README to update with --readme-from (default README.md).")
    Path readme;

    @Override
    public Integer call() {
        PrintWriter err = spec == null
                ? new PrintWriter(System.err, true)
                : spec.commandLine().getErr();
        PrintWriter outw = spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
        try {
            if (reportFrom != null) {
                for (Path f : BenchOutputs.rerender(reportFrom, out)) outw.println("wrote " + f);
                outw.flush();
                return 0;
            }
            if (readmeFrom != null) {
                boolean changed = ReadmeResults.update(readmeFrom, readme);
                outw.println((changed ? "updated " : "unchanged ") + readme);
                outw.flush();
                return 0;
            }
            Suite s = Files.isRegularFile(Path.of(suite)) ? Suite.load(Path.of(suite)) : Suite.builtIn(suite);
            if (seeds != null) s = s.withSeeds(seeds);
            List<EstimatorRef> refs = null;
            if (estimators != null) {
                refs = new ArrayList<>();
                for (String e : estimators) refs.add(EstimatorRef.parse(e));
            }
            List<Claim> claims = noClaims ? List.of() : claimsFile != null ? Claim.load(claimsFile) : Claim.builtIn();
            int th = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            if (plan) {
                outw.print(Runner.plan(new Runner.Options(
                                s, tasks, refs, claims, rootSeed, th, Progress.NONE, EstimatorRegistry.global()))
                        .render());
                outw.flush();
                return 0;
            }
            Progress progress = quiet ? Progress.NONE : new StderrProgress(System.err, progressLines);
            BenchResult r = Runner.run(new Runner.Options(
                    s,
                    tasks,
                    refs,
                    claims,
                    rootSeed,
                    th,
                    progress,
                    EstimatorRegistry.global(),
                    out,
                    resume,
                    String.valueOf(Provenance.buildCommit())));
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("suite", suite);
            request.put("tasks", tasks);
            request.put("estimators", estimators);
            request.put("seeds", seeds);
            request.put("claims", noClaims ? "none" : claimsFile != null ? claimsFile.toString() : "built-in");
            List<Path> files = BenchOutputs.write(r, request, out);
            printSummary(r, outw);
            outw.println();
            for (Path f : files) outw.println("wrote " + f);
            outw.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("apportion bench: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException | java.io.UncheckedIOException e) {
            err.println("apportion bench: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    /** Prints the leaderboard, the claims and the run time. */
    static void printSummary(BenchResult r, PrintWriter out) {
        out.println("Leaderboard (" + r.suite().name()
                + " suite; mean over tasks of per-task means, leakage: median; 95% intervals in results.json; "
                + r.suite().seeds() + " credit seeds, " + r.suite().learningSeeds() + " learning seeds)");
        String fmt = "%-3s %-30s %-10s %5s %8s %8s %8s %8s %7s %8s %8s %8s %9s%n";
        out.printf(
                Locale.ROOT,
                fmt,
                "#",
                "estimator",
                "tier",
                "tasks",
                "rankcorr",
                "withinTr",
                "withinDc",
                "signagr",
                "auroc",
                "leakMed",
                "learnAUC",
                "final",
                "ms/batch");
        int i = 1;
        List<String> none = new ArrayList<>();
        for (BenchResult.LeaderRow row : r.leaderboard()) {
            if (row.tasks() == 0) {
                none.add(row.estimator());
                continue;
            }
            Map<String, Double> m = row.means();
            Double ms = r.timing().msPerBatch().get(row.estimator());
            out.printf(
                    Locale.ROOT,
                    fmt,
                    i++,
                    row.estimator(),
                    row.tier(),
                    row.tasks(),
                    f(m.get("spearman_pooled")),
                    f(m.get("spearman_within_trajectory")),
                    f(m.get("spearman_within_decision")),
                    f(m.get("sign_agreement")),
                    f(m.get("auroc")),
                    f(m.get("leakage_median")),
                    f(m.get("learn_auc")),
                    f(m.get("final_success")),
                    ms == null || ms.isNaN() ? "-" : String.format(Locale.ROOT, "%.2f", ms));
        }
        if (!none.isEmpty()) {
            out.println("not run on any task (signals the tasks do not provide; see 'skipped'): "
                    + String.join(", ", none));
        }
        if (!r.claims().isEmpty()) {
            out.println();
            out.println("Claims");
            for (BenchResult.ClaimOutcome c : r.claims()) {
                out.printf(
                        Locale.ROOT,
                        "  %-52s %-24s %s%n",
                        c.claim().id(),
                        c.status(),
                        c.rows().isEmpty() && c.reason() != null ? c.reason() : "");
                for (BenchResult.ClaimRow row : c.rows()) {
                    out.printf(
                            Locale.ROOT,
                            "      %-44s %s %+.3f [%+.3f, %+.3f] -> %s%n",
                            row.label(),
                            c.claim().metric(),
                            row.difference().mean(),
                            row.difference().lo(),
                            row.difference().hi(),
                            row.verdict());
                }
            }
        }
        if (!r.bsuite().isEmpty()) {
            out.println();
            java.util.Map<String, java.util.Map<String, Double>> byEst = new java.util.LinkedHashMap<>();
            java.util.Set<String> exps = new java.util.LinkedHashSet<>();
            for (BenchResult.BsuiteScore b : r.bsuite()) {
                exps.add(b.experiment());
                byEst.computeIfAbsent(b.estimator(), k -> new java.util.LinkedHashMap<>())
                        .put(b.experiment(), b.score());
            }
            out.print(String.format(Locale.ROOT, "%-34s", "bsuite scores (suite budget)"));
            for (String e : exps) out.print(String.format(Locale.ROOT, " %18s", e));
            out.println();
            for (Map.Entry<String, java.util.Map<String, Double>> e : byEst.entrySet()) {
                out.print(String.format(Locale.ROOT, "  %-32s", e.getKey()));
                for (String x : exps)
                    out.print(String.format(Locale.ROOT, " %18s", f(e.getValue().get(x))));
                out.println();
            }
        }
        out.println();
        long skipped =
                r.skipped().stream().map(BenchResult.Skip::estimator).distinct().count();
        out.printf(
                Locale.ROOT,
                "%d task configurations, %d estimators, %d skipped pairs (%d estimators; see results.json 'skipped'); %.1f s%n",
                r.configs().size(),
                r.estimators().size(),
                r.skipped().size(),
                skipped,
                r.timing().totalSeconds());
    }

    private static String f(Double v) {
        return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** Standalone entry point (the apportion CLI mounts this command as a subcommand). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }
}
