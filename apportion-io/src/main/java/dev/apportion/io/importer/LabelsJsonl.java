package dev.apportion.io.importer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.AtomicFiles;
import dev.apportion.io.InputException;
import dev.apportion.io.Json;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The labels file (docs/labels-format.md): one JSON line per trajectory,
 * {@code {"group", "id", "policy_span_labels": [1, 0, -1, null, ...], "first_error_span": k | null}}.
 */
public final class LabelsJsonl {
    /** The fields of a line. */
    public static final List<String> FIELDS = List.of("group", "id", "policy_span_labels", "first_error_span");

    private LabelsJsonl() {}

    /** Writes the labels atomically. */
    public static void write(Path out, List<TrajectoryLabels> labels) throws IOException {
        AtomicFiles.write(out, w -> write(w, labels));
    }

    /** Writes the labels, one line each. */
    public static void write(Writer w, List<TrajectoryLabels> labels) throws IOException {
        for (TrajectoryLabels l : labels) {
            try (JsonGenerator g = Json.factory().createGenerator(new NoClose(w))) {
                g.writeStartObject();
                g.writeStringField("group", l.group());
                g.writeStringField("id", l.id());
                g.writeArrayFieldStart("policy_span_labels");
                for (Integer x : l.policySpanLabels()) {
                    if (x == null) g.writeNull();
                    else g.writeNumber(x);
                }
                g.writeEndArray();
                if (l.firstErrorSpan() == null) g.writeNullField("first_error_span");
                else g.writeNumberField("first_error_span", l.firstErrorSpan());
                g.writeEndObject();
            }
            w.write('\n');
        }
    }

    /**
     * Reads a labels file.
     *
     * @throws InputException for a malformed line, an unknown field, a label other than −1/0/1/null,
     *     a first error outside the labels, or a (group, id) given twice
     */
    public static List<TrajectoryLabels> read(Path file) throws IOException {
        String source = file.toString();
        List<TrajectoryLabels> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (JsonRecords.Rec r : JsonRecords.read(file, source)) {
            Fields f = new Fields(source, r.line());
            JsonNode n = r.node();
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!FIELDS.contains(name)) {
                    throw f.error(
                            name, "unknown field '" + name + "' (known fields: " + String.join(", ", FIELDS) + ")");
                }
            }
            String group = f.string(n, "group", "group");
            String id = f.string(n, "id", "id");
            f.trajectory(group, id);
            Integer first = seen.putIfAbsent(group + "\u0000" + id, r.line());
            if (first != null)
                throw f.error("id", "labels for this trajectory are given twice (first on line " + first + ")");
            JsonNode arr = f.array(n, "policy_span_labels", "policy_span_labels");
            List<Integer> labels = new ArrayList<>();
            for (int k = 0; k < arr.size(); k++) labels.add(f.label(arr.get(k), "policy_span_labels[" + k + "]"));
            Integer firstError = null;
            JsonNode fe = n.get("first_error_span");
            if (fe != null && !fe.isNull()) {
                firstError = f.integer(fe, "first_error_span");
                if (firstError < 0 || firstError >= labels.size()) {
                    throw f.error(
                            "first_error_span",
                            "first_error_span must be a policy span index 0.." + (labels.size() - 1) + " or null, got "
                                    + firstError);
                }
            }
            out.add(new TrajectoryLabels(group, id, labels, firstError));
        }
        return out;
    }

    /** A writer wrapper that ignores close (the generator closes its target). */
    private static final class NoClose extends java.io.FilterWriter {
        NoClose(Writer w) {
            super(w);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
