package dev.apportion.io;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;

/** Writing float values: finite only, shortest round-trip form, -0 written as 0. */
final class Numbers {
    private Numbers() {}

    /** Writes one finite float (the caller has checked finiteness). */
    static void write(JsonGenerator g, float v) throws IOException {
        g.writeNumber(v == 0f ? 0f : v);
    }

    /**
     * Writes {@code values[from..to)} as a JSON array.
     *
     * @throws IllegalArgumentException naming the trajectory, field and position of a NaN or
     *     infinite value
     */
    static void writeArray(
            JsonGenerator g, float[] values, int from, int to, String field, Rollouts batch, int trajectory)
            throws IOException {
        g.writeStartArray();
        for (int t = from; t < to; t++) {
            float v = values[t];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(batch.describe(trajectory) + ": " + field + "[" + (t - from)
                        + "] is " + v + "; only finite numbers can be written");
            }
            g.writeNumber(v == 0f ? 0f : v);
        }
        g.writeEndArray();
    }
}
