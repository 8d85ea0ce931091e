package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples of docs/rollout-format.md are valid, and its malformed-JSON message is what the reader says. */
class FormatDocTest {
    static List<String> jsonBlocks() throws IOException {
        Path doc = Paths.get("..", "docs", "rollout-format.md");
        List<String> blocks = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : Files.readAllLines(doc)) {
            if (line.equals("```json")) {
                cur = new StringBuilder();
            } else if (line.equals("```") && cur != null) {
                blocks.add(cur.toString());
                cur = null;
            } else if (cur != null) {
                cur.append(line).append('\n');
            }
        }
        return blocks;
    }

    @Test
    void rolloutExamplesRead() throws IOException {
        List<String> blocks = jsonBlocks();
        assertEquals(5, blocks.size());
        Rollouts single = RolloutJsonl.read(new StringReader(blocks.get(0)), "doc");
        assertEquals(2, single.trajectoryCount());
        // the multi-turn example is shown on several lines: one line in a file
        Rollouts agent = RolloutJsonl.read(new StringReader(blocks.get(1).replace("\n", " ")), "doc");
        assertEquals(4, agent.spanCount());
        assertEquals(8, agent.tokenCount());
        Rollouts multi = RolloutJsonl.read(new StringReader(blocks.get(2)), "doc");
        assertEquals(2, multi.outcomeComponents().size());
        Rollouts vectors = RolloutJsonl.read(new StringReader(blocks.get(3).replace("\n", " ")), "doc");
        assertEquals(2, vectors.tokenVectorWidth("hidden"));
        assertEquals(6, vectors.tokenVector("hidden").length);
        // the credit example: the provenance record first, then trajectory lines
        String[] credit = blocks.get(4).split("\n");
        assertTrue(CreditJsonl.isProvenance(Json.mapper().readTree(credit[0])), credit[0]);
        for (int k = 1; k < credit.length; k++)
            assertTrue(Json.mapper().readTree(credit[k]).has("advantages"));
    }

    @Test
    void documentedMalformedJsonMessage() throws IOException {
        String doc = Files.readString(Paths.get("..", "docs", "rollout-format.md"));
        InputException e = assertThrows(
                InputException.class,
                () -> RolloutJsonl.read(
                        new StringReader("{\"group\":\"g\",\"tokens\":2}\n{\"group\": \"g\", \"tokens\": 3,}"),
                        "rollouts.jsonl"));
        assertTrue(doc.contains(e.getMessage()), e.getMessage());
    }
}
