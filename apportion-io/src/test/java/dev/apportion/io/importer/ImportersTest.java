package dev.apportion.io.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.InputException;
import dev.apportion.io.RolloutJsonl;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportersTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Path.of(ImportersTest.class.getResource("/importer/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Integer> labels(Integer... l) {
        return Arrays.asList(l);
    }

    static String roles(Rollouts b, int i) {
        StringBuilder s = new StringBuilder();
        for (int k = b.spanStart(i); k < b.spanEnd(i); k++) s.append(b.isPolicySpan(k) ? 'P' : 'c');
        return s.toString();
    }

    @Test
    void chat() throws IOException {
        Imported im = Importers.read("chat", resource("chat.jsonl"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(4, b.trajectoryCount());
        assertEquals(2, b.groupCount());
        assertEquals("q1", b.groupKey(0));
        assertEquals("3", b.trajectoryId(2), "id defaults to the record number (the blank line is not a record)");
        assertEquals(b.trajectoryGroup(2), b.trajectoryGroup(3), "identical first user message: one group");
        assertTrue(b.groupKey(b.trajectoryGroup(2)).startsWith("prompt:"));
        assertEquals("cPcP", roles(b, 0));
        assertEquals("cPP", roles(b, 1));
        assertEquals("cPP", roles(b, 2));
        // "It is 5." = It | is | 5 | . = 4 approximate tokens
        int last = b.spanEnd(0) - 1;
        assertEquals(4, b.spanTokenEnd(last) - b.spanTokenStart(last));
        assertEquals(0.5f, b.spanReward()[last]);
        assertEquals("planner", b.spanAgent()[b.spanStart(2) + 1]);
        assertEquals("solver", b.spanAgent()[b.spanStart(2) + 2]);
        assertArrayEquals(new float[] {1, 0, 1, 0}, b.outcome());
        assertEquals(1f, b.trajectorySignal("tokens_approximate")[0]);
        assertEquals(labels(1, 1), im.labels().get(0).policySpanLabels());
        assertNull(im.labels().get(0).firstErrorSpan());
        assertEquals(labels(-1, null), im.labels().get(1).policySpanLabels());
        assertEquals(0, im.labels().get(1).firstErrorSpan());
        assertEquals(labels(null, null), im.labels().get(2).policySpanLabels());
        assertNull(b.spanState());
    }

    @Test
    void chatArrayStatesAndSignals() throws IOException {
        Path arr = tmp.resolve("chat.json");
        List<String> lines = Files.readAllLines(resource("chat.jsonl"));
        StringBuilder s = new StringBuilder("[\n");
        for (String l : lines)
            if (!l.isBlank()) s.append(s.length() > 2 ? ",\n" : "").append(l);
        Files.writeString(arr, s.append("\n]\n").toString());
        Imported im = Importers.read(
                "chat", arr, new ImportOptions(ApproximateTokens.INSTANCE, true, resource("signals.jsonl")));
        Rollouts b = im.rollouts();
        assertEquals(4, b.trajectoryCount());
        String[] state = b.spanState();
        // a and b saw the same prompt before their first turn; b's second turn follows its first without an observation
        assertEquals(state[b.spanStart(0) + 1], state[b.spanStart(1) + 1]);
        assertNotEquals(state[b.spanStart(0) + 1], state[b.spanStart(0) + 3]);
        assertEquals(state[b.spanStart(1) + 1] + "+1", state[b.spanStart(1) + 2]);
        assertNull(state[b.spanStart(0)], "context spans have no state");
        float[] prm = b.spanSignal("prm");
        assertEquals(0.9f, prm[b.spanStart(0) + 3]);
        assertEquals(0.1f, prm[b.spanStart(1) + 1]);
        assertTrue(Float.isNaN(prm[b.spanStart(1) + 2]));
        assertEquals(0.2f, b.trajectorySignal("judge")[1]);
        assertTrue(Float.isNaN(b.trajectorySignal("judge")[0]));
        // the rollout file round-trips
        Path out = tmp.resolve("r.jsonl");
        RolloutJsonl.write(out, b);
        assertEquals(b.tokenCount(), RolloutJsonl.read(out).tokenCount());
    }

    @Test
    void signalsForAnUnknownTrajectoryAreRefused() throws IOException {
        Path sig = tmp.resolve("sig.jsonl");
        Files.writeString(sig, "{\"group\": \"q1\", \"id\": \"zz\", \"signals\": {\"prm\": 1}}\n");
        InputException e = assertThrows(
                InputException.class,
                () -> Importers.read(
                        "chat", resource("chat.jsonl"), new ImportOptions(ApproximateTokens.INSTANCE, false, sig)));
        assertTrue(e.getMessage().contains("trajectory 'zz' of group 'q1'"), e.getMessage());
        Files.writeString(sig, "{\"group\": \"q1\", \"id\": \"a\", \"span\": 5, \"signals\": {\"prm\": 1}}\n");
        e = assertThrows(
                InputException.class,
                () -> Importers.read(
                        "chat", resource("chat.jsonl"), new ImportOptions(ApproximateTokens.INSTANCE, false, sig)));
        assertTrue(e.getMessage().contains("policy span 5 but the trajectory has 2"), e.getMessage());
    }

    @Test
    void agentProcessBench() throws IOException {
        Imported im =
                Importers.read("agentprocessbench", resource("agentprocessbench.jsonl"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(2, b.trajectoryCount());
        assertEquals(1, b.groupCount());
        assertEquals("q7", b.groupKey(0));
        assertEquals("s1", b.trajectoryId(1));
        assertEquals("cPcP", roles(b, 0));
        assertEquals("cPP", roles(b, 1));
        assertArrayEquals(new float[] {0, 1}, b.outcome());
        assertEquals(labels(1, -1), im.labels().get(0).policySpanLabels());
        assertEquals(1, im.labels().get(0).firstErrorSpan());
        assertEquals(labels(0, 1), im.labels().get(1).policySpanLabels());
        assertNull(im.labels().get(1).firstErrorSpan());
    }

    @Test
    void processBench() throws IOException {
        Imported im = Importers.read("processbench", resource("processbench.json"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(3, b.trajectoryCount());
        assertEquals(2, b.groupCount());
        assertEquals("gsm8k-1", b.trajectoryId(1));
        assertEquals("cPPP", roles(b, 0));
        assertArrayEquals(new float[] {0, 1, 1}, b.outcome());
        assertEquals(labels(1, -1, null), im.labels().get(0).policySpanLabels());
        assertEquals(1, im.labels().get(0).firstErrorSpan());
        assertEquals(labels(1, 1), im.labels().get(1).policySpanLabels());
        assertNull(im.labels().get(1).firstErrorSpan());
    }

    @Test
    void tauBench() throws IOException {
        Imported im = Importers.read("taubench", resource("taubench.json"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(2, b.trajectoryCount());
        assertEquals("task-3", b.groupKey(0));
        assertEquals("trial-1", b.trajectoryId(1));
        assertEquals("cPcPcPc", roles(b, 0));
        assertEquals("cPcPcP", roles(b, 1));
        float[] r = b.spanReward();
        // trial 0: both gold actions called exactly (argument order does not matter)
        assertEquals(1f, r[b.spanStart(0) + 1]);
        assertTrue(Float.isNaN(r[b.spanStart(0) + 3]));
        assertEquals(1f, r[b.spanStart(0) + 5]);
        // trial 1: a tool outside the gold list scores 0; cancel with one of two arguments right (1 + 1) / (1 + 2)
        assertEquals(0f, r[b.spanStart(1) + 1]);
        assertEquals(2f / 3f, r[b.spanStart(1) + 3], 1e-6);
        assertEquals(labels(1, null, 1), im.labels().get(0).policySpanLabels());
        assertEquals(labels(-1, 0, null), im.labels().get(1).policySpanLabels());
        assertEquals(0, im.labels().get(1).firstErrorSpan());
        assertArrayEquals(new float[] {1, 0}, b.outcome());
    }

    @Test
    void assignmentIsOptimalNotGreedy() {
        // a greedy row-by-row choice would give row 0 column 0 (0.9) and row 1 nothing (0); optimal is 0.8 + 0.8
        int[] m = ToolCallMatching.assign(new double[][] {{0.9, 0.8}, {0.8, 0}}, 2);
        assertArrayEquals(new int[] {1, 0}, m);
        assertArrayEquals(new int[] {0, -1}, ToolCallMatching.assign(new double[][] {{1}, {0.5}}, 1));
    }

    @Test
    void verlDump() throws IOException {
        Imported im = Importers.read("verl-dump", resource("verl-dump.jsonl"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(3, b.trajectoryCount());
        assertEquals(2, b.groupCount());
        assertEquals("cP", roles(b, 0));
        assertArrayEquals(new float[] {1, 0, 1}, b.outcome());
        assertArrayEquals(new float[] {1, 0, 1}, b.trajectorySignal("acc"));
        assertTrue(im.labels().isEmpty());
    }

    @Test
    void trl() throws IOException {
        Imported im = Importers.read("trl", resource("trl.jsonl"), ImportOptions.defaults());
        Rollouts b = im.rollouts();
        assertEquals(3, b.trajectoryCount());
        assertEquals(2, b.groupCount());
        assertEquals("cP", roles(b, 0));
        assertEquals("cPcP", roles(b, 2));
        float[] acc = b.outcomeComponents().get("accuracy_reward");
        float[] fmt = b.outcomeComponents().get("format_reward");
        assertArrayEquals(new float[] {1, 0, 1}, acc);
        assertTrue(Float.isNaN(fmt[0]));
        assertEquals(1f, fmt[1]);
        assertTrue(Float.isNaN(fmt[2]));
        assertEquals(-0.7f, b.trajectorySignal("trl_advantage")[1]);
    }

    @Test
    void labelsRoundTrip() throws IOException {
        Imported im = Importers.read("chat", resource("chat.jsonl"), ImportOptions.defaults());
        Path out = tmp.resolve("labels.jsonl");
        LabelsJsonl.write(out, im.labels());
        String text = Files.readString(out);
        assertTrue(
                text.startsWith(
                        "{\"group\":\"q1\",\"id\":\"a\",\"policy_span_labels\":[1,1],\"first_error_span\":null}\n"),
                text);
        assertEquals(im.labels(), LabelsJsonl.read(out));
    }

    @Test
    void approximateTokens() {
        TokenCounter t = ApproximateTokens.INSTANCE;
        assertEquals(0, t.count(""));
        assertEquals(4, t.count("It is 5."));
        assertEquals(4, t.count("internationalization"), "20 letters: one token per started 6 letters");
        assertEquals(2, t.count("12345"), "digits: one token per started 3");
    }

    // ---- malformed inputs: file, line and field ------------------------------------------------------

    /**
     * Writes {@code content} to {@code name}, imports it as {@code format} and checks that the
     * refusal names the file, line and field in one line containing each of {@code parts}.
     */
    void refused(String format, String name, String content, int line, String field, String... parts)
            throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content.getBytes(StandardCharsets.UTF_8));
        InputException e =
                assertThrows(InputException.class, () -> Importers.read(format, p, ImportOptions.defaults()));
        assertNames(e, name, line, field, parts);
    }

    void assertNames(InputException e, String name, int line, String field, String... parts) {
        assertTrue(e.getMessage().startsWith(tmp.resolve(name) + ":" + line + ": "), e.getMessage());
        assertEquals(line, e.line());
        assertEquals(field, e.field(), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage() + " lacks " + p);
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }

    @Test
    void malformedChat() throws IOException {
        refused(
                "chat",
                "c.jsonl",
                "{\"group\":\"g\",\"id\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n"
                        + "{\"group\":\"g\",\"id\":\"y\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"robot\",\"content\":\"?\"}]}\n",
                2,
                "messages[1].role",
                "trajectory 'y' (group 'g')",
                "\"robot\"");
        refused("chat", "c2.jsonl", "{\"messages\":[], \"outcom\": 1}\n", 1, "outcom", "unknown field 'outcom'");
        refused(
                "chat",
                "c3.jsonl",
                "{\"id\":\"x\",\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"label\":2}]}\n",
                1,
                "messages[0].label",
                "must be -1, 0, 1 or null, got 2");
        refused(
                "chat",
                "c4.jsonl",
                "{\"group\":\"g\",\"id\":\"x\",\"messages\":[]}\n{\"group\":\"g\",\"id\":\"x\",\"messages\":[]}\n",
                2,
                "id",
                "duplicate id 'x' in group 'g' (first on line 1)");
        refused("chat", "c5.jsonl", "{\"messages\": [}\n", 1, null, "malformed JSON");
    }

    @Test
    void malformedAgentProcessBench() throws IOException {
        refused(
                "agentprocessbench",
                "a.jsonl",
                "{\"query_index\":1,\"sample_index\":0,\"final_label\":1,"
                        + "\"step_labels\":{\"1\":1},\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"user\",\"content\":\"q2\"}]}\n",
                1,
                "step_labels.1",
                "trajectory 's0' (group 'q1')",
                "not an assistant message");
        refused(
                "agentprocessbench",
                "a2.jsonl",
                "{\"query_index\":1,\"sample_index\":0,\"step_labels\":{},\"messages\":[]}\n",
                1,
                "final_label",
                "final_label is missing");
    }

    @Test
    void malformedProcessBench() throws IOException {
        refused(
                "processbench",
                "p.json",
                "[\n {\"id\":\"a\",\"problem\":\"p\",\"steps\":[\"s\"],\"final_answer_correct\":true,\"label\":-1},\n"
                        + " {\"id\":\"b\",\"problem\":\"p\",\"steps\":[\"s\",\"t\"],\"final_answer_correct\":true,\"label\":2}\n]\n",
                3,
                "label",
                "trajectory 'b'",
                "got 2");
        refused(
                "processbench",
                "p2.json",
                "[{\"id\":\"a\",\"problem\":\"p\",\"steps\":[\"s\"],\"final_answer_correct\":\"yes\",\"label\":-1}]",
                1,
                "final_answer_correct",
                "true or false");
    }

    @Test
    void malformedTauBench() throws IOException {
        refused(
                "taubench",
                "t.json",
                "[\n{\"task_id\":1,\"trial\":0,\"info\":{\"task\":{\"actions\":[]}},\"traj\":[]}\n]",
                2,
                "reward",
                "trajectory 'trial-0' (group 'task-1')",
                "reward is missing");
        refused(
                "taubench",
                "t2.json",
                "[{\"task_id\":1,\"trial\":0,\"reward\":1,\"info\":{\"task\":{\"actions\":[{\"kwargs\":{}}]}},\"traj\":[]}]",
                1,
                "info.task.actions[0].name",
                "is missing");
    }

    @Test
    void malformedVerlDump() throws IOException {
        refused(
                "verl-dump",
                "v.jsonl",
                "{\"input\":\"a\",\"output\":\"b\",\"score\":1}\n{\"input\":\"a\",\"output\":\"b\",\"score\":\"1.0\"}\n",
                2,
                "score",
                "score must be a number, got a string");
    }

    @Test
    void malformedTrl() throws IOException {
        refused(
                "trl",
                "r.jsonl",
                "{\"prompt\":\"a\",\"completion\":\"b\",\"acc\":\"high\"}\n",
                1,
                "acc",
                "reward column 'acc' must be a number or null");
        refused("trl", "r2.jsonl", "{\"prompt\":\"a\",\"completion\":\"b\"}\n", 1, "rewards", "no reward");
    }

    @Test
    void malformedLabels() throws IOException {
        Path p = tmp.resolve("l.jsonl");
        Files.writeString(
                p,
                "{\"group\":\"g\",\"id\":\"a\",\"policy_span_labels\":[1,null]}\n"
                        + "{\"group\":\"g\",\"id\":\"b\",\"policy_span_labels\":[1,2],\"first_error_span\":null}\n");
        InputException e = assertThrows(InputException.class, () -> LabelsJsonl.read(p));
        assertNames(e, "l.jsonl", 2, "policy_span_labels[1]", "trajectory 'b' (group 'g')");
        Files.writeString(p, "{\"group\":\"g\",\"id\":\"a\",\"policy_span_labels\":[1],\"first_error_span\":3}\n");
        e = assertThrows(InputException.class, () -> LabelsJsonl.read(p));
        assertNames(e, "l.jsonl", 1, "first_error_span", "got 3");
    }

    @Test
    void unknownFormat() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Importers.read("csv", resource("chat.jsonl"), ImportOptions.defaults()));
        assertTrue(e.getMessage().contains("formats: chat, agentprocessbench"), e.getMessage());
    }
}
