package dev.apportion.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Credit JSONL, format version 1: an optional provenance record, then one line per input
 * trajectory, in batch order.
 *
 * <pre>{@code
 * {"format":1,"kind":"provenance","apportion_version":"0.1.0-SNAPSHOT","commit":"1a2b3c4d5e6f",
 *  "estimator":"grpo","preset":null,"params":{"epsilon":1.0E-6,...}}
 * {"format":1,"group":"p4","id":"a3","advantages":[0.0,0.0,0.57735026,0.57735026],
 *  "returns":[...],"span_advantages":[...],"loss_weight":[...],"clip_scale":[...]}
 * }</pre>
 *
 * <p>The provenance record (written first by {@link #write(Path, Rollouts, Credit, Provenance)},
 * as {@code apportion assign} does) names the build (version and commit, from
 * {@link BuildInfo}), the estimator id, the preset (null for the defaults) and every resolved
 * parameter. It is the only line with a {@code kind} field; readers skip it
 * ({@link #isProvenance}), and files without it (written before it existed) read as before.
 *
 * <p>{@code advantages} holds one value per token of the trajectory (context tokens
 * included, where it is 0); {@code returns}, {@code loss_weight} and {@code clip_scale} (one
 * per token) and {@code span_advantages} (one per span) appear only when the credit has them.
 * Numbers are written in the shortest form that reads back to the same float32 (Jackson's
 * Schubfach writer, independent of the default locale); -0 is written as 0. A NaN or infinite
 * value is an {@link IllegalArgumentException} naming the trajectory, field and position.
 *
 * <p>Stateless; the static methods are thread-safe.
 */
public final class CreditJsonl {
    /** Format version written on every line. */
    public static final int FORMAT_VERSION = 1;

    /** The {@code kind} of the provenance record. */
    public static final String PROVENANCE_KIND = "provenance";

    private CreditJsonl() {}

    /**
     * What produced a credit file: the build, the estimator, its preset and resolved parameters.
     *
     * @param estimator registry id
     * @param preset preset name, or null for the estimator's defaults
     * @param params every parameter as resolved (defaults, preset and overrides), in a stable order
     */
    public record Provenance(String estimator, String preset, Map<String, Object> params) {
        public Provenance {
            params = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(params));
        }

        /** The provenance of a credit computed with these resolved parameters. */
        public static Provenance of(Params params) {
            return new Provenance(params.estimator(), params.preset(), params.values());
        }
    }

    /** True when a parsed credit line is the provenance record (readers skip it). */
    public static boolean isProvenance(JsonNode line) {
        return PROVENANCE_KIND.equals(line.path("kind").asText(null));
    }

    /**
     * {@link #write(Path, Rollouts, Credit)} with the provenance record as the first line.
     */
    public static void write(Path out, Rollouts batch, Credit credit, Provenance provenance) throws IOException {
        check(batch, credit);
        AtomicFiles.write(out, w -> {
            writeProvenance(w, provenance);
            write(w, batch, credit);
        });
    }

    /** Writes the provenance record line (build version and commit from {@link BuildInfo}). */
    public static void writeProvenance(Writer out, Provenance p) throws IOException {
        try (JsonGenerator g = Json.factory().createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeNumberField("format", FORMAT_VERSION);
            g.writeStringField("kind", PROVENANCE_KIND);
            g.writeStringField("apportion_version", BuildInfo.current().version());
            g.writeStringField("commit", BuildInfo.current().commitDescribed());
            g.writeStringField("estimator", p.estimator());
            if (p.preset() == null) g.writeNullField("preset");
            else g.writeStringField("preset", p.preset());
            g.writeFieldName("params");
            g.writeRawValue(Json.mapper().writeValueAsString(p.params()));
            g.writeEndObject();
            g.writeRaw('\n');
            g.flush();
        }
    }

    /**
     * Reads the credit lines of a file, skipping the provenance record where there is one.
     *
     * @return the trajectory lines, parsed, in file order
     * @throws IOException when the file cannot be read or a line is not JSON (naming file and line)
     */
    public static List<JsonNode> readLines(Path in) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        int n = 0;
        for (String line : Files.readAllLines(in, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = m.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(in + ":" + n + ": not a JSON credit line: " + e.getOriginalMessage(), e);
            }
            if (!isProvenance(node)) out.add(node);
        }
        return out;
    }

    /**
     * Writes credit atomically: a temporary file in {@code out}'s directory, forced to disk,
     * then renamed onto {@code out}. On any failure (I/O, a non-finite value, arrays of the
     * wrong length) no output file is left behind and an existing {@code out} is untouched.
     *
     * @param out target file
     * @param batch the batch the credit was computed from (read only)
     * @param credit the estimator's credit for {@code batch} (read only)
     * @throws IllegalArgumentException when the credit does not fit the batch or holds a
     *     non-finite value
     * @throws IOException when writing or renaming fails
     */
    public static void write(Path out, Rollouts batch, Credit credit) throws IOException {
        check(batch, credit);
        AtomicFiles.write(out, w -> write(w, batch, credit));
    }

    /**
     * Writes credit to a writer, one line per trajectory (flushed, not closed). Lines are
     * produced one trajectory at a time, so the output streams.
     */
    public static void write(Writer out, Rollouts batch, Credit credit) throws IOException {
        check(batch, credit);
        try (JsonGenerator g = Json.factory().createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            for (int i = 0; i < batch.trajectoryCount(); i++) {
                writeLine(g, batch, credit, i);
                g.writeRaw('\n');
            }
            g.flush();
        }
    }

    private static void writeLine(JsonGenerator g, Rollouts b, Credit c, int i) throws IOException {
        int from = b.tokenStart(i);
        int to = b.tokenEnd(i);
        g.writeStartObject();
        g.writeNumberField("format", FORMAT_VERSION);
        g.writeStringField("group", b.groupKey(b.trajectoryGroup(i)));
        g.writeStringField("id", b.trajectoryId(i));
        g.writeFieldName("advantages");
        Numbers.writeArray(g, c.advantages(), from, to, "advantages", b, i);
        if (c.returns() != null) {
            g.writeFieldName("returns");
            Numbers.writeArray(g, c.returns(), from, to, "returns", b, i);
        }
        if (c.spanAdvantages() != null) {
            g.writeFieldName("span_advantages");
            Numbers.writeArray(g, c.spanAdvantages(), b.spanStart(i), b.spanEnd(i), "span_advantages", b, i);
        }
        if (c.lossWeights() != null) {
            g.writeFieldName("loss_weight");
            Numbers.writeArray(g, c.lossWeights(), from, to, "loss_weight", b, i);
        }
        if (c.clipScales() != null) {
            g.writeFieldName("clip_scale");
            Numbers.writeArray(g, c.clipScales(), from, to, "clip_scale", b, i);
        }
        g.writeEndObject();
    }

    private static void check(Rollouts batch, Credit credit) {
        length("advantages", credit.advantages(), batch.tokenCount(), "tokens");
        length("returns", credit.returns(), batch.tokenCount(), "tokens");
        length("span_advantages", credit.spanAdvantages(), batch.spanCount(), "spans");
        length("loss_weight", credit.lossWeights(), batch.tokenCount(), "tokens");
        length("clip_scale", credit.clipScales(), batch.tokenCount(), "tokens");
    }

    private static void length(String field, float[] a, int want, String unit) {
        if (a != null && a.length != want) {
            throw new IllegalArgumentException("credit does not fit the batch: " + field + " has " + a.length
                    + " values but the batch has " + want + " " + unit);
        }
    }
}
