package dev.apportion.io;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;

/**
 * Credit JSONL, format version 1: one line per input trajectory, in batch order.
 *
 * <pre>{@code
 * {"format":1,"group":"p4","id":"a3","advantages":[0.0,0.0,0.57735026,0.57735026],
 *  "returns":[...],"span_advantages":[...],"loss_weight":[...],"clip_scale":[...]}
 * }</pre>
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

    private CreditJsonl() {
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
