package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Token vector signals (hidden states, attention rows) in rollout JSONL: reading, writing, errors. */
class TokenVectorJsonlTest {
    private static Rollouts read(String... lines) throws IOException {
        return RolloutJsonl.read(new StringReader(String.join("\n", lines)), "r.jsonl");
    }

    @Test
    void readsFlatTokenMajorVectorsAndWritesThemBack() throws IOException {
        Rollouts b = read(
                "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 2, \"token_vectors\": {\"hidden\": {\"width\": 3, \"values\": [1, 2, 3, 4, 5, 6]}}}",
                "{\"group\": \"g\", \"id\": \"b\", \"tokens\": 1, \"token_vectors\": {\"hidden\": {\"width\": 3, \"values\": [7, 8, 9]}}}");
        assertEquals(3, b.tokenVectorWidth("hidden"));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, b.tokenVector("hidden"));
        StringWriter w = new StringWriter();
        RolloutJsonl.write(w, b);
        assertTrue(w.toString().startsWith("{\"format\":2,"), w.toString());
        Rollouts again = RolloutJsonl.read(new StringReader(w.toString()), "again");
        assertArrayEquals(b.tokenVector("hidden"), again.tokenVector("hidden"));
        assertEquals(3, again.tokenVectorWidth("hidden"));
    }

    @Test
    void tokenMatricesReadAndWriteTheirLowerTriangle() throws IOException {
        Rollouts b = read(
                "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 3, \"token_matrices\": {\"attention\": [0.5, 0.2, 0.8]}}",
                "{\"group\": \"g\", \"id\": \"b\", \"tokens\": 2, \"token_matrices\": {\"attention\": [1]}}");
        assertArrayEquals(new float[] {0.5f, 0.2f, 0.8f, 1f}, b.tokenMatrix("attention"));
        assertArrayEquals(new int[] {0, 3, 4}, b.tokenMatrixOffsets());
        StringWriter w = new StringWriter();
        RolloutJsonl.write(w, b);
        Rollouts again = RolloutJsonl.read(new StringReader(w.toString()), "again");
        assertArrayEquals(b.tokenMatrix("attention"), again.tokenMatrix("attention"));
        InputException e = assertThrows(
                InputException.class,
                () -> read(
                        "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 3, \"token_matrices\": {\"attention\": [1, 2]}}"));
        assertEquals(
                "r.jsonl:1: trajectory 'a' (group 'g'): token_matrices.attention has 2 values but 3 tokens need 3 "
                        + "(the strict lower triangle, row by row)",
                e.getMessage());
    }

    @Test
    void batchesWithoutVectorsStillWriteVersionOne() throws IOException {
        StringWriter w = new StringWriter();
        RolloutJsonl.write(
                w, Rollouts.builder().trajectory("g", "a").span(Role.POLICY, 1).build());
        assertTrue(w.toString().startsWith("{\"format\":1,"), w.toString());
    }

    @Test
    void wrongLengthWidthAndMissingLinesAreOneLineErrors() {
        InputException e = assertThrows(
                InputException.class,
                () -> read(
                        "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 2, \"token_vectors\": {\"hidden\": {\"width\": 2, \"values\": [1, 2, 3]}}}"));
        assertEquals(
                "r.jsonl:1: trajectory 'a' (group 'g'): token_vectors.hidden.values has 3 values but 2 tokens of width 2 need 4",
                e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> read(
                        "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 1, \"token_vectors\": {\"hidden\": {\"width\": 2, \"values\": [1, 2]}}}",
                        "{\"group\": \"g\", \"id\": \"b\", \"tokens\": 1, \"token_vectors\": {\"hidden\": {\"width\": 1, \"values\": [1]}}}"));
        assertTrue(e.getMessage().startsWith("r.jsonl:2:") && e.getMessage().contains("width"), e.getMessage());
        e = assertThrows(
                InputException.class,
                () -> read(
                        "{\"group\": \"g\", \"id\": \"a\", \"tokens\": 1, \"token_vectors\": {\"hidden\": {\"width\": 1, \"values\": [1]}}}",
                        "{\"group\": \"g\", \"id\": \"b\", \"tokens\": 1}"));
        assertTrue(
                e.getMessage().startsWith("r.jsonl:2:") && e.getMessage().contains("token_vectors.hidden is missing"),
                e.getMessage());
    }
}
