package dev.apportion.io.importer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.InputException;
import dev.apportion.io.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the records of an import file: JSON Lines (one object per non-blank line) or one JSON
 * array of objects (detected by a leading {@code [}), each record with the line it starts on.
 * Parsing is strict (the rules of {@link Json}); an error names the file and line.
 */
public final class JsonRecords {
    /** One record and the 1-based line it starts on. */
    public record Rec(JsonNode node, int line) {}

    private JsonRecords() {}

    /** The records of {@code file}; its name as given is used in messages. */
    public static List<Rec> read(Path file) throws IOException {
        return read(file, file.toString());
    }

    /** The records of {@code file}, naming it {@code source} in messages. */
    public static List<Rec> read(Path file, String source) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InputException(source, badUtf8Line(bytes), null, "the file is not valid UTF-8");
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1);
        int k = 0;
        while (k < text.length() && Character.isWhitespace(text.charAt(k))) k++;
        List<Rec> out = new ArrayList<>();
        if (k < text.length() && text.charAt(k) == '[') {
            readArray(text, source, out);
        } else {
            int line = 0;
            int pos = 0;
            while (pos <= text.length()) {
                int nl = text.indexOf('\n', pos);
                int end = nl < 0 ? text.length() : nl;
                line++;
                String s = text.substring(pos, end);
                if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
                if (!s.isBlank()) out.add(new Rec(Json.parseLine(s, source, line), line));
                if (nl < 0) break;
                pos = nl + 1;
            }
        }
        if (out.isEmpty())
            throw new InputException(source, 0, null, "no record in the file (expected JSON Lines or a JSON array)");
        for (Rec r : out) {
            if (!r.node().isObject()) {
                throw new InputException(
                        source, r.line(), null, "a record must be a JSON object, got " + Json.kind(r.node()));
            }
        }
        return out;
    }

    private static void readArray(String text, String source, List<Rec> out) throws IOException {
        try (JsonParser p = Json.factory().createParser(text)) {
            com.fasterxml.jackson.databind.ObjectReader reader = Json.mapper()
                    .readerFor(JsonNode.class)
                    .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
            if (p.nextToken() != JsonToken.START_ARRAY)
                throw new InputException(source, 1, null, "expected a JSON array");
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null)
                    throw new InputException(
                            source, p.currentLocation().getLineNr(), null, "the JSON array is not closed");
                int line = p.currentTokenLocation().getLineNr();
                JsonNode n = reader.readValue(p);
                out.add(new Rec(n, line));
            }
            if (p.nextToken() != null) {
                throw new InputException(
                        source, p.currentTokenLocation().getLineNr(), null, "text after the closing ] of the array");
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            String why = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            throw new InputException(source, line, null, "malformed JSON: " + why.replace('\n', ' '), e);
        }
    }

    private static int badUtf8Line(byte[] bytes) {
        int line = 1;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                try {
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes, start, i - start));
                } catch (CharacterCodingException e) {
                    return line;
                }
                line++;
                start = i + 1;
            }
        }
        return 0;
    }
}
