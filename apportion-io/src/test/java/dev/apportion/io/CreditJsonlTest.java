package dev.apportion.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreditJsonlTest {
    /** Two trajectories: 'a' (context 2, policy 3), 'b' (policy 2). */
    static Rollouts batch() {
        return Rollouts.builder()
                .trajectory("p4", "a")
                .outcome(1)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 3)
                .trajectory("p4", "b")
                .outcome(0)
                .span(Role.POLICY, 2)
                .build();
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void writesOneLinePerTrajectoryWithTheOptionalArrays(@TempDir Path dir) throws IOException {
        Rollouts b = batch();
        Credit c = Credit.builder(new float[] {0, 0, 0.5f, 0.5f, 0.5f, -0.5f, -0.5f})
                .returns(new float[] {0, 0, 1, 1, 1, 0, 0})
                .spanAdvantages(new float[] {0, 0.5f, -0.5f})
                .lossWeights(new float[] {0, 0, 1, 1, 0, 1, 1})
                .clipScales(new float[] {1, 1, 1.3f, 1.3f, 0.7f, 1, 1})
                .build();
        Path out = dir.resolve("credit.jsonl");
        CreditJsonl.write(out, b, c);
        List<String> lines = Files.readAllLines(out);
        assertEquals(
                List.of(
                        "{\"format\":1,\"group\":\"p4\",\"id\":\"a\",\"advantages\":[0.0,0.0,0.5,0.5,0.5],\"returns\":[0.0,0.0,1.0,1.0,1.0],"
                                + "\"span_advantages\":[0.0,0.5],\"loss_weight\":[0.0,0.0,1.0,1.0,0.0],\"clip_scale\":[1.0,1.0,1.3,1.3,0.7]}",
                        "{\"format\":1,\"group\":\"p4\",\"id\":\"b\",\"advantages\":[-0.5,-0.5],\"returns\":[0.0,0.0],"
                                + "\"span_advantages\":[-0.5],\"loss_weight\":[1.0,1.0],\"clip_scale\":[1.0,1.0]}"),
                lines);
        assertEquals(List.of("credit.jsonl"), files(dir), "no temporary file left");
        assertTrue(Files.readString(out).endsWith("}\n"));
    }

    @Test
    void advantagesOnlyWhenTheCreditHasNothingElse() throws IOException {
        StringWriter w = new StringWriter();
        CreditJsonl.write(
                w, batch(), Credit.of(new float[] {0, -0f, 1e-7f, 0.1f, 123456.79f, 3.4028235e38f, -1.4e-45f}));
        assertEquals(
                "{\"format\":1,\"group\":\"p4\",\"id\":\"a\",\"advantages\":[0.0,0.0,1.0E-7,0.1,123456.79]}\n"
                        + "{\"format\":1,\"group\":\"p4\",\"id\":\"b\",\"advantages\":[3.4028235E38,-1.4E-45]}\n",
                w.toString());
    }

    @Test
    void numbersAreTheShortestRoundTripFormAndLocaleIndependent() throws IOException {
        java.util.Locale saved = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY); // decimal comma, must not leak into JSON
            Random rnd = new Random(7);
            int n = 2000;
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                if (i % 2 == 0) {
                    v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
                } else {
                    // arbitrary bit patterns: JDK 17's Float.toString is not the shortest for about 1 in 9 of them
                    do {
                        v[i] = Float.intBitsToFloat(rnd.nextInt());
                    } while (!Float.isFinite(v[i]));
                }
            }
            Rollouts b =
                    Rollouts.builder().trajectory("g", "x").span(Role.POLICY, n).build();
            StringWriter w = new StringWriter();
            CreditJsonl.write(w, b, Credit.of(v));
            String line = w.toString();
            // the raw text of each number (a JSON tree would re-render them through Double.toString)
            String[] written =
                    line.substring(line.indexOf('[') + 1, line.indexOf(']')).split(",");
            assertEquals(n, written.length);
            assertEquals(n, Json.mapper().readTree(line).get("advantages").size(), "valid JSON");
            int shorter = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(v[i], Float.parseFloat(written[i]), written[i]);
                int digits = new BigDecimal(written[i]).stripTrailingZeros().precision();
                if (digits > 1) {
                    // no decimal with one digit fewer reads back to the same float
                    String fewer = new BigDecimal(v[i])
                            .round(new MathContext(digits - 1))
                            .toString();
                    if (Float.parseFloat(fewer) == v[i]) shorter++;
                }
            }
            assertEquals(0, shorter, "values written with more digits than needed");
        } finally {
            java.util.Locale.setDefault(saved);
        }
    }

    @Test
    void aNonFiniteValueFailsAndLeavesNoFile(@TempDir Path dir) {
        Rollouts b = batch();
        float[] adv = {0, 0, 1, 1, 1, 2, Float.NaN};
        Path out = dir.resolve("credit.jsonl");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CreditJsonl.write(out, b, Credit.of(adv)));
        assertEquals(
                "trajectory 1 (id 'b', group 'p4'): advantages[1] is NaN; only finite numbers can be written",
                e.getMessage());
        assertFalse(Files.exists(out));
        assertTrue(dir.toFile().list().length == 0, "no temporary file left behind");
    }

    @Test
    void aFailureKeepsThePreviousFileIntact(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("credit.jsonl");
        Files.writeString(out, "previous\n");
        float[] ret = {0, 0, 0, 0, 0, 0, Float.POSITIVE_INFINITY};
        assertThrows(
                IllegalArgumentException.class,
                () -> CreditJsonl.write(
                        out, batch(), Credit.builder(new float[7]).returns(ret).build()));
        assertEquals("previous\n", Files.readString(out));
        assertEquals(List.of("credit.jsonl"), files(dir));
        // a successful write replaces it
        CreditJsonl.write(out, batch(), Credit.of(new float[7]));
        assertNotEquals("previous\n", Files.readString(out));
        assertEquals(List.of("credit.jsonl"), files(dir));
    }

    @Test
    void aTargetThatCannotBeReplacedLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("taken");
        Files.createDirectory(out);
        Files.writeString(out.resolve("inside"), "x");
        assertThrows(IOException.class, () -> CreditJsonl.write(out, batch(), Credit.of(new float[7])));
        assertEquals(List.of("taken"), files(dir));
        assertThrows(
                IOException.class,
                () -> CreditJsonl.write(
                        dir.resolve("missing-dir").resolve("c.jsonl"), batch(), Credit.of(new float[7])));
        assertEquals(List.of("taken"), files(dir));
    }

    @Test
    void creditThatDoesNotFitTheBatchIsRejectedBeforeWriting(@TempDir Path dir) {
        Path out = dir.resolve("credit.jsonl");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> CreditJsonl.write(out, batch(), Credit.of(new float[6])));
        assertEquals(
                "credit does not fit the batch: advantages has 6 values but the batch has 7 tokens", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> CreditJsonl.write(
                        out,
                        batch(),
                        Credit.builder(new float[7])
                                .spanAdvantages(new float[2])
                                .build()));
        assertEquals(
                "credit does not fit the batch: span_advantages has 2 values but the batch has 3 spans",
                e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void theProvenanceRecordComesFirstAndReadersSkipIt(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("c.jsonl");
        dev.apportion.core.credit.Estimator grpo =
                dev.apportion.core.credit.EstimatorRegistry.global().get("grpo");
        dev.apportion.core.credit.Params p =
                dev.apportion.core.credit.Params.resolve(grpo.descriptor(), "verl", java.util.Map.of("epsilon", 0.5));
        CreditJsonl.write(out, batch(), Credit.of(new float[7]), CreditJsonl.Provenance.of(p));
        List<String> lines = Files.readAllLines(out);
        com.fasterxml.jackson.databind.JsonNode head = Json.mapper().readTree(lines.get(0));
        assertTrue(CreditJsonl.isProvenance(head));
        assertEquals(1, head.get("format").asInt());
        assertEquals("grpo", head.get("estimator").asText());
        assertEquals("verl", head.get("preset").asText());
        assertEquals(0.5, head.get("params").get("epsilon").asDouble());
        assertEquals(
                BuildInfo.current().version(), head.get("apportion_version").asText());
        assertEquals(lines.size() - 1, CreditJsonl.readLines(out).size(), "the reader skips the record");
        // a file written without it (as before the record existed) reads the same
        Path old = dir.resolve("old.jsonl");
        CreditJsonl.write(old, batch(), Credit.of(new float[7]));
        assertEquals(
                CreditJsonl.readLines(out).toString(),
                CreditJsonl.readLines(old).toString());
    }
}
