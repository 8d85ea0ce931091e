package dev.apportion.server;

import java.nio.file.Path;

/**
 * What the viewer page at {@code /} offers besides the upload: the rollout files of a data
 * folder ({@code *.jsonl}, {@code *.ndjson}, not recursive) and the benchmark reports
 * ({@code report.html} files, up to three folders deep) of a results folder. Either may be null.
 *
 * @param dataDir folder of rollout files, or null
 * @param resultsDir folder of benchmark results, or null
 * @param version the apportion version shown on the page
 */
public record ViewerSettings(Path dataDir, Path resultsDir, String version) {
    /** No data folder, no results folder. */
    public static ViewerSettings none(String version) {
        return new ViewerSettings(null, null, version);
    }
}
