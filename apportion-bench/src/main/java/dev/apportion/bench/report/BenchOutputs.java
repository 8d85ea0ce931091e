package dev.apportion.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the outputs of a run (results.json, results.csv, report.html, leaderboard.svg) atomically into a directory,
 * or renders the page and the figure again from a results.json.
 */
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

    /**
     * Renders report.html and leaderboard.svg again from an existing results.json (the
     * {@code apportion bench --report-from FILE} command): the same bytes a run writes, for a
     * results file written by a run of this version. Returns the paths (html, svg).
     *
     * @throws IOException when the file cannot be read or is not a JSON object
     */
    public static List<Path> rerender(Path resultsJson, Path outDir) throws IOException {
        Map<String, Object> tree;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> t = new ObjectMapper().readValue(resultsJson.toFile(), LinkedHashMap.class);
            tree = t;
        } catch (JsonProcessingException e) {
            throw new IOException(resultsJson + ": not a results.json object: " + e.getOriginalMessage(), e);
        }
        Path html = outDir.resolve("report.html");
        Path svg = outDir.resolve("leaderboard.svg");
        AtomicFiles.writeString(html, HtmlReport.render(tree));
        AtomicFiles.writeString(svg, LeaderboardChart.svg(tree));
        return List.of(html, svg);
    }
}
