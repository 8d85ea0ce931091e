package dev.apportion.io.golden;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The golden files copied into this module's test resources. */
final class GoldenFiles {
    private GoldenFiles() {}

    /** The folder holding the copies. */
    static Path dir() {
        URL u = GoldenFiles.class.getResource("/golden/README.md");
        if (u == null) throw new IllegalStateException("test resource golden/README.md is missing");
        try {
            return Paths.get(u.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every *.jsonl file, sorted by name. */
    static List<Path> all() {
        try (Stream<Path> s = Files.list(dir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every case of one file. */
    static List<GoldenCase> load(String fileName) {
        try {
            return GoldenCases.load(dir().resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cases from JSON lines written in a test. */
    static List<GoldenCase> parse(String... lines) {
        try {
            return GoldenCases.load(new StringReader(String.join("\n", lines)), "hand.jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
