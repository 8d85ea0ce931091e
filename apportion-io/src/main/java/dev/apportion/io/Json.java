package dev.apportion.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Locale;

/**
 * The one Jackson configuration of apportion's file formats: strict JSON (no NaN or Infinity
 * literals, no comments, no single quotes, no duplicate keys, nothing after the value), and
 * the shortest round-trip representation when writing floats. Thread-safe.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .disable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .disable(JsonReadFeature.ALLOW_LEADING_DECIMAL_POINT_FOR_NUMBERS)
            .disable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .rootValueSeparator((String) null)
            .build();
    private static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {}

    /** The shared strict mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The shared factory (for streaming writers). */
    public static JsonFactory factory() {
        return FACTORY;
    }

    /**
     * Parses one line of a JSON Lines file.
     *
     * @throws InputException naming source, line and Jackson's column when the text is not one
     *     valid JSON value
     */
    public static JsonNode parseLine(String text, String source, int line) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String col = loc != null && loc.getColumnNr() > 0 ? " at column " + loc.getColumnNr() : "";
            String why = e.getOriginalMessage();
            if (why == null) why = e.getClass().getSimpleName();
            // Jackson suggests enabling parser features; a file's author cannot, so say what the format allows
            why = why.replaceAll(": enable `[A-Za-z_.]+` to allow", "");
            // the start-marker note carries Jackson's redacted source description: keep only the position
            why = why.replaceAll("\\[Source: [^;]*; line: \\d+, column: (\\d+)\\]", "column $1");
            if (why.startsWith("Non-standard token"))
                why += " (NaN and Infinity are not allowed; numbers must be finite)";
            throw new InputException(source, line, null, "malformed JSON" + col + ": " + oneLine(why), e);
        }
    }

    /** A short, one-line rendering of a JSON value for messages (at most about 60 characters). */
    public static String show(JsonNode n) {
        if (n == null) return "nothing";
        String s = n.toString();
        if (s.length() > 60) s = s.substring(0, 57) + "...";
        return s;
    }

    /** A short name of a JSON value's type for messages ("a string", "an array", ...). */
    public static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "missing";
        switch (n.getNodeType()) {
            case ARRAY:
                return "an array";
            case OBJECT:
                return "an object";
            case STRING:
                return "a string";
            case NUMBER:
                return "a number";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            default:
                return n.getNodeType().name().toLowerCase(Locale.ROOT);
        }
    }

    static String oneLine(String s) {
        String t = s.replace("\r", " ").replace("\n", " ");
        return t.length() > 200 ? t.substring(0, 197) + "..." : t;
    }
}
