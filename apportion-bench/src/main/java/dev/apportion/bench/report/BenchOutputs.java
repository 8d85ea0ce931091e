package dev.apportion.bench.report;

import dev.apportion.bench.run.BenchResult;
import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes the outputs of a run (results.json, results.csv, report.html, leaderboard.svg) atomically into a directory. */
public final class BenchOutputs {
    private BenchOutputs() {}

    /**
     * Writes the files and returns their paths (json, csv, html).
     *
     * @param request the user's request, recorded as provenance
     */
    public static List<Path> write(BenchResult r, Map<String, Object> request, Path outDir) throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Map<String, Object> tree = ResultsJson.tree(r, request, cwd);
        Path json = outDir.resolve("results.json");
        Path csv = outDir.resolve("results.csv");
        Path html = outDir.resolve("report.html");
        Path svg = outDir.resolve("leaderboard.svg");
        AtomicFiles.writeString(json, ResultsJson.render(r, request, cwd));
        AtomicFiles.writeString(csv, ResultsCsv.render(r));
        AtomicFiles.writeString(html, HtmlReport.render(tree));
        AtomicFiles.writeString(svg, LeaderboardChart.svg(tree));
        return List.of(json, csv, html, svg);
    }
}
