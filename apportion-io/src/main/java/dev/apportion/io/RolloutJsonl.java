package dev.apportion.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Rollout JSONL, format version 1: one trajectory per line (the format is specified in
 * {@code docs/rollout-format.md}).
 *
 * <pre>{@code
 * {"group": "p4", "id": "a3", "outcome": 1.0,
 *  "spans": [{"role": "context", "tokens": 5}, {"role": "policy", "tokens": 7, "reward": 0.5}],
 *  "token_signals": {"logprob": [-0.1, ...12 values]}}
 * }</pre>
 *
 * <p>The reader is strict: every problem (malformed JSON, NaN or Infinity, a wrong type, a
 * missing group, negative token counts, lengths that disagree, an unknown role or field, a
 * duplicate id within a group, a newer format version) is an {@link InputException} whose
 * one-line message starts with {@code file:line:} and names the trajectory, field and value.
 * Numbers are stored as float32; a number outside the float range is an error. Blank lines
 * are skipped; line numbers count every physical line.
 *
 * <p>Stateless; the static methods are thread-safe.
 */
public final class RolloutJsonl {
    /** Highest format version this reader understands. */
    public static final int FORMAT_VERSION = 1;

    /** Top-level fields of a line, in the order the writer emits them. */
    public static final List<String> FIELDS = List.of("format", "group", "id", "outcome", "signals", "tokens",
            "spans", "token_signals", "text");
    /** Fields of a span object. */
    public static final List<String> SPAN_FIELDS = List.of("role", "tokens", "reward", "state", "agent", "signals");

    private RolloutJsonl() {
    }

    /**
     * Reads a rollout JSONL file (UTF-8).
     *
     * @throws InputException for any problem in the content (message names file and line)
     * @throws IOException when the file cannot be read
     */
    public static Rollouts read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new LineReader(file.toString()).read(Utf8Lines.of(in));
        }
    }

    /**
     * Reads a rollout JSONL file in chunks of at most {@code chunkLines} trajectories, handing
     * each chunk to {@code sink} as soon as it is complete, so that memory holds one chunk (plus
     * the ids seen, for the duplicate check). Every rule of {@link #read(Path)} applies across
     * chunks (duplicate ids, the same token signals on every line, one outcome form); messages
     * name the file's physical line as in {@link #read(Path)}.
     */
    public static void stream(Path file, int chunkLines, RolloutSink sink) throws IOException {
        if (chunkLines < 1) throw new IllegalArgumentException("chunkLines must be >= 1, got " + chunkLines);
        try (InputStream in = Files.newInputStream(file)) {
            LineReader r = new LineReader(file.toString());
            r.chunk = chunkLines;
            r.sink = sink;
            r.read(Utf8Lines.of(in));
        }
    }

    /**
     * Reads rollout JSONL from a reader (not closed).
     *
     * @param sourceName name used in messages (a file name, "stdin", ...)
     * @throws InputException for any problem in the content
     * @throws IOException when reading fails
     */
    public static Rollouts read(Reader in, String sourceName) throws IOException {
        BufferedReader br = in instanceof BufferedReader ? (BufferedReader) in : new BufferedReader(in, 1 << 16);
        return new LineReader(sourceName).read(br::readLine);
    }

    /**
     * Writes a batch as rollout JSONL, atomically (a temporary file in the target directory,
     * then a rename; on failure no output file is left behind). Spans are always written
     * explicitly. Reading the file back gives an equal batch (for a non-empty batch).
     *
     * @throws IllegalArgumentException see {@link #write(Writer, Rollouts)}
     */
    public static void write(Path out, Rollouts batch) throws IOException {
        AtomicFiles.write(out, w -> write(w, batch));
    }

    /**
     * Writes a batch as rollout JSONL to a writer (flushed, not closed).
     *
     * @throws IllegalArgumentException for a batch the format cannot hold: one with both a
     *     scalar outcome and outcome components, or with a non-finite token signal value
     */
    public static void write(Writer out, Rollouts batch) throws IOException {
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
        g.writeNumberField("format", FORMAT_VERSION);
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

    /** State of one read: the builder plus what cross-line checks need. */
    private static final class LineReader {
        private final String source;
        private RolloutsBuilder builder = Rollouts.builder();
        /** Streaming: trajectories per chunk, and where chunks go (null: one batch, returned). */
        private int chunk = Integer.MAX_VALUE;
        private RolloutSink sink;
        private boolean any;
        private final List<String> ids = new ArrayList<>();
        private final List<String> groups = new ArrayList<>();
        private int[] lines = new int[64];
        /** group → (id → line) for duplicate detection. */
        private final Map<String, Map<String, Integer>> seen = new HashMap<>();
        /** Token signal names (except reward) of the first trajectory. */
        private Set<String> firstSignals;
        private int firstSignalsLine;
        private String firstSignalsId;
        /** Whether outcomes are objects (true) or numbers (false); null until the first outcome. */
        private Boolean outcomeObjects;
        private int outcomeFormLine;

        // per-line context for messages
        private int line;
        private String id;
        private String group;

        LineReader(String source) {
            this.source = source;
        }

        Rollouts read(Utf8Lines.Source in) throws IOException {
            int lineNo = 0;
            while (true) {
                String text;
                try {
                    text = in.next();
                } catch (CharacterCodingException e) {
                    throw new InputException(source, lineNo + 1, null, "the line is not valid UTF-8", e);
                }
                if (text == null) break;
                lineNo++;
                if (lineNo == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
                if (text.isBlank()) continue;
                line = lineNo;
                id = null;
                group = null;
                readLine(Json.parseLine(text, source, lineNo));
                any = true;
                if (sink != null && ids.size() >= chunk) flush();
            }
            if (!any) {
                throw new InputException(source, 0, null, "no trajectories (the input is empty or has only blank lines)");
            }
            if (sink != null) {
                if (!ids.isEmpty()) flush();
                return null;
            }
            try {
                return builder.build();
            } catch (RolloutException e) {
                throw mapped(e);
            }
        }

        private void flush() throws IOException {
            Rollouts b;
            try {
                b = builder.build();
            } catch (RolloutException e) {
                throw mapped(e);
            }
            builder = Rollouts.builder();
            ids.clear();
            groups.clear();
            sink.accept(b);
        }

        private void readLine(JsonNode n) {
            if (!n.isObject()) {
                throw error(null, "a line must be a JSON object (one trajectory), got " + Json.kind(n) + " " + Json.show(n));
            }
            checkFormat(n.get("format"));
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!FIELDS.contains(f)) {
                    throw error(f, "unknown field '" + f + "' (known fields: " + String.join(", ", FIELDS) + ")");
                }
            }
            JsonNode idNode = n.get("id");
            if (idNode != null && !idNode.isTextual()) {
                throw error("id", "id must be a string, got " + Json.kind(idNode) + " " + Json.show(idNode));
            }
            id = idNode != null ? idNode.asText() : Integer.toString(line);
            JsonNode g = n.get("group");
            if (g == null) throw error("group", "group is missing (every trajectory needs \"group\": a string naming its prompt or task)");
            if (!g.isTextual()) throw error("group", "group must be a string, got " + Json.kind(g) + " " + Json.show(g));
            group = g.asText();
            Integer prev = seen.computeIfAbsent(group, k -> new HashMap<>()).putIfAbsent(id, line);
            if (prev != null) {
                throw error("id", "duplicate id '" + id + "' in group '" + group + "' (first on line " + prev + ")");
            }

            // spans and token count
            JsonNode spansNode = n.get("spans");
            JsonNode tokensNode = n.get("tokens");
            int[] spanTokens;
            Role[] roles;
            long total = 0;
            if (spansNode != null) {
                if (!spansNode.isArray()) throw error("spans", "spans must be an array, got " + Json.kind(spansNode) + " " + Json.show(spansNode));
                int m = spansNode.size();
                spanTokens = new int[m];
                roles = new Role[m];
                for (int k = 0; k < m; k++) {
                    JsonNode s = spansNode.get(k);
                    String at = "spans[" + k + "]";
                    if (!s.isObject()) throw error(at, at + " must be an object, got " + Json.kind(s) + " " + Json.show(s));
                    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                        String f = it.next();
                        if (!SPAN_FIELDS.contains(f)) {
                            throw error(at + "." + f, "unknown field '" + f + "' in " + at + " (known span fields: "
                                    + String.join(", ", SPAN_FIELDS) + ")");
                        }
                    }
                    JsonNode role = s.get("role");
                    if (role == null) throw error(at + ".role", at + ".role is missing (\"policy\" or \"context\")");
                    if (!role.isTextual() || !(role.asText().equals("policy") || role.asText().equals("context"))) {
                        throw error(at + ".role", at + ".role must be \"policy\" or \"context\", got " + Json.show(role));
                    }
                    roles[k] = Role.parse(role.asText());
                    JsonNode tk = s.get("tokens");
                    if (tk == null) throw error(at + ".tokens", at + ".tokens is missing (the span's token count)");
                    spanTokens[k] = count(tk, at + ".tokens");
                    total += spanTokens[k];
                }
                if (total > Integer.MAX_VALUE - 8) throw error("spans", "spans add up to " + total + " tokens, more than a batch can hold");
                if (tokensNode != null) {
                    int t = count(tokensNode, "tokens");
                    if (t != total) {
                        throw error("tokens", "tokens is " + t + " but the spans add up to " + total + " tokens");
                    }
                }
            } else {
                if (tokensNode == null) {
                    throw error("tokens", "tokens is missing (without \"spans\" the trajectory is one policy span of \"tokens\" tokens)");
                }
                int t = count(tokensNode, "tokens");
                spanTokens = new int[] {t};
                roles = new Role[] {Role.POLICY};
                total = t;
            }
            int tokens = (int) total;

            // outcome
            JsonNode outcome = n.get("outcome");
            double scalarOutcome = Double.NaN;
            String[] compNames = null;
            double[] compValues = null;
            if (outcome != null) {
                if (outcome.isObject()) {
                    checkOutcomeForm(true);
                    compNames = new String[outcome.size()];
                    compValues = new double[outcome.size()];
                    int k = 0;
                    for (Iterator<Map.Entry<String, JsonNode>> it = outcome.fields(); it.hasNext(); k++) {
                        Map.Entry<String, JsonNode> e = it.next();
                        compNames[k] = e.getKey();
                        compValues[k] = e.getValue().isNull() ? Double.NaN : number(e.getValue(), "outcome." + e.getKey());
                    }
                } else if (outcome.isNull()) {
                    throw error("outcome", "outcome is null (omit the field when there is no outcome; inside an outcome object, null marks a component with no value)");
                } else {
                    scalarOutcome = number(outcome, "outcome");
                    checkOutcomeForm(false);
                }
            }

            // token signals
            JsonNode ts = n.get("token_signals");
            List<String> signalNames = new ArrayList<>();
            List<float[]> signalValues = new ArrayList<>();
            if (ts != null) {
                if (!ts.isObject()) throw error("token_signals", "token_signals must be an object (name -> array of one number per token), got "
                        + Json.kind(ts) + " " + Json.show(ts));
                for (Iterator<Map.Entry<String, JsonNode>> it = ts.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String field = "token_signals." + e.getKey();
                    JsonNode arr = e.getValue();
                    if (!arr.isArray()) throw error(field, field + " must be an array of one number per token, got " + Json.kind(arr) + " " + Json.show(arr));
                    if (arr.size() != tokens) {
                        throw error(field, field + " has " + arr.size() + " values but the trajectory has " + tokens + " tokens");
                    }
                    float[] v = new float[tokens];
                    for (int t = 0; t < tokens; t++) v[t] = (float) number(arr.get(t), field + "[" + t + "]");
                    signalNames.add(e.getKey());
                    signalValues.add(v);
                }
            }
            checkSignalNames(signalNames);

            // text
            JsonNode textNode = n.get("text");
            String[] text = null;
            if (textNode != null) {
                if (!textNode.isArray()) throw error("text", "text must be an array of one string per token, got " + Json.kind(textNode) + " " + Json.show(textNode));
                if (textNode.size() != tokens) {
                    throw error("text", "text has " + textNode.size() + " strings but the trajectory has " + tokens + " tokens");
                }
                text = new String[tokens];
                for (int t = 0; t < tokens; t++) {
                    JsonNode s = textNode.get(t);
                    if (!s.isTextual()) throw error("text", "text[" + t + "] must be a string, got " + Json.kind(s) + " " + Json.show(s));
                    text[t] = s.asText();
                }
            }

            // trajectory signals
            JsonNode sig = n.get("signals");
            if (sig != null && !sig.isObject()) {
                throw error("signals", "signals must be an object (name -> number), got " + Json.kind(sig) + " " + Json.show(sig));
            }

            // everything is checked: feed the builder
            int index = ids.size();
            ids.add(id);
            groups.add(group);
            if (lines.length == index) lines = Arrays.copyOf(lines, index * 2);
            lines[index] = line;
            try {
                builder.trajectory(group, id);
                if (!Double.isNaN(scalarOutcome)) builder.outcome(scalarOutcome);
                if (compNames != null) {
                    for (int k = 0; k < compNames.length; k++) builder.outcomeComponent(compNames[k], compValues[k]);
                }
                if (sig != null) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = sig.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        builder.signal(e.getKey(), number(e.getValue(), "signals." + e.getKey()));
                    }
                }
                for (int k = 0; k < spanTokens.length; k++) {
                    if (spansNode == null) {
                        builder.span(roles[k], spanTokens[k]);
                        continue;
                    }
                    JsonNode s = spansNode.get(k);
                    String at = "spans[" + k + "]";
                    JsonNode r = s.get("reward");
                    double reward = r == null ? Double.NaN : number(r, at + ".reward");
                    String state = optionalText(s.get("state"), at + ".state");
                    String agent = optionalText(s.get("agent"), at + ".agent");
                    builder.span(roles[k], spanTokens[k], reward, state, agent);
                    JsonNode ss = s.get("signals");
                    if (ss != null) {
                        if (!ss.isObject()) {
                            throw error(at + ".signals", at + ".signals must be an object (name -> number), got " + Json.kind(ss) + " " + Json.show(ss));
                        }
                        for (Iterator<Map.Entry<String, JsonNode>> it = ss.fields(); it.hasNext(); ) {
                            Map.Entry<String, JsonNode> e = it.next();
                            builder.spanSignal(e.getKey(), number(e.getValue(), at + ".signals." + e.getKey()));
                        }
                    }
                }
                for (int k = 0; k < signalNames.size(); k++) builder.tokenSignal(signalNames.get(k), signalValues.get(k));
                if (text != null) builder.tokenText(text);
            } catch (RolloutException e) {
                throw mapped(e);
            }
        }

        private void checkFormat(JsonNode f) {
            if (f == null) return;
            if (!f.isIntegralNumber() || !f.canConvertToInt() || f.asInt() < 1) {
                throw error("format", "format must be a positive whole number (the format version), got " + Json.show(f));
            }
            int v = f.asInt();
            if (v > FORMAT_VERSION) {
                throw error("format", "format version " + v + " is newer than this reader (supports up to " + FORMAT_VERSION + ")");
            }
        }

        private void checkOutcomeForm(boolean objects) {
            if (outcomeObjects == null) {
                outcomeObjects = objects;
                outcomeFormLine = line;
            } else if (outcomeObjects != objects) {
                throw error("outcome", "outcome is " + (objects ? "an object" : "a number") + " here but "
                        + (objects ? "a number" : "an object") + " on line " + outcomeFormLine
                        + " (use one form for the whole file)");
            }
        }

        private void checkSignalNames(List<String> names) {
            Set<String> mine = new TreeSet<>(names);
            mine.remove(Rollouts.REWARD);
            if (firstSignals == null) {
                firstSignals = mine;
                firstSignalsLine = line;
                firstSignalsId = id;
                return;
            }
            if (mine.equals(firstSignals)) return;
            Set<String> missing = new LinkedHashSet<>(firstSignals);
            missing.removeAll(mine);
            if (!missing.isEmpty()) {
                String name = missing.iterator().next();
                throw error("token_signals." + name, "token_signals." + name + " is missing, but line " + firstSignalsLine
                        + " (trajectory '" + firstSignalsId + "') has it; every trajectory must give the same token signals (reward excepted)");
            }
            Set<String> extra = new LinkedHashSet<>(mine);
            extra.removeAll(firstSignals);
            String name = extra.iterator().next();
            throw error("token_signals." + name, "token_signals." + name + " is given here, but line " + firstSignalsLine
                    + " (trajectory '" + firstSignalsId + "') lacks it; every trajectory must give the same token signals (reward excepted)");
        }

        /** A finite number that fits float32. */
        private double number(JsonNode v, String field) {
            if (v == null || !v.isNumber()) {
                String hint = "";
                if (v != null && v.isTextual()) {
                    String t = v.asText().trim().toLowerCase(java.util.Locale.ROOT);
                    if (t.contains("nan") || t.contains("inf")) hint = " (NaN and Infinity are not allowed)";
                }
                throw error(field, field + " must be a number, got " + Json.kind(v) + " " + Json.show(v) + hint);
            }
            double d = v.doubleValue();
            if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) {
                String got = Double.isFinite(d) ? Json.show(v) : "a number beyond the double range";
                throw error(field, field + " is out of range (numbers are stored as float32), got " + got);
            }
            return d;
        }

        /** A whole number >= 0 (integral JSON numbers, or floats with an integral value). */
        private int count(JsonNode v, String field) {
            if (!v.isNumber()) throw error(field, field + " must be a whole number >= 0, got " + Json.kind(v) + " " + Json.show(v));
            double d = v.doubleValue();
            if (d != Math.rint(d) || Double.isInfinite(d)) throw error(field, field + " must be a whole number >= 0, got " + Json.show(v));
            if (d < 0) throw error(field, field + " must be >= 0, got " + Json.show(v));
            if (d > Integer.MAX_VALUE - 8) throw error(field, field + " is too large, got " + Json.show(v));
            return (int) d;
        }

        private String optionalText(JsonNode v, String field) {
            if (v == null) return null;
            if (!v.isTextual()) throw error(field, field + " must be a string, got " + Json.kind(v) + " " + Json.show(v));
            return v.asText();
        }

        private InputException error(String field, String detail) {
            return new InputException(source, line, field, context(id, group) + detail);
        }

        static String context(String id, String group) {
            if (id == null) return "";
            return "trajectory '" + id + "'" + (group == null ? "" : " (group '" + group + "')") + ": ";
        }

        private InputException mapped(RolloutException e) {
            return RolloutJsonl.mapped(e, source, ids, groups, lines, line, id, group);
        }
    }

    /**
     * Re-words a builder error with the file and line of the trajectory it names (or the
     * current line when it names none).
     */
    static InputException mapped(RolloutException e, String source, List<String> ids, List<String> groups, int[] lines,
                                 int currentLine, String currentId, String currentGroup) {
        int i = e.trajectory();
        String msg = e.getMessage();
        if (i >= 0 && i < ids.size()) {
            String builderPrefix = "trajectory " + i + " (id '" + ids.get(i) + "', group '" + groups.get(i) + "'): ";
            if (msg.startsWith(builderPrefix)) msg = msg.substring(builderPrefix.length());
            return new InputException(source, lines[i], e.field(), LineReader.context(ids.get(i), groups.get(i)) + msg, e);
        }
        return new InputException(source, currentLine, e.field(), LineReader.context(currentId, currentGroup) + msg, e);
    }
}
