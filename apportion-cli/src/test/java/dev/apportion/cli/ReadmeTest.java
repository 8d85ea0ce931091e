package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps README.md true: its estimator table, its quick start, its test command. */
class ReadmeTest {
    @TempDir
    Path dir;

    static Path root() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isRegularFile(q.resolve("README.md")) && Files.isDirectory(q.resolve("apportion-cli"))) return q;
        }
        throw new IllegalStateException("no README.md above " + p);
    }

    static String readme() throws IOException {
        return Files.readString(root().resolve("README.md"));
    }

    /** Lines of the section that starts with {@code heading}, up to the next "## " heading. */
    static List<String> section(String text, String heading) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : text.split("\\R")) {
            if (line.startsWith("## ")) in = line.equals(heading);
            else if (in) out.add(line);
        }
        assertFalse(out.isEmpty(), "README.md has a section '" + heading + "'");
        return out;
    }

    /** Cells of a Markdown table row. */
    static List<String> cells(String row) {
        String t = row.strip();
        t = t.substring(1, t.length() - 1);
        List<String> out = new ArrayList<>();
        for (String c : t.split("(?<!\\\\)\\|")) out.add(c.strip());
        return out;
    }

    @Test
    void estimatorTableMatchesTheRegistry() throws IOException {
        Map<String, List<String>> table = new LinkedHashMap<>();
        for (String line : section(readme(), "## Estimators")) {
            if (!line.startsWith("| `")) continue;
            List<String> c = cells(line);
            table.put(c.get(0).replace("`", ""), c);
        }
        EstimatorRegistry registry = EstimatorRegistry.global();
        List<String> problems = new ArrayList<>();
        TreeSet<String> missing = new TreeSet<>(registry.ids());
        missing.removeAll(table.keySet());
        TreeSet<String> extra = new TreeSet<>(table.keySet());
        extra.removeAll(registry.ids());
        if (!missing.isEmpty()) {
            List<Descriptor> ds = new ArrayList<>();
            for (String id : missing) ds.add(registry.get(id).descriptor());
            problems.add("registered but not in README.md's table: " + missing + "; rows to add:\n"
                    + EstimatorsCommand.markdown(ds).lines().skip(2).reduce("", (a, b) -> a + b + "\n"));
        }
        if (!extra.isEmpty()) problems.add("in README.md's table but not registered: " + extra);
        for (Estimator e : registry.all()) {
            List<String> row = table.get(e.id());
            if (row == null) continue;
            Descriptor d = e.descriptor();
            if (!row.get(1).equals(d.granularity().wireName())) {
                problems.add(e.id() + ": README says granularity '" + row.get(1) + "', the descriptor '"
                        + d.granularity().wireName() + "'");
            }
            if (!row.get(2).equals(d.fidelity().wireName())) {
                problems.add(e.id() + ": README says fidelity '" + row.get(2) + "', the descriptor '"
                        + d.fidelity().wireName() + "'");
            }
        }
        if (!problems.isEmpty()) {
            fail("README.md's estimator table differs from the registry (regenerate it with "
                    + "'./apportion estimators --markdown'):\n" + String.join("\n", problems));
        }
    }

    @Test
    void quickStartCommandsRun() throws IOException {
        Path root = root();
        List<String> commands = new ArrayList<>();
        boolean code = false;
        for (String line : section(readme(), "## Quick start")) {
            if (line.startsWith("```")) code = !code;
            else if (code && line.startsWith("./apportion ")) commands.add(line.strip());
        }
        assertTrue(commands.stream().anyMatch(c -> c.startsWith("./apportion assign ")), commands::toString);
        List<String> skipped = new ArrayList<>();
        Path grpoOut = null;
        for (String command : commands) {
            String[] words = command.substring("./apportion ".length()).split("\\s+");
            for (int k = 0; k < words.length; k++) {
                if (words[k].startsWith("examples/")) {
                    assertTrue(Files.isRegularFile(root.resolve(words[k])), words[k]);
                    words[k] = root.resolve(words[k]).toString();
                } else if (k > 0 && words[k - 1].equals("-o")) {
                    words[k] = dir.resolve(words[k]).toString();
                }
            }
            List<String> args = List.of(words);
            int e = args.indexOf("--estimator");
            if (e >= 0 && !EstimatorRegistry.global().has(args.get(e + 1))) {
                skipped.add(args.get(e + 1));
                continue;
            }
            Cli.Result r = Cli.run(EstimatorRegistry.global(), words);
            assertEquals(0, r.code(), () -> command + ": " + r);
            if (e >= 0 && args.get(e + 1).equals("grpo")) grpoOut = Path.of(args.get(args.indexOf("-o") + 1));
        }
        if (grpoOut != null) {
            // the numbers the quick start quotes: +-0.577 and +-1.155 on policy tokens, 0 on context
            double[] want = {0.57735, -1.1547, 0.57735, -0.57735, -0.57735, 1.1547};
            List<String> lines = Files.readAllLines(grpoOut);
            assertEquals(7, lines.size(), "the provenance record and one line per trajectory");
            ObjectMapper m = new ObjectMapper();
            JsonNode prov = m.readTree(lines.get(0));
            assertEquals("provenance", prov.get("kind").asText());
            assertEquals("grpo", prov.get("estimator").asText());
            byte[][] mask = exampleMasks(root.resolve("examples/two-groups.jsonl"));
            for (int i = 0; i < 6; i++) {
                JsonNode adv = m.readTree(lines.get(i + 1)).get("advantages");
                for (int t = 0; t < adv.size(); t++) {
                    double expected = mask[i][t] == 1 ? want[i] : 0;
                    assertEquals(
                            expected,
                            adv.get(t).asDouble(),
                            1e-3,
                            "README quick start, trajectory " + i + " token " + t);
                }
            }
        }
        assumeTrue(skipped.isEmpty(), "quick-start estimators not registered on this class path: " + skipped);
    }

    private static byte[][] exampleMasks(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        byte[][] out = new byte[lines.size()][];
        ObjectMapper m = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            List<Byte> mask = new ArrayList<>();
            for (JsonNode s : m.readTree(lines.get(i)).get("spans")) {
                for (int k = 0; k < s.get("tokens").asInt(); k++)
                    mask.add((byte) (s.get("role").asText().equals("policy") ? 1 : 0));
            }
            out[i] = new byte[mask.size()];
            for (int k = 0; k < out[i].length; k++) out[i][k] = mask.get(k);
        }
        return out;
    }

    @Test
    void testCommandIsWhatCiRuns() throws IOException {
        List<String> block = section(readme(), "## The two commands");
        String testCommand = block.stream()
                .filter(l -> l.startsWith("mvn "))
                .findFirst()
                .orElseThrow()
                .replaceAll("\\s+#.*", "")
                .strip();
        List<String> ci = Files.readAllLines(root().resolve(".ci/run"));
        assertTrue(
                ci.stream()
                        .anyMatch(l -> l.strip().startsWith(testCommand + " ")
                                || l.strip().equals(testCommand)),
                "README's test command '" + testCommand + "' is what .ci/run runs");
        assertTrue(Files.isExecutable(root().resolve(".ci/run")), ".ci/run is executable");
        assertTrue(Files.isExecutable(root().resolve("apportion")), "./apportion is executable");
    }

    @Test
    void exitCodesTableMatchesExitCodes() throws IOException {
        List<String> rows = section(readme(), "## Exit codes").stream()
                .filter(l -> l.matches("\\| \\d \\|.*"))
                .toList();
        assertEquals(
                List.of(ExitCodes.OK, ExitCodes.CHECK_FAILED, ExitCodes.BAD_INPUT, ExitCodes.INTERNAL_ERROR),
                rows.stream().map(r -> Integer.parseInt(cells(r).get(0))).toList());
    }
}
