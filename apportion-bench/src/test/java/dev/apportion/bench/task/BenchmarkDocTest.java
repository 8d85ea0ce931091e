package dev.apportion.bench.task;

import dev.apportion.bench.batch.Signals;
import dev.apportion.core.credit.ParamSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/benchmark.md documents every task family, knob and signal (skipped when the doc is not at ../docs). */
class BenchmarkDocTest {
    @Test
    void everyKnobAndSignalIsDocumented() throws Exception {
        Path doc = Path.of("..", "docs", "benchmark.md");
        Assumptions.assumeTrue(Files.exists(doc), "docs/benchmark.md not found from " + Path.of("").toAbsolutePath());
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        for (TaskFamily f : TaskFamilies.all()) {
            assertTrue(text.contains("### " + f.id()), "family " + f.id());
            for (ParamSpec p : f.knobs()) assertTrue(text.contains("`" + p.name() + "`"), f.id() + " knob " + p.name());
        }
        for (Signals.Doc d : Signals.docs()) {
            assertTrue(text.contains("`" + d.name() + "`") || text.contains("| " + d.name() + " |"), "signal " + d.name());
        }
    }
}
