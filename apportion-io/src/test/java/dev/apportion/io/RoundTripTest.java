package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.RandomBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** read → write → read gives the same batch; read → credit → credit JSONL lines up with the input. */
class RoundTripTest {
    static void assertSameBatch(Rollouts a, Rollouts b) {
        assertEquals(a.trajectoryCount(), b.trajectoryCount());
        for (int i = 0; i < a.trajectoryCount(); i++) {
            assertEquals(a.trajectoryId(i), b.trajectoryId(i));
            assertEquals(a.groupKey(a.trajectoryGroup(i)), b.groupKey(b.trajectoryGroup(i)));
        }
        assertArrayEquals(a.trajectoryTokenOffsets(), b.trajectoryTokenOffsets());
        assertArrayEquals(a.trajectorySpanOffsets(), b.trajectorySpanOffsets());
        assertArrayEquals(a.spanTokenOffsets(), b.spanTokenOffsets());
        assertArrayEquals(a.mask(), b.mask());
        assertArrayEquals(a.outcome(), b.outcome());
        assertArrayEquals(a.spanReward(), b.spanReward());
        assertArrayEquals(a.spanState(), b.spanState());
        assertArrayEquals(a.spanAgent(), b.spanAgent());
        assertArrayEquals(a.tokenText(), b.tokenText());
        assertMaps(a.outcomeComponents(), b.outcomeComponents());
        assertMaps(a.trajectorySignals(), b.trajectorySignals());
        assertMaps(a.spanSignals(), b.spanSignals());
        assertMaps(a.tokenSignals(), b.tokenSignals());
    }

    static void assertMaps(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

    @Test
    void handWrittenFileRoundTrips(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(
                in,
                String.join(
                        "\n",
                        "{\"group\":\"p\",\"id\":\"a\",\"outcome\":{\"acc\":1,\"fmt\":null},\"signals\":{\"reward_baseline\":0.1},"
                                + "\"spans\":[{\"role\":\"context\",\"tokens\":1,\"state\":\"s\"},{\"role\":\"policy\",\"tokens\":2,\"reward\":0.5,"
                                + "\"agent\":\"x\",\"signals\":{\"prm\":0.3}},{\"role\":\"policy\",\"tokens\":0}],"
                                + "\"token_signals\":{\"logprob\":[-1,-0.1,-0.2]},\"text\":[\"a\",\"b\",\"c\"]}",
                        "{\"group\":\"q\",\"tokens\":2,\"outcome\":{\"fmt\":0.25},\"token_signals\":{\"logprob\":[-3,-4],\"reward\":[0,1]},"
                                + "\"text\":[\"\\u00e9\",\"\\n\"]}",
                        ""));
        Rollouts first = RolloutJsonl.read(in);
        Path copy = dir.resolve("copy.jsonl");
        RolloutJsonl.write(copy, first);
        Rollouts second = RolloutJsonl.read(copy);
        assertSameBatch(first, second);
        assertEquals(List.of("copy.jsonl", "in.jsonl"), CreditJsonlTest.files(dir));
    }

    @Test
    void randomBatchesWithEverySignalRoundTrip(@TempDir Path dir) throws IOException {
        for (long seed = 1; seed <= 3; seed++) {
            Rollouts b = RandomBatches.build(RandomBatches.trajectories(seed, RandomBatches.Options.defaults()));
            Path f = dir.resolve("r" + seed + ".jsonl");
            RolloutJsonl.write(f, b);
            assertSameBatch(b, RolloutJsonl.read(f));
        }
    }

    @Test
    void creditLinesMatchTheInputTrajectories(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(
                in,
                "{\"group\":\"p\",\"id\":\"a\",\"outcome\":1,\"spans\":[{\"role\":\"context\",\"tokens\":2},{\"role\":\"policy\",\"tokens\":3}]}\n"
                        + "{\"group\":\"p\",\"id\":\"b\",\"outcome\":0,\"tokens\":2}\n");
        Rollouts b = RolloutJsonl.read(in);
        // a trivial credit: the outcome broadcast over policy tokens
        float[] adv = new float[b.tokenCount()];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) if (b.mask()[t] == 1) adv[t] = b.outcome()[i] - 0.5f;
        }
        Path out = dir.resolve("credit.jsonl");
        CreditJsonl.write(
                out,
                b,
                Credit.builder(adv).spanAdvantages(new float[] {0, 0.5f, -0.5f}).build());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        JsonNode a = Json.mapper().readTree(lines.get(0));
        assertEquals("p", a.get("group").asText());
        assertEquals("a", a.get("id").asText());
        assertEquals("[0.0,0.0,0.5,0.5,0.5]", a.get("advantages").toString());
        assertEquals("[0.0,0.5]", a.get("span_advantages").toString());
        JsonNode c = Json.mapper().readTree(lines.get(1));
        assertEquals("[-0.5,-0.5]", c.get("advantages").toString());
        assertEquals(Role.POLICY, b.spanRole(2));
    }

    @Test
    void aBatchWithBothOutcomeFormsIsRefused(@TempDir Path dir) {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "a")
                .outcome(1)
                .outcomeComponent("acc", 1)
                .span(Role.POLICY, 1)
                .build();
        Path f = dir.resolve("x.jsonl");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> RolloutJsonl.write(f, b));
        assertEquals(
                "the batch has both a scalar outcome and outcome components [acc]; rollout JSONL holds one or the other",
                e.getMessage());
        assertEquals(false, Files.exists(f));
    }
}
