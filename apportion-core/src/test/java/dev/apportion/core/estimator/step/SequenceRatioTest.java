package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SequenceRatio} against values derived by hand from difflib's algorithm, and against
 * CPython's difflib on the pairs of {@code difflib/sequence-matcher-ratio.jsonl} (see the
 * README beside it). Ratios are compared exactly: the port must reach the same threshold
 * decisions as the reference.
 */
class SequenceRatioTest {
    private static final String ROOM = "You are in room A. You see a key.";

    @Test
    void theDocumentedGigpoExample() {
        // one character differs at the end: 32 of 33 match on each side
        assertEquals(64.0 / 66.0, SequenceRatio.ratio(ROOM, "You are in room A. You see a key!"), 0.0);
        assertTrue(SequenceRatio.ratio(ROOM, "You are in room A. You see a key!") >= 0.95);
        // "Hall" shares only one 'a' with the sentence (no 'H', no 'l')
        assertEquals(2.0 / 37.0, SequenceRatio.ratio(ROOM, "Hall"), 0.0);
    }

    @Test
    void smallHandComputedRatios() {
        assertEquals(0.75, SequenceRatio.ratio("abcd", "bcde"), 0.0); // block "bcd"
        assertEquals(8.0 / 9.0, SequenceRatio.ratio("abxcd", "abcd"), 0.0); // "ab" + "cd"
        assertEquals(1.0, SequenceRatio.ratio("", ""), 0.0); // difflib: no elements → 1.0
        assertEquals(0.0, SequenceRatio.ratio("a", ""), 0.0);
        assertEquals(0.0, SequenceRatio.ratio("abc", "xyz"), 0.0);
        assertEquals(1.0, SequenceRatio.ratio("same", "same"), 0.0);
    }

    @Test
    void longestBlockFirstThenRecursionDecidesTheTotal() {
        // "qabxcd" vs "abycdq": longest block "ab"; left side "q" vs "" has nothing; right "xcd" vs "ycdq" gives "cd"
        assertEquals(2.0 * 4 / 12, SequenceRatio.ratio("qabxcd", "abycdq"), 0.0);
    }

    @Test
    void autojunkMakesPopularElementsUnableToStartABlock() {
        String b = "ab".repeat(150); // 300 elements: 'a' and 'b' occur 150 > 300/100+1 times, both popular
        // b2j is empty, so the search returns an empty block at (0,0); it stretches over equal
        // neighbours, which works when the first elements agree ...
        assertEquals(1.0, SequenceRatio.ratio(b, b), 0.0);
        // ... and gives nothing when they differ, although the strings share 298 elements in order
        assertEquals(0.0, SequenceRatio.ratio("ba" + "ab".repeat(149), b), 0.0);
        // below 200 elements there is no auto-junk
        String shortB = "ab".repeat(99);
        assertTrue(SequenceRatio.ratio("ba" + "ab".repeat(98), shortB) > 0.9);
    }

    @Test
    void theHeuristicLooksAtTheSecondStringOnly() {
        // b = "ba" is short, so the block "ba" is found inside "abab…"
        assertEquals(4.0 / 302.0, SequenceRatio.ratio("ab".repeat(150), "ba"), 0.0);
        // b = "abab…" is long and all popular: nothing can match
        assertEquals(0.0, SequenceRatio.ratio("ba", "ab".repeat(150)), 0.0);
    }

    @Test
    void elementsAreCodePointsAsInPython() {
        // U+1F600 is one element in Python (two UTF-16 units in Java)
        assertEquals(2.0 / 3.0, SequenceRatio.ratio("\uD83D\uDE00a", "a"), 0.0);
        assertEquals(1.0, SequenceRatio.realQuickRatio("\uD83D\uDE00", "x"), 0.0);
    }

    @Test
    void quickRatiosAreUpperBounds() {
        assertEquals(1.0, SequenceRatio.quickRatio("abcd", "dcba"), 0.0); // same multiset
        assertEquals(2.0 * 2 / 6, SequenceRatio.realQuickRatio("ab", "abcd"), 0.0);
        assertTrue(SequenceRatio.ratio("abcd", "dcba") <= SequenceRatio.quickRatio("abcd", "dcba"));
    }

    @Test
    void matchesCPythonDifflibExactly() throws IOException {
        List<JsonNode> cases = fixture();
        assertEquals(28, cases.size());
        SequenceRatio.Matcher shared = new SequenceRatio.Matcher(); // reused across targets on purpose
        int autojunkMatters = 0;
        for (JsonNode c : cases) {
            String a = c.get("a").asText();
            String b = c.get("b").asText();
            String what = c.get("kind").asText() + " |a|=" + a.length() + " |b|=" + b.length();
            SequenceRatio.Target t = SequenceRatio.Target.of(b);
            assertEquals(c.get("ratio").asDouble(), shared.ratio(a, t), 0.0, what + ": ratio");
            assertEquals(c.get("quick_ratio").asDouble(), shared.quickRatio(a, t), 0.0, what + ": quick_ratio");
            assertEquals(
                    c.get("real_quick_ratio").asDouble(),
                    SequenceRatio.realQuickRatio(a, b),
                    0.0,
                    what + ": real_quick_ratio");
            if (c.get("kind").asText().equals("long-autojunk-changes")) {
                autojunkMatters++;
                assertNotEquals(c.get("ratio_without_autojunk").asDouble(), shared.ratio(a, t), what);
            }
            for (double thr : new double[] {
                0.5,
                0.8,
                0.9,
                0.95,
                c.get("ratio").asDouble(),
                Math.nextUp(c.get("ratio").asDouble())
            }) {
                assertEquals(c.get("ratio").asDouble() >= thr, shared.atLeast(a, t, thr), what + " at " + thr);
            }
        }
        assertEquals(10, autojunkMatters);
    }

    @Test
    void atLeastUsesIdentityAndBounds() {
        SequenceRatio.Matcher m = new SequenceRatio.Matcher();
        assertTrue(m.atLeast(ROOM, SequenceRatio.Target.of(ROOM), 0.999));
        assertFalse(m.atLeast("a", SequenceRatio.Target.of("a".repeat(50)), 0.5)); // real-quick bound 2/51
        assertTrue(m.atLeast(ROOM, SequenceRatio.Target.of("You are in room A. You see a key!"), 0.95));
        assertFalse(m.atLeast(ROOM, SequenceRatio.Target.of("Hall"), 0.95));
    }

    private static List<JsonNode> fixture() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        try (InputStream is = SequenceRatioTest.class.getResourceAsStream("/difflib/sequence-matcher-ratio.jsonl")) {
            assertNotNull(is, "difflib fixture missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(is, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) if (!line.isBlank()) out.add(om.readTree(line));
        }
        return out;
    }
}
