package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutJsonlTest {
    static final String SRC = "rollouts.jsonl";

    static Rollouts read(String... lines) {
        try {
            return RolloutJsonl.read(new StringReader(String.join("\n", lines)), SRC);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads and expects an InputException with exactly this message, line and field. */
    static InputException fails(String message, int line, String field, String... lines) {
        InputException e = assertThrows(InputException.class, () -> read(lines));
        assertEquals(message, e.getMessage());
        assertEquals(line, e.line());
        assertEquals(field, e.field());
        assertEquals(SRC, e.source());
        assertTrue(e instanceof IllegalArgumentException);
        assertTrue(!e.getMessage().contains("\n"), "one line");
        return e;
    }

    static final String OK = "{\"group\":\"g\",\"tokens\":2}";

    // ---- reading what is valid ---------------------------------------------------------------

    @Test
    void readsEveryField() {
        Rollouts b = read(
                "{\"format\":1,\"group\":\"p4\",\"id\":\"a3\",\"outcome\":1.5,\"signals\":{\"reward_baseline\":0.25},"
                        + "\"spans\":[{\"role\":\"context\",\"tokens\":2,\"state\":\"s0\"},"
                        + "{\"role\":\"policy\",\"tokens\":3,\"reward\":0.5,\"agent\":\"coder\",\"signals\":{\"prm\":0.9}}],"
                        + "\"token_signals\":{\"reward\":[0,0,0,0,-0.01],\"logprob\":[-1,-2,-3,-4,-5],\"custom\":[1,2,3,4,5]},"
                        + "\"text\":[\"Q\",\":\",\"A\",\"=\",\"4\"]}",
                "",
                "{\"group\":\"p4\",\"outcome\":0,\"tokens\":2,\"token_signals\":{\"logprob\":[-0.5,-0.25],\"custom\":[0,0]},"
                        + "\"text\":[\"x\",\"y\"]}");
        assertEquals(2, b.trajectoryCount());
        assertEquals(1, b.groupCount());
        assertEquals("a3", b.trajectoryId(0));
        assertEquals("3", b.trajectoryId(1), "default id = line number");
        assertArrayEquals(new float[] {1.5f, 0f}, b.outcome());
        assertEquals(0.25f, b.trajectorySignal("reward_baseline")[0]);
        assertTrue(Float.isNaN(b.trajectorySignal("reward_baseline")[1]));
        assertEquals(3, b.spanCount());
        assertEquals(Role.CONTEXT, b.spanRole(0));
        assertEquals(Role.POLICY, b.spanRole(1));
        assertEquals(Role.POLICY, b.spanRole(2), "no spans: one policy span");
        assertEquals(2, b.spanTokenEnd(2) - b.spanTokenStart(2));
        assertEquals("s0", b.spanState()[0]);
        assertEquals("coder", b.spanAgent()[1]);
        assertEquals(0.5f, b.spanReward()[1]);
        assertEquals(0.9f, b.spanSignal("prm")[1]);
        assertArrayEquals(new float[] {0, 0, 0, 0, -0.01f, 0, 0}, b.tokenSignal("reward"), "reward is 0 where absent");
        assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -0.5f, -0.25f}, b.tokenSignal("logprob"));
        assertArrayEquals(new String[] {"Q", ":", "A", "=", "4", "x", "y"}, b.tokenText());
        assertArrayEquals(new byte[] {0, 0, 1, 1, 1, 1, 1}, b.mask());
    }

    @Test
    void outcomeObjectGivesComponentsWithNaNForNull() {
        Rollouts b = read(
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":{\"acc\":1,\"fmt\":null}}",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":{\"fmt\":0.5}}");
        assertNull(b.outcome());
        assertArrayEquals(new float[] {1f, Float.NaN}, b.outcomeComponents().get("acc"));
        assertArrayEquals(new float[] {Float.NaN, 0.5f}, b.outcomeComponents().get("fmt"));
    }

    @Test
    void skipsBlankLinesAndHandlesCrLfAndABom() {
        Rollouts b = read("\uFEFF" + OK + "\r", "   ", "\t", "{\"group\":\"h\",\"tokens\":0}\r", "");
        assertEquals(2, b.trajectoryCount());
        assertEquals("1", b.trajectoryId(0));
        assertEquals("4", b.trajectoryId(1));
    }

    @Test
    void spansAndTokensMayAgree() {
        Rollouts b = read("{\"group\":\"g\",\"tokens\":3,\"spans\":[{\"role\":\"policy\",\"tokens\":3.0}]}");
        assertEquals(3, b.tokenCount());
    }

    @Test
    void sameIdInDifferentGroupsIsFine() {
        Rollouts b = read("{\"group\":\"g\",\"id\":\"a\",\"tokens\":1}", "{\"group\":\"h\",\"id\":\"a\",\"tokens\":1}");
        assertEquals(2, b.groupCount());
    }

    @Test
    void readsAFileAndNamesItInMessages(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("batch.jsonl");
        Files.writeString(f, OK + "\n" + "{\"group\":\"g\",\"tokens\":-1}\n");
        InputException e = assertThrows(InputException.class, () -> RolloutJsonl.read(f));
        assertEquals(f + ":2: trajectory '2' (group 'g'): tokens must be >= 0, got -1", e.getMessage());
        Files.writeString(f, OK + "\n");
        assertEquals(2, RolloutJsonl.read(f).tokenCount());
    }

    // ---- errors, one per class ---------------------------------------------------------------

    @Test
    void malformedJsonNamesLineAndColumn() {
        InputException e = assertThrows(InputException.class, () -> read(OK, "{\"group\": \"g\", \"tokens\": 3,}"));
        assertEquals(2, e.line());
        assertTrue(
                e.getMessage().startsWith("rollouts.jsonl:2: malformed JSON at column 28: Unexpected character ('}'"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
        e = assertThrows(InputException.class, () -> read("{\"group\": \"g\""));
        assertTrue(e.getMessage().startsWith("rollouts.jsonl:1: malformed JSON at column "), e.getMessage());
        e = assertThrows(InputException.class, () -> read(OK + " " + OK));
        assertTrue(e.getMessage().startsWith("rollouts.jsonl:1: malformed JSON at column "), e.getMessage());
        assertTrue(e.getMessage().contains("Trailing token"), e.getMessage());
        e = assertThrows(InputException.class, () -> read("{\"group\":\"g\",\"group\":\"h\",\"tokens\":1}"));
        assertTrue(e.getMessage().startsWith("rollouts.jsonl:1: malformed JSON at column "), e.getMessage());
        assertTrue(e.getMessage().contains("Duplicate field 'group'"), e.getMessage());
    }

    @Test
    void nanAndInfinityAreRejected() {
        InputException e =
                assertThrows(InputException.class, () -> read("{\"group\":\"g\",\"tokens\":1,\"outcome\":NaN}"));
        assertEquals(
                "rollouts.jsonl:1: malformed JSON at column 38: Non-standard token 'NaN' (NaN and Infinity are not allowed;"
                        + " numbers must be finite)",
                e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> read("{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"logprob\":[-Infinity]}}"));
        assertTrue(e.getMessage().startsWith("rollouts.jsonl:1: malformed JSON at column "), e.getMessage());
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): outcome must be a number, got a string \"NaN\" (NaN and Infinity are not allowed)",
                1,
                "outcome",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":\"NaN\"}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): token_signals.value[1] must be a number, got a string \"-inf\" (NaN and Infinity are not allowed)",
                1,
                "token_signals.value[1]",
                "{\"group\":\"g\",\"tokens\":2,\"token_signals\":{\"value\":[0,\"-inf\"]}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): outcome is out of range (numbers are stored as float32), got 1.0E300",
                1,
                "outcome",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":1e300}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].reward is out of range (numbers are stored as float32), got a number beyond the double range",
                1,
                "spans[0].reward",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"policy\",\"tokens\":1,\"reward\":1e999}]}");
    }

    @Test
    void wrongTypes() {
        fails("rollouts.jsonl:1: a line must be a JSON object (one trajectory), got an array [1,2]", 1, null, "[1,2]");
        fails(
                "rollouts.jsonl:1: trajectory '1': group must be a string, got a number 5",
                1,
                "group",
                "{\"group\":5,\"tokens\":1}");
        fails(
                "rollouts.jsonl:1: id must be a string, got a number 7",
                1,
                "id",
                "{\"group\":\"g\",\"id\":7,\"tokens\":1}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens must be a whole number >= 0, got a string \"3\"",
                1,
                "tokens",
                "{\"group\":\"g\",\"tokens\":\"3\"}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens must be a whole number >= 0, got 2.5",
                1,
                "tokens",
                "{\"group\":\"g\",\"tokens\":2.5}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans must be an array, got an object {}",
                1,
                "spans",
                "{\"group\":\"g\",\"spans\":{}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0] must be an object, got a string \"policy\"",
                1,
                "spans[0]",
                "{\"group\":\"g\",\"spans\":[\"policy\"]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): token_signals.logprob must be an array of one number per token, got a string \"x\"",
                1,
                "token_signals.logprob",
                "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"logprob\":\"x\"}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): token_signals.logprob[0] must be a number, got null null",
                1,
                "token_signals.logprob[0]",
                "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"logprob\":[null]}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): text[0] must be a string, got a number 1",
                1,
                "text",
                "{\"group\":\"g\",\"tokens\":1,\"text\":[1]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): signals must be an object (name -> number), got an array [1]",
                1,
                "signals",
                "{\"group\":\"g\",\"tokens\":1,\"signals\":[1]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): signals.reward_baseline must be a number, got a boolean true",
                1,
                "signals.reward_baseline",
                "{\"group\":\"g\",\"tokens\":1,\"signals\":{\"reward_baseline\":true}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].state must be a string, got a number 3",
                1,
                "spans[0].state",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"policy\",\"tokens\":1,\"state\":3}]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].signals.prm must be a number, got a string \"high\"",
                1,
                "spans[0].signals.prm",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"policy\",\"tokens\":1,\"signals\":{\"prm\":\"high\"}}]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): outcome.acc must be a number, got a string \"1\"",
                1,
                "outcome.acc",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":{\"acc\":\"1\"}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): outcome is null (omit the field when there is no outcome; inside an outcome"
                        + " object, null marks a component with no value)",
                1,
                "outcome",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":null}");
    }

    @Test
    void missingGroupAndMissingTokenCounts() {
        fails(
                "rollouts.jsonl:2: trajectory 'a3': group is missing (every trajectory needs \"group\": a string naming its prompt or task)",
                2,
                "group",
                OK,
                "{\"id\":\"a3\",\"tokens\":1}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens is missing (without \"spans\" the trajectory is one policy span of \"tokens\" tokens)",
                1,
                "tokens",
                "{\"group\":\"g\"}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].tokens is missing (the span's token count)",
                1,
                "spans[0].tokens",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"policy\"}]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].role is missing (\"policy\" or \"context\")",
                1,
                "spans[0].role",
                "{\"group\":\"g\",\"spans\":[{\"tokens\":1}]}");
    }

    @Test
    void negativeTokens() {
        fails(
                "rollouts.jsonl:1: trajectory 'x' (group 'g'): spans[1].tokens must be >= 0, got -2",
                1,
                "spans[1].tokens",
                "{\"group\":\"g\",\"id\":\"x\",\"spans\":[{\"role\":\"context\",\"tokens\":1},{\"role\":\"policy\",\"tokens\":-2}]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens must be >= 0, got -1",
                1,
                "tokens",
                "{\"group\":\"g\",\"tokens\":-1}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens is too large, got 3000000000",
                1,
                "tokens",
                "{\"group\":\"g\",\"tokens\":3000000000}");
    }

    @Test
    void lengthMismatches() {
        String[] lines = new String[17];
        for (int i = 0; i < 16; i++)
            lines[i] = i % 3 == 0 ? "" : "{\"group\":\"p" + i + "\",\"tokens\":1,\"token_signals\":{\"logprob\":[0]}}";
        lines[16] =
                "{\"group\":\"p4\",\"id\":\"a3\",\"tokens\":12,\"token_signals\":{\"logprob\":[0,0,0,0,0,0,0,0,0,0,0]}}";
        fails(
                "rollouts.jsonl:17: trajectory 'a3' (group 'p4'): token_signals.logprob has 11 values but the trajectory has 12 tokens",
                17,
                "token_signals.logprob",
                lines);
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): token_signals.value has 3 values but the trajectory has 2 tokens",
                1,
                "token_signals.value",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"context\",\"tokens\":1},{\"role\":\"policy\",\"tokens\":1}],"
                        + "\"token_signals\":{\"value\":[1,2,3]}}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): text has 1 strings but the trajectory has 2 tokens",
                1,
                "text",
                "{\"group\":\"g\",\"tokens\":2,\"text\":[\"a\"]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): tokens is 5 but the spans add up to 4 tokens",
                1,
                "tokens",
                "{\"group\":\"g\",\"tokens\":5,\"spans\":[{\"role\":\"context\",\"tokens\":1},{\"role\":\"policy\",\"tokens\":3}]}");
    }

    @Test
    void tokenSignalsMustBeTheSameOnEveryLineExceptReward() {
        fails(
                "rollouts.jsonl:3: trajectory '3' (group 'g'): token_signals.logprob is missing, but line 1 (trajectory '1') has it;"
                        + " every trajectory must give the same token signals (reward excepted)",
                3,
                "token_signals.logprob",
                "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"logprob\":[0]}}",
                "",
                "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"reward\":[1]}}");
        fails(
                "rollouts.jsonl:2: trajectory '2' (group 'g'): token_signals.entropy is given here, but line 1 (trajectory '1') lacks it;"
                        + " every trajectory must give the same token signals (reward excepted)",
                2,
                "token_signals.entropy",
                OK,
                "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"entropy\":[0.1]}}");
        // reward may be given on some lines only
        Rollouts b = read(OK, "{\"group\":\"g\",\"tokens\":1,\"token_signals\":{\"reward\":[1]}}");
        assertArrayEquals(new float[] {0, 0, 1}, b.tokenSignal("reward"));
    }

    @Test
    void outcomeFormMustNotChange() {
        fails(
                "rollouts.jsonl:2: trajectory '2' (group 'g'): outcome is an object here but a number on line 1 (use one form for the whole file)",
                2,
                "outcome",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":1}",
                "{\"group\":\"g\",\"tokens\":1,\"outcome\":{\"a\":1}}");
    }

    @Test
    void duplicateIdWithinAGroup() {
        fails(
                "rollouts.jsonl:3: trajectory 'a' (group 'g'): duplicate id 'a' in group 'g' (first on line 1)",
                3,
                "id",
                "{\"group\":\"g\",\"id\":\"a\",\"tokens\":1}",
                "{\"group\":\"g\",\"id\":\"b\",\"tokens\":1}",
                "{\"group\":\"g\",\"id\":\"a\",\"tokens\":1}");
        // an explicit id may collide with a default one (the line number)
        fails(
                "rollouts.jsonl:2: trajectory '1' (group 'g'): duplicate id '1' in group 'g' (first on line 1)",
                2,
                "id",
                OK,
                "{\"group\":\"g\",\"id\":\"1\",\"tokens\":1}");
    }

    @Test
    void unknownRole() {
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].role must be \"policy\" or \"context\", got \"tool\"",
                1,
                "spans[0].role",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"tool\",\"tokens\":1}]}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): spans[0].role must be \"policy\" or \"context\", got \"Policy\"",
                1,
                "spans[0].role",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"Policy\",\"tokens\":1}]}");
    }

    @Test
    void unknownFields() {
        fails(
                "rollouts.jsonl:1: unknown field 'reward' (known fields: format, group, id, outcome, signals, tokens, spans, token_signals, token_vectors, token_matrices, text)",
                1,
                "reward",
                "{\"group\":\"g\",\"tokens\":1,\"reward\":1}");
        fails(
                "rollouts.jsonl:1: trajectory '1' (group 'g'): unknown field 'mask' in spans[0] (known span fields: role, tokens, reward, state, agent, signals)",
                1,
                "spans[0].mask",
                "{\"group\":\"g\",\"spans\":[{\"role\":\"policy\",\"tokens\":1,\"mask\":1}]}");
    }

    @Test
    void formatVersion() {
        fails(
                "rollouts.jsonl:2: format version 3 is newer than this reader (supports up to 2)",
                2,
                "format",
                OK,
                "{\"format\":3,\"group\":\"g\",\"tokens\":1,\"new_field\":true}");
        fails(
                "rollouts.jsonl:1: format must be a positive whole number (the format version), got \"1\"",
                1,
                "format",
                "{\"format\":\"1\",\"group\":\"g\",\"tokens\":1}");
        fails(
                "rollouts.jsonl:1: format must be a positive whole number (the format version), got 0",
                1,
                "format",
                "{\"format\":0,\"group\":\"g\",\"tokens\":1}");
        assertEquals(1, read("{\"format\":1,\"group\":\"g\",\"tokens\":1}").trajectoryCount());
    }

    @Test
    void emptyInput() {
        fails("rollouts.jsonl: no trajectories (the input is empty or has only blank lines)", 0, null, "", "  ");
    }

    @Test
    void invalidUtf8NamesTheLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.jsonl");
        byte[] head = (OK + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] bad = "{\"group\":\"\u00ff\",\"tokens\":1}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + bad.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bad, 0, all, head.length, bad.length);
        Files.write(f, all);
        InputException e = assertThrows(InputException.class, () -> RolloutJsonl.read(f));
        assertEquals(f + ":2: the line is not valid UTF-8", e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void builderErrorsAreRewordedWithTheTrajectorysLine() {
        RolloutException re = new RolloutException(
                "trajectory 1 (id 'b', group 'g')", "token_signals.x is broken", 1, "token_signals.x");
        InputException e =
                RolloutJsonlReader.mapped(re, SRC, List.of("a", "b"), List.of("g", "g"), new int[] {3, 7}, 9, "c", "g");
        assertEquals("rollouts.jsonl:7: trajectory 'b' (group 'g'): token_signals.x is broken", e.getMessage());
        assertEquals(7, e.line());
        assertEquals("token_signals.x", e.field());
        assertEquals("b", e.trajectoryId());
        assertEquals("g", e.group());
        assertTrue(e.getCause() == re);
        // not tied to a trajectory: the current line
        e = RolloutJsonlReader.mapped(
                new RolloutException("batch too big"), SRC, List.of("a"), List.of("g"), new int[] {3}, 9, "c", "g");
        assertEquals("rollouts.jsonl:9: trajectory 'c' (group 'g'): batch too big", e.getMessage());
    }

    @Test
    void errorsCarryFileLineTrajectoryFieldAndValue() {
        InputException e = assertThrows(
                InputException.class,
                () -> read(
                        "{\"group\":\"g\",\"id\":\"a\",\"tokens\":1}",
                        "{\"group\":\"p\",\"id\":\"b\",\"tokens\":2,\"outcome\":\"high\"}"));
        assertEquals(SRC, e.source());
        assertEquals(2, e.line());
        assertEquals("b", e.trajectoryId());
        assertEquals("p", e.group());
        assertEquals("outcome", e.field());
        assertTrue(e.value() != null && e.value().contains("high"), e.value());
    }
}
