package dev.apportion.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** State of one read: the builder plus what cross-line checks need. */
/**
 * The rollout JSONL reader behind {@link RolloutJsonl#read}: checks each line field by field
 * (identity, span shape, outcome, token signals, text, trajectory and span signals), then feeds
 * the batch builder. Every problem is an {@link InputException} carrying file, line, trajectory,
 * field and offending value. One instance reads one input.
 */
final class RolloutJsonlReader {
    private final String source;
    private RolloutsBuilder builder = Rollouts.builder();
    /** Streaming: trajectories per chunk, and where chunks go (null: one batch, returned). */
    int chunk = Integer.MAX_VALUE;

    RolloutSink sink;
    private boolean any;
    private final List<String> ids = new ArrayList<>();
    private final List<String> groups = new ArrayList<>();
    private int[] lines = new int[64];
    /** group → (id → line) for duplicate detection. */
    private final Map<String, Map<String, Integer>> seen = new HashMap<>();
    /** Token signal names (except reward): the same in every trajectory. */
    private final SameSignalNames signalNames = new SameSignalNames();
    /** Whether outcomes are objects (true) or numbers (false); null until the first outcome. */
    private Boolean outcomeObjects;

    private int outcomeFormLine;

    // per-line context for messages
    private int line;
    private String id;
    private String group;

    RolloutJsonlReader(String source) {
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

    /** Streaming: hands the trajectories read so far to the sink and starts a new chunk. */
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

    /** One line: every field checked, in the order a reader meets them, then the builder fed. */
    private void readLine(JsonNode n) {
        readIdentity(n);
        Shape shape = readShape(n);
        Outcome outcome = readOutcome(n);
        TokenSignals signals = readTokenSignals(n, shape.tokens());
        TokenArrays vectors = readTokenVectors(n, shape.tokens());
        String[] text = readText(n, shape.tokens());
        TokenArrays matrices = readTokenMatrices(n, shape.tokens());
        JsonNode sig = readSignals(n);
        feed(shape, outcome, signals, vectors, matrices, text, sig);
    }

    /** The spans of a line: their token counts and roles ({@code spansNode} null for a single policy span). */
    private record Shape(JsonNode spansNode, int[] spanTokens, Role[] roles, int tokens) {}

    /** A scalar outcome (NaN when absent) or named components (null when absent). */
    private record Outcome(double scalar, String[] names, double[] values) {}

    /** Token signals of a line, in file order. */
    private record TokenSignals(List<String> names, List<float[]> values) {}

    /** Format, known fields, id, group and duplicate ids. */
    private void readIdentity(JsonNode n) {
        if (!n.isObject()) {
            throw error(
                    null, n, "a line must be a JSON object (one trajectory), got " + Json.kind(n) + " " + Json.show(n));
        }
        checkFormat(n.get("format"));
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!RolloutJsonl.FIELDS.contains(f)) {
                throw error(
                        f, "unknown field '" + f + "' (known fields: " + String.join(", ", RolloutJsonl.FIELDS) + ")");
            }
        }
        JsonNode idNode = n.get("id");
        if (idNode != null && !idNode.isTextual()) {
            throw error("id", idNode, "id must be a string, got " + Json.kind(idNode) + " " + Json.show(idNode));
        }
        id = idNode != null ? idNode.asText() : Integer.toString(line);
        JsonNode g = n.get("group");
        if (g == null)
            throw error(
                    "group", "group is missing (every trajectory needs \"group\": a string naming its prompt or task)");
        if (!g.isTextual()) throw error("group", g, "group must be a string, got " + Json.kind(g) + " " + Json.show(g));
        group = g.asText();
        Integer prev = seen.computeIfAbsent(group, k -> new HashMap<>()).putIfAbsent(id, line);
        if (prev != null) {
            throw error("id", "duplicate id '" + id + "' in group '" + group + "' (first on line " + prev + ")");
        }
    }

    /** Spans (or the single-span shorthand {@code tokens}) and the token count. */
    private Shape readShape(JsonNode n) {
        JsonNode spansNode = n.get("spans");
        JsonNode tokensNode = n.get("tokens");
        int[] spanTokens;
        Role[] roles;
        long total = 0;
        if (spansNode != null) {
            if (!spansNode.isArray())
                throw error(
                        "spans",
                        spansNode,
                        "spans must be an array, got " + Json.kind(spansNode) + " " + Json.show(spansNode));
            int m = spansNode.size();
            spanTokens = new int[m];
            roles = new Role[m];
            for (int k = 0; k < m; k++) {
                JsonNode s = spansNode.get(k);
                String at = "spans[" + k + "]";
                if (!s.isObject())
                    throw error(at, s, at + " must be an object, got " + Json.kind(s) + " " + Json.show(s));
                for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!RolloutJsonl.SPAN_FIELDS.contains(f)) {
                        throw error(
                                at + "." + f,
                                "unknown field '" + f + "' in " + at + " (known span fields: "
                                        + String.join(", ", RolloutJsonl.SPAN_FIELDS) + ")");
                    }
                }
                JsonNode role = s.get("role");
                if (role == null) throw error(at + ".role", at + ".role is missing (\"policy\" or \"context\")");
                if (!role.isTextual()
                        || !(role.asText().equals("policy") || role.asText().equals("context"))) {
                    throw error(
                            at + ".role", role, at + ".role must be \"policy\" or \"context\", got " + Json.show(role));
                }
                roles[k] = Role.parse(role.asText());
                JsonNode tk = s.get("tokens");
                if (tk == null) throw error(at + ".tokens", at + ".tokens is missing (the span's token count)");
                spanTokens[k] = count(tk, at + ".tokens");
                total += spanTokens[k];
            }
            if (total > Integer.MAX_VALUE - 8)
                throw error("spans", "spans add up to " + total + " tokens, more than a batch can hold");
            if (tokensNode != null) {
                int t = count(tokensNode, "tokens");
                if (t != total) {
                    throw error("tokens", "tokens is " + t + " but the spans add up to " + total + " tokens");
                }
            }
        } else {
            if (tokensNode == null) {
                throw error(
                        "tokens",
                        "tokens is missing (without \"spans\" the trajectory is one policy span of \"tokens\" tokens)");
            }
            int t = count(tokensNode, "tokens");
            spanTokens = new int[] {t};
            roles = new Role[] {Role.POLICY};
            total = t;
        }
        return new Shape(spansNode, spanTokens, roles, (int) total);
    }

    private Outcome readOutcome(JsonNode n) {
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
                throw error(
                        "outcome",
                        "outcome is null (omit the field when there is no outcome; inside an outcome object, null marks a component with no value)");
            } else {
                scalarOutcome = number(outcome, "outcome");
                checkOutcomeForm(false);
            }
        }

        return new Outcome(scalarOutcome, compNames, compValues);
    }

    private TokenSignals readTokenSignals(JsonNode n, int tokens) {
        JsonNode ts = n.get("token_signals");
        List<String> signalNames = new ArrayList<>();
        List<float[]> signalValues = new ArrayList<>();
        if (ts != null) {
            if (!ts.isObject())
                throw error(
                        "token_signals",
                        "token_signals must be an object (name -> array of one number per token), got " + Json.kind(ts)
                                + " " + Json.show(ts));
            for (Iterator<Map.Entry<String, JsonNode>> it = ts.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "token_signals." + e.getKey();
                JsonNode arr = e.getValue();
                if (!arr.isArray())
                    throw error(
                            field,
                            arr,
                            field + " must be an array of one number per token, got " + Json.kind(arr) + " "
                                    + Json.show(arr));
                if (arr.size() != tokens) {
                    throw error(
                            field,
                            field + " has " + arr.size() + " values but the trajectory has " + tokens + " tokens");
                }
                float[] v = new float[tokens];
                for (int t = 0; t < tokens; t++) v[t] = (float) number(arr.get(t), field + "[" + t + "]");
                signalNames.add(e.getKey());
                signalValues.add(v);
            }
        }
        checkSignalNames(signalNames);

        return new TokenSignals(signalNames, signalValues);
    }

    /** Named per-token vectors or matrices of one line ({@code widths} unused for matrices). */
    private record TokenArrays(List<String> names, List<Integer> widths, List<float[]> values) {}

    /** token_vectors: name -> {"width": W, "values": [tokens * W numbers, token-major]}. */
    private TokenArrays readTokenVectors(JsonNode n, int tokens) {
        JsonNode tv = n.get("token_vectors");
        TokenArrays out = new TokenArrays(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        if (tv == null) return out;
        if (!tv.isObject())
            throw error(
                    "token_vectors",
                    tv,
                    "token_vectors must be an object (name -> {\"width\": W, \"values\": [...]}), got " + Json.kind(tv)
                            + " " + Json.show(tv));
        for (Iterator<Map.Entry<String, JsonNode>> it = tv.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "token_vectors." + e.getKey();
            JsonNode o = e.getValue();
            if (!o.isObject())
                throw error(
                        field,
                        o,
                        field + " must be an object {\"width\": W, \"values\": [...]}, got " + Json.kind(o) + " "
                                + Json.show(o));
            for (Iterator<String> fi = o.fieldNames(); fi.hasNext(); ) {
                String f = fi.next();
                if (!f.equals("width") && !f.equals("values"))
                    throw error(
                            field + "." + f,
                            "unknown field '" + f + "' in " + field + " (known fields: width, values)");
            }
            JsonNode wn = o.get("width");
            if (wn == null || !wn.isIntegralNumber() || !wn.canConvertToInt() || wn.asInt() < 1) {
                throw error(
                        field + ".width",
                        field + ".width must be a whole number >= 1, got " + (wn == null ? "nothing" : Json.show(wn)));
            }
            int w = wn.asInt();
            JsonNode arr = o.get("values");
            if (arr == null || !arr.isArray()) {
                throw error(
                        field + ".values",
                        field + ".values must be an array of tokens x width numbers, got "
                                + (arr == null ? "nothing" : Json.kind(arr)));
            }
            if ((long) tokens * w != arr.size()) {
                throw error(
                        field + ".values",
                        field + ".values has " + arr.size() + " values but " + tokens + " tokens of width " + w
                                + " need " + ((long) tokens * w));
            }
            float[] v = new float[arr.size()];
            for (int k = 0; k < v.length; k++) v[k] = (float) number(arr.get(k), field + ".values[" + k + "]");
            out.names().add(e.getKey());
            out.widths().add(w);
            out.values().add(v);
        }
        return out;
    }

    /** token_matrices: name -> [n(n-1)/2 numbers: the strict lower triangle, row by row]. */
    private TokenArrays readTokenMatrices(JsonNode n, int tokens) {
        JsonNode tm = n.get("token_matrices");
        TokenArrays out = new TokenArrays(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        if (tm == null) return out;
        if (!tm.isObject())
            throw error(
                    "token_matrices",
                    tm,
                    "token_matrices must be an object (name -> array of n(n-1)/2 numbers), got " + Json.kind(tm) + " "
                            + Json.show(tm));
        long need = (long) tokens * (tokens - 1) / 2;
        for (Iterator<Map.Entry<String, JsonNode>> it = tm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "token_matrices." + e.getKey();
            JsonNode arr = e.getValue();
            if (!arr.isArray())
                throw error(
                        field,
                        arr,
                        field + " must be an array (the strict lower triangle, row by row), got " + Json.kind(arr));
            if (arr.size() != need) {
                throw error(
                        field,
                        field + " has " + arr.size() + " values but " + tokens + " tokens need " + need
                                + " (the strict lower triangle, row by row)");
            }
            float[] v = new float[arr.size()];
            for (int k = 0; k < v.length; k++) v[k] = (float) number(arr.get(k), field + "[" + k + "]");
            out.names().add(e.getKey());
            out.values().add(v);
        }
        return out;
    }

    private String[] readText(JsonNode n, int tokens) {
        JsonNode textNode = n.get("text");
        String[] text = null;
        if (textNode != null) {
            if (!textNode.isArray())
                throw error(
                        "text",
                        textNode,
                        "text must be an array of one string per token, got " + Json.kind(textNode) + " "
                                + Json.show(textNode));
            if (textNode.size() != tokens) {
                throw error(
                        "text",
                        "text has " + textNode.size() + " strings but the trajectory has " + tokens + " tokens");
            }
            text = new String[tokens];
            for (int t = 0; t < tokens; t++) {
                JsonNode s = textNode.get(t);
                if (!s.isTextual())
                    throw error(
                            "text", s, "text[" + t + "] must be a string, got " + Json.kind(s) + " " + Json.show(s));
                text[t] = s.asText();
            }
        }

        return text;
    }

    /** The trajectory signals object (values are checked as they are fed), or null. */
    private JsonNode readSignals(JsonNode n) {
        JsonNode sig = n.get("signals");
        if (sig != null && !sig.isObject()) {
            throw error(
                    "signals",
                    sig,
                    "signals must be an object (name -> number), got " + Json.kind(sig) + " " + Json.show(sig));
        }

        return sig;
    }

    /** Everything is checked: the trajectory goes to the builder (whose errors are placed at this line). */
    private void feed(
            Shape shape,
            Outcome outcome,
            TokenSignals signals,
            TokenArrays vectors,
            TokenArrays matrices,
            String[] text,
            JsonNode sig) {
        int index = ids.size();
        ids.add(id);
        groups.add(group);
        if (lines.length == index) lines = Arrays.copyOf(lines, index * 2);
        lines[index] = line;
        try {
            builder.trajectory(group, id);
            if (!Double.isNaN(outcome.scalar())) builder.outcome(outcome.scalar());
            if (outcome.names() != null) {
                for (int k = 0; k < outcome.names().length; k++)
                    builder.outcomeComponent(outcome.names()[k], outcome.values()[k]);
            }
            if (sig != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = sig.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    builder.signal(e.getKey(), number(e.getValue(), "signals." + e.getKey()));
                }
            }
            for (int k = 0; k < shape.spanTokens().length; k++) {
                if (shape.spansNode() == null) {
                    builder.span(shape.roles()[k], shape.spanTokens()[k]);
                    continue;
                }
                JsonNode s = shape.spansNode().get(k);
                String at = "spans[" + k + "]";
                JsonNode r = s.get("reward");
                double reward = r == null ? Double.NaN : number(r, at + ".reward");
                String state = optionalText(s.get("state"), at + ".state");
                String agent = optionalText(s.get("agent"), at + ".agent");
                builder.span(shape.roles()[k], shape.spanTokens()[k], reward, state, agent);
                JsonNode ss = s.get("signals");
                if (ss != null) {
                    if (!ss.isObject()) {
                        throw error(
                                at + ".signals",
                                ss,
                                at + ".signals must be an object (name -> number), got " + Json.kind(ss) + " "
                                        + Json.show(ss));
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> it = ss.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        builder.spanSignal(e.getKey(), number(e.getValue(), at + ".signals." + e.getKey()));
                    }
                }
            }
            for (int k = 0; k < signals.names().size(); k++)
                builder.tokenSignal(signals.names().get(k), signals.values().get(k));
            for (int k = 0; k < vectors.names().size(); k++)
                builder.tokenVector(
                        vectors.names().get(k),
                        vectors.widths().get(k),
                        vectors.values().get(k));
            for (int k = 0; k < matrices.names().size(); k++)
                builder.tokenMatrix(matrices.names().get(k), matrices.values().get(k));
            if (text != null) builder.tokenText(text);
        } catch (RolloutException e) {
            throw mapped(e);
        }
    }

    private void checkFormat(JsonNode f) {
        if (f == null) return;
        if (!f.isIntegralNumber() || !f.canConvertToInt() || f.asInt() < 1) {
            throw error(
                    "format", f, "format must be a positive whole number (the format version), got " + Json.show(f));
        }
        int v = f.asInt();
        if (v > RolloutJsonl.FORMAT_VERSION) {
            throw error(
                    "format",
                    "format version " + v + " is newer than this reader (supports up to " + RolloutJsonl.FORMAT_VERSION
                            + ")");
        }
    }

    private void checkOutcomeForm(boolean objects) {
        if (outcomeObjects == null) {
            outcomeObjects = objects;
            outcomeFormLine = line;
        } else if (outcomeObjects != objects) {
            throw error(
                    "outcome",
                    "outcome is " + (objects ? "an object" : "a number") + " here but "
                            + (objects ? "a number" : "an object") + " on line " + outcomeFormLine
                            + " (use one form for the whole file)");
        }
    }

    private void checkSignalNames(List<String> names) {
        Set<String> mine = new TreeSet<>(names);
        mine.remove(Rollouts.REWARD);
        SameSignalNames.Mismatch m = signalNames.check(mine, line, id);
        if (m == null) return;
        String field = "token_signals." + m.name();
        throw error(
                field,
                field + (m.missing() ? " is missing" : " is given here") + ", but line " + m.firstPosition()
                        + " (trajectory '" + m.firstId() + "') " + (m.missing() ? "has" : "lacks")
                        + " it; every trajectory must give the same token signals (reward excepted)");
    }

    /** A finite number that fits float32. */
    private double number(JsonNode v, String field) {
        if (v == null || !v.isNumber()) {
            String hint = "";
            if (v != null && v.isTextual()) {
                String t = v.asText().trim().toLowerCase(java.util.Locale.ROOT);
                if (t.contains("nan") || t.contains("inf")) hint = " (NaN and Infinity are not allowed)";
            }
            throw error(field, v, field + " must be a number, got " + Json.kind(v) + " " + Json.show(v) + hint);
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
        if (!v.isNumber())
            throw error(field, v, field + " must be a whole number >= 0, got " + Json.kind(v) + " " + Json.show(v));
        double d = v.doubleValue();
        if (d != Math.rint(d) || Double.isInfinite(d))
            throw error(field, v, field + " must be a whole number >= 0, got " + Json.show(v));
        if (d < 0) throw error(field, v, field + " must be >= 0, got " + Json.show(v));
        if (d > Integer.MAX_VALUE - 8) throw error(field, v, field + " is too large, got " + Json.show(v));
        return (int) d;
    }

    private String optionalText(JsonNode v, String field) {
        if (v == null) return null;
        if (!v.isTextual())
            throw error(field, v, field + " must be a string, got " + Json.kind(v) + " " + Json.show(v));
        return v.asText();
    }

    private InputException error(String field, String detail) {
        return new InputException(source, line, id, group, field, null, context(id, group) + detail, null);
    }

    /** An error about a value: the exception carries it too. */
    private InputException error(String field, JsonNode value, String detail) {
        return new InputException(
                source,
                line,
                id,
                group,
                field,
                value == null ? null : Json.show(value),
                context(id, group) + detail,
                null);
    }

    static String context(String id, String group) {
        if (id == null) return "";
        return "trajectory '" + id + "'" + (group == null ? "" : " (group '" + group + "')") + ": ";
    }

    /**
     * A builder error placed at the file and line of the trajectory it names (or the current
     * line when it names none): the builder keeps the trajectory's description and the detail
     * apart ({@link RolloutException#detail()}), so nothing is parsed out of its message.
     */
    private InputException mapped(RolloutException e) {
        return mapped(e, source, ids, groups, lines, line, id, group);
    }

    static InputException mapped(
            RolloutException e,
            String source,
            List<String> ids,
            List<String> groups,
            int[] lines,
            int currentLine,
            String currentId,
            String currentGroup) {
        int i = e.trajectory();
        if (i >= 0 && i < ids.size()) {
            return new InputException(
                    source,
                    lines[i],
                    ids.get(i),
                    groups.get(i),
                    e.field(),
                    null,
                    context(ids.get(i), groups.get(i)) + e.detail(),
                    e);
        }
        return new InputException(
                source,
                currentLine,
                currentId,
                currentGroup,
                e.field(),
                null,
                context(currentId, currentGroup) + e.detail(),
                e);
    }
}
