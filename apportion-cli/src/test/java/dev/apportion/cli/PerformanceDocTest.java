package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the performance documentation navigable: the relative links of README.md, docs/performance.md
 * and docs/perf/history.md lead to files and headings that exist, and every section that Javadoc cites
 * as {@code docs/performance.md, "<title>"} is named on that page (its History list links the sections
 * that moved to docs/perf/history.md).
 */
class PerformanceDocTest {
    private static final List<String> DOCS = List.of("README.md", "docs/performance.md", "docs/perf/history.md");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} (.*)$");
    private static final Pattern CITATION = Pattern.compile("performance\\.md\\}?,\\s*\"([^\"]+)\"");

    @Test
    void relativeLinksLeadToExistingFilesAndHeadings() throws IOException {
        Path root = ReadmeTest.root();
        List<String> broken = new ArrayList<>();
        for (String doc : DOCS) {
            Path file = root.resolve(doc);
            for (String link : links(Files.readString(file))) {
                if (link.matches("^[a-z]+:.*")) continue; // http:, https:, mailto:
                int hash = link.indexOf('#');
                String target = hash < 0 ? link : link.substring(0, hash);
                Path to = target.isEmpty()
                        ? file
                        : file.getParent().resolve(target).normalize();
                if (!Files.exists(to)) broken.add(doc + ": " + link + " (no file " + root.relativize(to) + ")");
                else if (hash >= 0
                        && to.toString().endsWith(".md")
                        && !anchors(Files.readString(to)).contains(link.substring(hash + 1)))
                    broken.add(doc + ": " + link + " (no heading with that anchor)");
            }
        }
        assertEquals(List.of(), broken, "broken links in the performance documentation");
    }

    @Test
    void sectionsCitedByJavadocAreNamedOnThePerformancePage() throws IOException {
        Path root = ReadmeTest.root();
        String page = normalise(Files.readString(root.resolve("docs/performance.md")));
        List<String> cited = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/main/java/"))
                    .forEach(p -> cited.addAll(citations(read(p))));
        }
        assertFalse(cited.isEmpty(), "Javadoc cites sections of docs/performance.md by title");
        List<String> missing = new ArrayList<>();
        for (String title : cited) if (!page.contains(normalise(title))) missing.add(title);
        assertEquals(List.of(), missing, "sections cited in Javadoc but not named in docs/performance.md");
    }

    /** Titles quoted after {@code docs/performance.md,} in Java source, Javadoc line breaks removed. */
    static List<String> citations(String javaSource) {
        String joined = javaSource.replaceAll("\\R\\s*\\*\\s?", " ");
        List<String> out = new ArrayList<>();
        Matcher m = CITATION.matcher(joined);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** Targets of the Markdown links outside fenced code blocks. */
    static List<String> links(String markdown) {
        List<String> out = new ArrayList<>();
        boolean code = false;
        for (String line : markdown.split("\\R")) {
            if (line.startsWith("```")) code = !code;
            if (code) continue;
            Matcher m = LINK.matcher(line);
            while (m.find()) out.add(m.group(1));
        }
        return out;
    }

    /** The anchors GitHub gives the headings of a Markdown file (duplicates numbered -1, -2, …). */
    static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean code = false;
        for (String line : markdown.split("\\R")) {
            if (line.startsWith("```")) code = !code;
            if (code) continue;
            Matcher m = HEADING.matcher(line);
            if (!m.matches()) continue;
            String slug = m.group(1)
                    .strip()
                    .toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
                    .replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum) - 1;
            out.add(n == 0 ? slug : slug + "-" + n);
        }
        return out;
    }

    /** Text compared without Markdown code marks and with runs of white space as one space. */
    private static String normalise(String s) {
        return s.replace("`", "").replaceAll("\\s+", " ");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
