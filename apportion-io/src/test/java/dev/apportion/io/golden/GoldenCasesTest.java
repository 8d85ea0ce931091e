package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.io.InputException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GoldenCasesTest {
    static final String MIN =
            "{\"case\":\"c1\",\"estimator\":\"grpo\",\"input\":{},\"expected\":{\"advantages\":[[1,null],[2]]}}";

    @Test
    void loadsEveryFieldWithDefaults() {
        GoldenCase c = GoldenFiles.parse("", MIN).get(0);
        assertEquals("c1", c.name());
        assertEquals("grpo", c.estimator());
        assertEquals("", c.reference());
        assertNull(c.preset());
        assertEquals(Map.of(), c.params());
        assertEquals(GoldenCase.DEFAULT_ATOL, c.atol());
        assertEquals(GoldenCase.DEFAULT_RTOL, c.rtol());
        assertEquals("hand.jsonl:2", c.source());
        assertArrayEquals(new double[] {1, Double.NaN}, c.expectedAdvantages()[0]);
        assertNull(c.expectedReturns());
        assertNull(c.expectedError());
    }

    @Test
    void paramsBecomeJavaValues() {
        GoldenCase c = GoldenFiles.parse(
                        "{\"case\":\"c\",\"estimator\":\"e\",\"preset\":\"trl\",\"params\":{\"a\":1,\"b\":0.5,"
                                + "\"c\":true,\"d\":\"x\",\"e\":[1.0,2],\"f\":null},\"input\":{},\"expected\":{\"error\":\"boom\"},\"atol\":0,\"rtol\":0.5}")
                .get(0);
        assertEquals(1, c.params().get("a"));
        assertEquals(0.5, c.params().get("b"));
        assertEquals(true, c.params().get("c"));
        assertEquals("x", c.params().get("d"));
        assertEquals(List.of(1.0, 2), c.params().get("e"));
        assertTrue(c.params().containsKey("f"));
        assertEquals("boom", c.expectedError());
        assertEquals("trl", c.preset());
        assertEquals(0.0, c.atol());
        assertEquals(0.5, c.rtol());
    }

    @Test
    void errorsNameFileAndLine() {
        InputException e = assertThrows(
                InputException.class, () -> GoldenFiles.parse(MIN, "{\"case\":\"c2\",\"input\":{},\"expected\":{}}"));
        assertEquals("hand.jsonl:2: case 'c2': estimator is missing", e.getMessage());
        e = assertThrows(InputException.class, () -> GoldenFiles.parse(MIN, "", "{\"case\":"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("hand.jsonl:3: malformed JSON at column "), e.getMessage());
        e = assertThrows(
                InputException.class, () -> GoldenFiles.parse("{\"estimator\":\"g\",\"input\":{},\"expected\":{}}"));
        assertEquals("hand.jsonl:1: case is missing", e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> GoldenFiles.parse("{\"case\":\"c\",\"estimator\":\"g\",\"input\":[],\"expected\":{}}"));
        assertEquals("hand.jsonl:1: case 'c': input must be an object, got an array", e.getMessage());
        e = assertThrows(
                InputException.class, () -> GoldenFiles.parse("{\"case\":\"c\",\"estimator\":\"g\",\"input\":{}}"));
        assertEquals("hand.jsonl:1: case 'c': expected must be an object, got missing", e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> GoldenFiles.parse(
                        "{\"case\":\"c\",\"estimator\":\"g\",\"input\":{},\"expected\":{},\"atol\":-1}"));
        assertEquals("hand.jsonl:1: case 'c': atol must be a number >= 0, got -1", e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> GoldenFiles.parse("{\"case\":\"c\",\"estimator\":3,\"input\":{},\"expected\":{}}"));
        assertEquals("hand.jsonl:1: case 'c': estimator must be a string, got a number 3", e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> GoldenFiles.parse(
                        "{\"case\":\"c\",\"estimator\":\"g\",\"params\":[],\"input\":{},\"expected\":{}}"));
        assertEquals("hand.jsonl:1: case 'c': params must be an object, got an array", e.getMessage());
        e = assertThrows(InputException.class, () -> GoldenFiles.parse(MIN, MIN));
        assertEquals("hand.jsonl:2: duplicate case name 'c1' (first on line 1)", e.getMessage());
    }

    @Test
    void everyCopiedFileLoads() {
        int total = 0;
        for (java.nio.file.Path f : GoldenFiles.all())
            total += GoldenFiles.load(f.getFileName().toString()).size();
        assertEquals(465, total); // 221 + reasoning-token 25 + prl-poad-itpo 70 + agentic-turn 40 + multi-agent 37 +
        // at_grpo-pending 14 + delta-at2po-archer 58
        GoldenCase g = GoldenFiles.load("verl-and-gigpo.jsonl").get(0);
        assertEquals("public/grpo/edge", g.name());
        assertEquals(6, g.expectedAdvantages().length);
        assertEquals(1e-5, g.atol());
        assertTrue(g.reference().startsWith("verl@b178a3c"));
    }
}
