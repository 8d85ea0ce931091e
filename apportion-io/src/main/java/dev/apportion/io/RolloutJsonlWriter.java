package dev.apportion.io;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.Writer;
import java.util.Map;

/** The rollout JSONL writer behind {@link RolloutJsonl#write}: one line per trajectory, spans always explicit. */
final class RolloutJsonlWriter {
    private RolloutJsonlWriter() {}

    /**
     * Writes a batch as rollout JSONL to a writer (flushed, not closed).
     *
     * @throws IllegalArgumentException for a batch the format cannot hold: one with both a
     *     scalar outcome and outcome components, or with a non-finite token signal value
     */
    static void write(Writer out, Rollouts batch) throws IOException {
        if (batch.outcome() != null && !batch.outcomeComponents().isEmpty()) {
            throw new IllegalArgumentException("the batch has both a scalar outcome and outcome components "
                    + batch.outcomeComponents().keySet() + "; rollout JSONL holds one or the other");
        }
        try (JsonGenerator g = Json.factory().createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            for (int i = 0; i < batch.trajectoryCount(); i++) {
                writeLine(g, batch, i);
                g.writeRaw('\n');
            }
            g.flush();
        }
    }

    private static void writeLine(JsonGenerator g, Rollouts b, int i) throws IOException {
        g.writeStartObject();
        g.writeNumberField(
                "format",
                b.tokenVectorNames().isEmpty() && b.tokenMatrixNames().isEmpty()
                        ? RolloutJsonl.BASE_FORMAT_VERSION
                        : RolloutJsonl.FORMAT_VERSION);
        g.writeStringField("group", b.groupKey(b.trajectoryGroup(i)));
        g.writeStringField("id", b.trajectoryId(i));
        if (!b.outcomeComponents().isEmpty()) {
            g.writeObjectFieldStart("outcome");
            for (Map.Entry<String, float[]> e : b.outcomeComponents().entrySet()) {
                float v = e.getValue()[i];
                g.writeFieldName(e.getKey());
                if (Float.isNaN(v)) g.writeNull();
                else Numbers.write(g, v);
            }
            g.writeEndObject();
        } else if (b.outcome() != null && !Float.isNaN(b.outcome()[i])) {
            g.writeFieldName("outcome");
            Numbers.write(g, b.outcome()[i]);
        }
        boolean any = false;
        for (Map.Entry<String, float[]> e : b.trajectorySignals().entrySet()) {
            float v = e.getValue()[i];
            if (Float.isNaN(v)) continue;
            if (!any) g.writeObjectFieldStart("signals");
            any = true;
            g.writeFieldName(e.getKey());
            Numbers.write(g, v);
        }
        if (any) g.writeEndObject();
        g.writeArrayFieldStart("spans");
        float[] reward = b.spanReward();
        String[] state = b.spanState();
        String[] agent = b.spanAgent();
        for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
            g.writeStartObject();
            g.writeStringField("role", b.spanRole(s).wireName());
            g.writeNumberField("tokens", b.spanTokenEnd(s) - b.spanTokenStart(s));
            if (reward != null && !Float.isNaN(reward[s])) {
                g.writeFieldName("reward");
                Numbers.write(g, reward[s]);
            }
            if (state != null && state[s] != null) g.writeStringField("state", state[s]);
            if (agent != null && agent[s] != null) g.writeStringField("agent", agent[s]);
            boolean anySignal = false;
            for (Map.Entry<String, float[]> e : b.spanSignals().entrySet()) {
                float v = e.getValue()[s];
                if (Float.isNaN(v)) continue;
                if (!anySignal) g.writeObjectFieldStart("signals");
                anySignal = true;
                g.writeFieldName(e.getKey());
                Numbers.write(g, v);
            }
            if (anySignal) g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
        int from = b.tokenStart(i);
        int to = b.tokenEnd(i);
        if (!b.tokenSignals().isEmpty()) {
            g.writeObjectFieldStart("token_signals");
            for (Map.Entry<String, float[]> e : b.tokenSignals().entrySet()) {
                g.writeFieldName(e.getKey());
                Numbers.writeArray(g, e.getValue(), from, to, "token_signals." + e.getKey(), b, i);
            }
            g.writeEndObject();
        }
        if (!b.tokenVectorNames().isEmpty()) {
            g.writeObjectFieldStart("token_vectors");
            for (String name : b.tokenVectorNames()) {
                int w = b.tokenVectorWidth(name);
                g.writeObjectFieldStart(name);
                g.writeNumberField("width", w);
                g.writeFieldName("values");
                Numbers.writeArray(g, b.tokenVector(name), from * w, to * w, "token_vectors." + name, b, i);
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        if (!b.tokenMatrixNames().isEmpty()) {
            g.writeObjectFieldStart("token_matrices");
            int[] off = b.tokenMatrixOffsets();
            for (String name : b.tokenMatrixNames()) {
                g.writeFieldName(name);
                Numbers.writeArray(g, b.tokenMatrix(name), off[i], off[i + 1], "token_matrices." + name, b, i);
            }
            g.writeEndObject();
        }
        String[] text = b.tokenText();
        if (text != null) {
            g.writeArrayFieldStart("text");
            for (int t = from; t < to; t++) {
                if (text[t] == null) g.writeNull();
                else g.writeString(text[t]);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    // ---- reading ------------------------------------------------------------------------------
}
