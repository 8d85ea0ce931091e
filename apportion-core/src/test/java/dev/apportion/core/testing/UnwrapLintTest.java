package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The registry wraps every estimator it hands out (requirements are checked by the wrapper), so
 * a class test on a registry result is a bug unless it goes through {@code Estimator.unwrap()}.
 * This test reads every Java file of the repository and fails on an {@code instanceof} test or a
 * cast whose type is an estimator class (any class that implements {@code Estimator}, directly or
 * through a superclass, and every other type such a class implements, like the bench's
 * {@code BenchReference} marker) unless the checked expression ends in {@code .unwrap()}.
 */
class UnwrapLintTest {
    /** The wrapper itself: its own class test is what unwrap() undoes. */
    private static final Set<String> NOT_ESTIMATOR_TYPES = Set.of("Estimator", "RequirementChecked");

    private static final Pattern DECLARATION =
            Pattern.compile("\\b(?:class|interface|record)\\s+([A-Z]\\w*)(?:<[^>{]*>)?(?:\\([^)]*\\))?([^{;]*)\\{");
    private static final Pattern SUPERTYPE = Pattern.compile("\\b([A-Z]\\w*)\\b");

    @Test
    void noClassTestOnAnEstimatorBypassesUnwrap() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(root.resolve("pom.xml")), "the repository root is the module's parent");
        List<Path> sources = javaFiles(root);
        Set<String> types = estimatorTypes(sources);
        assertTrue(types.contains("Grpo") && types.contains("Gae"), "estimator classes found: " + types.size());
        List<String> found = new ArrayList<>();
        for (Path f : sources) {
            String text = read(f);
            for (String v : violations(text, types)) found.add(root.relativize(f) + ": " + v);
        }
        assertEquals(List.of(), found, "class tests on registry results must go through Estimator.unwrap()");
    }

    /** The rule itself, on code written here: it flags what it must and passes what it may. */
    @Test
    void theRuleFlagsClassTestsWithoutUnwrap() {
        Set<String> types = Set.of("Gae", "BenchReference");
        assertEquals(1, violations("if (e instanceof Gae) return;", types).size());
        assertEquals(
                1,
                violations("boolean r = reg.get(id) instanceof BenchReference;", types)
                        .size());
        assertEquals(1, violations("Gae g = (Gae) reg.get(\"gae\");", types).size());
        assertEquals(
                1, violations("Gae g = (Gae)\n        reg.get(\"gae\");", types).size());
        assertEquals(List.of(), violations("if (e.unwrap() instanceof Gae) return;", types));
        assertEquals(List.of(), violations("if (e.estimator().unwrap() instanceof BenchReference) x();", types));
        assertEquals(List.of(), violations("Gae g = (Gae) reg.get(\"gae\").unwrap();", types));
        assertEquals(List.of(), violations("Gae g = (Gae)\n        reg.get(\"gae\")\n        .unwrap();", types));
        assertEquals(List.of(), violations("if (e instanceof Grpo) return; // not an estimator type here", types));
        assertEquals(
                List.of(), violations("// e instanceof Gae\n/* (Gae) reg.get(x); */ s = \"e instanceof Gae\";", types));
        assertEquals(
                Set.of("A", "B", "Marker"),
                estimatorTypesOf(List.of(
                        "final class A implements Estimator, Marker {",
                        "public class B extends A {",
                        "class C implements Runnable {",
                        "public interface Marker {}")));
    }

    private static final Pattern INSTANCEOF = Pattern.compile("instanceof\\s+([A-Z]\\w*)");
    private static final Pattern CAST = Pattern.compile("\\(\\s*([A-Z]\\w*)\\s*\\)\\s*(?=[\\w(])");

    /** Class tests on {@code types} in the code of {@code source} that do not go through unwrap(), one line each. */
    static List<String> violations(String source, Set<String> types) {
        String text = codeOnly(source);
        List<String> out = new ArrayList<>();
        Matcher m = INSTANCEOF.matcher(text);
        while (m.find()) {
            if (!types.contains(m.group(1))) continue;
            String before = text.substring(0, m.start()).stripTrailing();
            if (!before.endsWith(".unwrap()")) out.add(line(text, m.start()) + ": instanceof " + m.group(1));
        }
        m = CAST.matcher(text);
        while (m.find()) {
            if (!types.contains(m.group(1))) continue;
            int end = text.indexOf(';', m.end());
            String operand =
                    text.substring(m.end(), end < 0 ? text.length() : end).replaceAll("\\s+", "");
            if (!operand.endsWith(".unwrap()")) out.add(line(text, m.start()) + ": cast to " + m.group(1));
        }
        return out;
    }

    /** {@code source} with comments and the contents of string and char literals blanked (line breaks kept). */
    static String codeOnly(String source) {
        return JavaSourceText.blankComments(source, true);
    }

    private static String line(String text, int at) {
        return "line " + JavaSourceText.lineOf(text, at);
    }

    private static Set<String> estimatorTypes(List<Path> sources) {
        List<String> texts = new ArrayList<>();
        for (Path f : sources) if (f.toString().contains("/src/main/java/")) texts.add(codeOnly(read(f)));
        return estimatorTypesOf(texts);
    }

    /**
     * Types that implement {@code Estimator} directly or through a superclass, and every other
     * type they name as a supertype.
     */
    static Set<String> estimatorTypesOf(List<String> texts) {
        Map<String, Set<String>> supertypes = new HashMap<>();
        for (String text : texts) {
            Matcher d = DECLARATION.matcher(text);
            while (d.find()) {
                Set<String> sup = new HashSet<>();
                Matcher s = SUPERTYPE.matcher(d.group(2));
                while (s.find()) sup.add(s.group(1));
                supertypes.computeIfAbsent(d.group(1), k -> new HashSet<>()).addAll(sup);
            }
        }
        Set<String> estimators = new TreeSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Map.Entry<String, Set<String>> e : supertypes.entrySet()) {
                if (estimators.contains(e.getKey())) continue;
                for (String s : e.getValue()) {
                    if (s.equals("Estimator") || estimators.contains(s)) {
                        estimators.add(e.getKey());
                        grew = true;
                        break;
                    }
                }
            }
        }
        Set<String> out = new TreeSet<>(estimators);
        for (String c : estimators) out.addAll(supertypes.get(c));
        out.removeAll(NOT_ESTIMATOR_TYPES);
        out.removeIf(t -> !supertypes.containsKey(t)); // JDK and library types
        return out;
    }

    /** Every .java file under a {@code src} folder, skipping build output, hidden folders and node_modules. */
    private static List<Path> javaFiles(Path root) {
        List<Path> out = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String name =
                            dir.getFileName() == null ? "" : dir.getFileName().toString();
                    boolean skip = !dir.equals(root)
                            && (name.equals("target") || name.startsWith(".") || name.equals("node_modules"));
                    return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String r = root.relativize(file).toString().replace('\\', '/');
                    if (r.endsWith(".java") && r.contains("/src/")) out.add(file);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(null);
        return out;
    }

    private static String read(Path f) {
        return JavaSourceText.read(f);
    }
}
