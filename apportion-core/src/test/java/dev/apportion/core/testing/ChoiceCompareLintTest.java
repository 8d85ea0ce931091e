package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.ParamSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Closed choice parameters are enums read with {@code Params.getChoice} (with {@code WireName}
 * where the values are not lower-case Java names), not strings compared by hand. This test reads
 * the estimator and kernel packages of core and fails on {@code "v".equals(…)},
 * {@code ….equals("v")} or {@code case "v"} where {@code v} is a value of any registered choice
 * parameter. Other modules are not scanned: their string compares are of signal names, JSON
 * fields and roles, which share many words ({@code group}, {@code outcome}) with choice values.
 */
class ChoiceCompareLintTest {
    /**
     * Files allowed to compare such literals, with the reason. {@code spo_tree}'s
     * {@code adv_method} is a free string by design (the reference accepts any registered
     * advantage function); its values {@code grpo} and {@code rloo} happen to be choices of others.
     */
    private static final Map<String, String> ALLOWED = Map.of("SpoTree.java", "adv_method is a free STRING parameter");

    private static final Pattern COMPARES =
            Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"\\s*\\.equals(?:IgnoreCase)?\\("
                    + "|\\.equals(?:IgnoreCase)?\\(\\s*\"((?:[^\"\\\\\\n]|\\\\.)*)\"\\s*\\)"
                    + "|\\bcase\\s+\"((?:[^\"\\\\\\n]|\\\\.)*)\"");

    @Test
    void noChoiceValueIsComparedAsAString() {
        Path core = Path.of("src/main/java/dev/apportion/core");
        assumeTrue(Files.isDirectory(core.resolve("estimator")), "run from the apportion-core module directory");
        Set<String> values = choiceValues();
        assertTrue(values.contains("token-mean") && values.contains("policy_spans"), "choice values: " + values.size());
        List<String> found = new ArrayList<>();
        for (Path dir : List.of(core.resolve("estimator"), core.resolve("kernel"))) {
            for (Path f : javaFiles(dir)) {
                if (ALLOWED.containsKey(f.getFileName().toString())) continue;
                for (String v : violations(read(f), values)) found.add(core.relativize(f) + ":" + v);
            }
        }
        assertEquals(
                List.of(),
                found,
                "declare the choice with ParamSpec.choice(name, Enum, doc) and read it with Params.getChoice");
    }

    /** The rule itself, on code written here. */
    @Test
    void theRuleFlagsLiteralComparesOfChoiceValuesOnly() {
        Set<String> values = Set.of("token-mean", "linear", "Memory_efficient");
        assertEquals(
                1,
                violations("boolean t = p.getString(\"loss_agg\").equals(\"token-mean\");", values)
                        .size());
        assertEquals(
                1,
                violations("boolean m = \"Memory_efficient\".equals(p.getString(\"impl\"));", values)
                        .size());
        assertEquals(
                1,
                violations("switch (mode) {\n  case \"linear\":\n    break;\n}", values)
                        .size());
        assertEquals(
                1,
                violations("if (s.equalsIgnoreCase( \"linear\" )) x();", values).size());
        assertEquals(List.of("2: \"linear\""), violations("int a;\nif (\"linear\".equals(m)) x();", values));
        assertEquals(List.of(), violations("if (name.equals(\"state\")) x();", values));
        assertEquals(List.of(), violations("String s = \"token-mean\"; // \"linear\".equals(s)", values));
        assertEquals(List.of(), violations("/* case \"linear\": */ int k;", values));
        assertEquals(List.of(), violations("String u = \"http://x\"; if (\"state\".equals(u)) x();", values));
        assertEquals(List.of(), violations("if (mode == Mode.LINEAR) x();", values));
    }

    /** Literal compares of {@code values} in {@code source}, as "line: \"value\"", comments ignored. */
    static List<String> violations(String source, Set<String> values) {
        String text = withoutComments(source);
        List<String> out = new ArrayList<>();
        Matcher m = COMPARES.matcher(text);
        while (m.find()) {
            String v = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            if (values.contains(v)) out.add(line(text, m.start()) + ": \"" + v + "\"");
        }
        return out;
    }

    private static Set<String> choiceValues() {
        Set<String> out = new TreeSet<>();
        for (Estimator e : EstimatorRegistry.global().all()) {
            for (ParamSpec p : e.descriptor().parameters()) {
                if (p.type() == ParamSpec.Type.CHOICE) out.addAll(p.choices());
            }
        }
        return out;
    }

    /** {@code source} with comments blanked (string literals and line breaks kept). */
    static String withoutComments(String source) {
        return JavaSourceText.blankComments(source, false);
    }

    private static int line(String text, int offset) {
        return JavaSourceText.lineOf(text, offset);
    }

    private static List<Path> javaFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path f) {
        return JavaSourceText.read(f);
    }
}
