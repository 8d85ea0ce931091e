package dev.apportion.bench.report;

import dev.apportion.bench.run.BenchResult;
import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the outputs of a run (results.json, results.csv, report.html, leaderboard.svg) atomically into a directory,
 * or renders the page and the figure again from a results.json.
 */
public final class BenchOutputs {
    private BenchOutputs() {}

    /**
     * Writes the files and returns their paths (json, csv, html, svg).
     *
     * @param request the user's request, recorded as provenance
     */
    public static List<Path> write(BenchResult r, Map<String, Object> request, Path outDir) throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Results results = ResultsJson.of(r, request, cwd);
        Path json = outDir.resolve("results.json");
        Path csv = outDir.resolve("results.csv");
        Path html = outDir.resolve("report.html");
        Path svg = outDir.resolve(LeaderboardChart.FILE);
        AtomicFiles.writeString(json, ResultsJson.write(results));
        AtomicFiles.writeString(csv, ResultsCsv.render(r));
        AtomicFiles.writeString(html, HtmlReport.render(results));
        AtomicFiles.writeString(svg, LeaderboardChart.svg(results));
        return List.of(json, csv, html, svg);
    }

    /**
     * Renders report.html and leaderboard.svg again from an existing results.json (the
     * {@code apportion bench --report-from FILE} command): the same bytes a run writes, for a
     * results file written by a run of this version. Returns the paths (html, svg).
     *
     * @throws IOException when the file cannot be read or is not a results.json (the message names the file and the
     *     field)
     */
    public static List<Path> rerender(Path resultsJson, Path outDir) throws IOException {
        Results results = ResultsJson.read(resultsJson);
        Path html = outDir.resolve("report.html");
        Path svg = outDir.resolve(LeaderboardChart.FILE);
        AtomicFiles.writeString(html, HtmlReport.render(results));
        AtomicFiles.writeString(svg, LeaderboardChart.svg(results));
        return List.of(html, svg);
    }
}
