package dev.apportion.bench.task;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.ParamSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** docs/benchmark.md documents every task family, knob and signal (skipped when the doc is not at ../docs). */
class BenchmarkDocTest {
    @Test
    void everyKnobAndSignalIsDocumented() throws Exception {
        Path doc = Path.of("..", "docs", "benchmark.md");
        Assumptions.assumeTrue(
                Files.exists(doc),
                "docs/benchmark.md not found from " + Path.of("").toAbsolutePath());
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        for (TaskFamily f : TaskFamilies.all()) {
            assertTrue(text.contains("### " + f.id()), "family " + f.id());
            for (ParamSpec p : f.knobs()) assertTrue(text.contains("`" + p.name() + "`"), f.id() + " knob " + p.name());
        }
        for (Signals.Doc d : Signals.docs()) {
            assertTrue(
                    text.contains("`" + d.name() + "`") || text.contains("| " + d.name() + " |"), "signal " + d.name());
        }
    }

    /** Issue 7: the quick suite's description in docs/benchmark.md states what quick.json runs. */
    @Test
    void quickSuiteIsDescribedAsItRuns() throws Exception {
        Path doc = Path.of("..", "docs", "benchmark.md");
        Assumptions.assumeTrue(Files.exists(doc), "docs/benchmark.md not found");
        String text = Files.readString(doc, StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        int at = text.indexOf("- **quick**");
        assertTrue(at >= 0, "quick suite paragraph");
        String para = text.substring(at, text.indexOf("- **full**", at));
        dev.apportion.bench.run.Suite q = dev.apportion.bench.run.Suite.builtIn("quick");
        assertTrue(para.contains(q.seeds() + " credit-quality seeds"), para);
        assertTrue(para.contains(q.learningSeeds() + " learning seeds"), para);
        assertTrue(para.contains(q.batches() + " batches of " + q.groups() + "×" + q.groupSize()), para);
        assertTrue(para.contains(q.learning().updates() + " updates"), para);
        assertTrue(para.contains(q.tuningSeeds() + " seeds"), para);
        for (dev.apportion.bench.run.TaskEntry e : q.tasks()) {
            if (e.sweepKnob() == null) continue;
            assertTrue(para.contains("`" + e.sweepKnob() + "`"), e.id() + " sweep knob in " + para);
            for (Object v : e.sweepValues()) assertTrue(para.contains(String.valueOf(v)), e.id() + " value " + v);
        }
    }

    /** The full suite's description in docs/benchmark.md lists exactly what full.json runs. */
    @Test
    void fullSuiteIsDescribedAsItRuns() throws Exception {
        Path doc = Path.of("..", "docs", "benchmark.md");
        Assumptions.assumeTrue(Files.exists(doc), "docs/benchmark.md not found");
        String text = Files.readString(doc, StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        int at = text.indexOf("- **full**");
        assertTrue(at >= 0, "full suite paragraph");
        String para = text.substring(at, text.indexOf("The leaderboard is the mean", at));
        dev.apportion.bench.run.Suite f = dev.apportion.bench.run.Suite.builtIn("full");
        assertTrue(para.contains(f.seeds() + " credit-quality seeds"), para);
        assertTrue(para.contains(f.learningSeeds() + " learning seeds"), para);
        assertTrue(para.contains(f.batches() + " batches of " + f.groups() + "×" + f.groupSize()), para);
        assertTrue(para.contains(f.learning().updates() + " updates"), para);
        assertTrue(para.contains(f.tuningSeeds() + " seeds"), para);
        java.util.List<String> grid = new java.util.ArrayList<>();
        for (double g : f.learningRateGrid())
            grid.add(g == Math.rint(g) ? Long.toString((long) g) : Double.toString(g));
        assertTrue(para.contains("grid [" + String.join(", ", grid) + "]"), para);
        int sweeps = 0;
        for (dev.apportion.bench.run.TaskEntry e : f.tasks()) {
            if (e.sweepKnob() == null) continue;
            sweeps++;
            java.util.List<String> vals = new java.util.ArrayList<>();
            for (Object v : e.sweepValues()) vals.add(String.valueOf(v));
            String line = "- `" + e.id() + "`" + (e.learning() ? "" : " (credit only)") + ": `" + e.sweepKnob() + "` "
                    + String.join(", ", vals);
            int i = para.indexOf(line);
            assertTrue(
                    i >= 0 && para.charAt(i + line.length()) == ' ',
                    "sweep line '" + line + "' (and no other values) in " + para);
        }
        assertTrue(para.split("- `", -1).length - 1 == sweeps, "no sweep listed that full.json does not run: " + para);
    }
}
