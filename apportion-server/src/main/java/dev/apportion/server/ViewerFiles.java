package dev.apportion.server;

import dev.apportion.view.ViewerPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The files the served viewer may read: rollout files directly in the data folder and files
 * under the results folder. A name that leaves its folder (..), a hidden file, a folder or a
 * file that is not there is 404; nothing outside the two folders is ever read.
 */
final class ViewerFiles {
    private ViewerFiles() {}

    /** Rollout file names of the data folder, sorted. */
    static List<String> dataFiles(ViewerSettings v) {
        List<String> out = new ArrayList<>();
        if (v.dataDir() == null || !Files.isDirectory(v.dataDir())) return out;
        try (Stream<Path> s = Files.list(v.dataDir())) {
            s.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && (n.endsWith(".jsonl") || n.endsWith(".ndjson")))
                    .sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static byte[] dataFile(ViewerSettings v, String name, long maxBytes) throws IOException {
        if (v.dataDir() == null)
            throw new ApiException(404, "no data folder is configured (apportion serve --data-dir DIR)");
        if (!dataFiles(v).contains(name))
            throw new ApiException(404, "no rollout file '" + name + "' in the data folder");
        return read(v.dataDir().resolve(name), maxBytes);
    }

    /** Links to the {@code report.html} files under the results folder (at most three folders deep), sorted. */
    static List<ViewerPage.Link> reports(ViewerSettings v) {
        List<ViewerPage.Link> out = new ArrayList<>();
        if (v.resultsDir() == null || !Files.isDirectory(v.resultsDir())) return out;
        Path root = v.resultsDir().toAbsolutePath().normalize();
        try (Stream<Path> s = Files.find(
                root,
                4,
                (p, a) -> a.isRegularFile() && p.getFileName().toString().endsWith(".html"))) {
            s.map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(r -> !r.startsWith("."))
                    .sorted()
                    .forEach(r -> out.add(new ViewerPage.Link("reports/" + r, r)));
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static byte[] reportFile(ViewerSettings v, String rel, long maxBytes) throws IOException {
        if (v.resultsDir() == null)
            throw new ApiException(404, "no results folder is configured (apportion serve --results-dir DIR)");
        Path root = v.resultsDir().toAbsolutePath().normalize();
        Path p = root.resolve(rel).normalize();
        if (rel.isEmpty()
                || !p.startsWith(root)
                || rel.contains("..")
                || rel.startsWith("/")
                || rel.contains("/.")
                || rel.startsWith(".")
                || !Files.isRegularFile(p)) {
            throw new ApiException(404, "no such file in the results folder: " + rel);
        }
        return read(p, maxBytes);
    }

    static String contentType(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".html")) return "text/html; charset=utf-8";
        if (n.endsWith(".json")) return "application/json";
        if (n.endsWith(".csv")) return "text/csv; charset=utf-8";
        if (n.endsWith(".png")) return "image/png";
        if (n.endsWith(".svg")) return "image/svg+xml";
        return "text/plain; charset=utf-8";
    }

    private static byte[] read(Path p, long maxBytes) throws IOException {
        long size = Files.size(p);
        if (size > maxBytes)
            throw new ApiException(413, p.getFileName() + " has " + size + " bytes, more than --max-body " + maxBytes);
        return Files.readAllBytes(p);
    }
}
