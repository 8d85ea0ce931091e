package dev.apportion.io.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The importers on the real data sets in ../shared/data/trajectories (skipped when absent). The
 * expected counts were computed from the source files independently of the importers (a Python
 * count of lines, assistant messages and labels; see the comments).
 */
class RealDataImportTest {
    static Path data(String rel) {
        Path p = Path.of("..", "..", "shared", "data", "trajectories", rel);
        if (!Files.exists(p)) p = Path.of("..", "shared", "data", "trajectories", rel);
        assumeTrue(Files.isRegularFile(p), "real data not present: " + p);
        return p;
    }

    static int policySpans(Rollouts b) {
        int n = 0;
        for (int s = 0; s < b.spanCount(); s++) if (b.isPolicySpan(s)) n++;
        return n;
    }

    static int[] labelCounts(Imported im) {
        int[] c = new int[4]; // -1, 0, +1, null
        for (TrajectoryLabels l : im.labels()) {
            for (Integer x : l.policySpanLabels()) c[x == null ? 3 : x + 1]++;
        }
        return c;
    }

    @Test
    void agentProcessBench() throws IOException {
        Imported im =
                Importers.read("agentprocessbench", data("AgentProcessBench/hotpotqa.jsonl"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        // 250 lines, 50 query_index values x 5 samples; 734 assistant messages, each with a step label
        assertEquals(250, b.trajectoryCount());
        assertEquals(50, b.groupCount());
        assertEquals(734, policySpans(b));
        assertEquals(250, im.labels().size());
        // step labels: 179 x -1, 56 x 0, 499 x +1; final_label: 163 x +1
        int[] c = labelCounts(im);
        assertEquals(179, c[0]);
        assertEquals(56, c[1]);
        assertEquals(499, c[2]);
        assertEquals(0, c[3]);
        int solved = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) if (b.outcome()[i] == 1f) solved++;
        assertEquals(163, solved);
        assertEquals("approximate", im.tokenizer());
        assertNotNull(b.trajectorySignal("tokens_approximate"));
    }

    @Test
    void processBench() throws IOException {
        Imported im = Importers.read("processbench", data("ProcessBench/gsm8k.json"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        // 400 solutions of 375 distinct problems, 2082 steps; 193 with label -1 (no error), 200 correct answers
        assertEquals(400, b.trajectoryCount());
        assertEquals(375, b.groupCount());
        assertEquals(2082, policySpans(b));
        int noError = 0;
        for (TrajectoryLabels l : im.labels()) if (l.firstErrorSpan() == null) noError++;
        assertEquals(193, noError);
        int[] c = labelCounts(im);
        assertEquals(207, c[0], "one -1 label per solution with an error");
        int correct = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) if (b.outcome()[i] == 1f) correct++;
        assertEquals(200, correct);
    }

    @Test
    void tauBench() throws IOException {
        Imported im = Importers.read("taubench", data("tau-bench/gpt-4o-airline.json"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        // 200 episodes of 50 tasks x 4 trials; 2454 assistant messages, 1164 of them with one tool call; 84 rewards of
        // 1
        assertEquals(200, b.trajectoryCount());
        assertEquals(50, b.groupCount());
        assertEquals(2454, policySpans(b));
        int[] c = labelCounts(im);
        assertEquals(1164, c[0] + c[1] + c[2], "one label per tool-call turn");
        assertEquals(2454 - 1164, c[3]);
        int success = 0;
        for (int i = 0; i < b.trajectoryCount(); i++) if (b.outcome()[i] == 1f) success++;
        assertEquals(84, success);
        float[] r = b.spanReward();
        int rewarded = 0;
        for (int s = 0; s < b.spanCount(); s++) if (!Float.isNaN(r[s])) rewarded++;
        assertEquals(1164, rewarded);
    }
}
