package dev.apportion.catalog;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads a report or results file as a JSON tree: JSON for {@code .json}, YAML for {@code .yaml} and
 * {@code .yml}, otherwise JSON when the content starts with '{' or '[' and YAML else.
 */
public final class ReportReader {
    private ReportReader() {}

    /**
     * @throws IOException with a one-line message naming the file, and the line for parse errors
     */
    public static JsonNode read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read: " + e.getMessage(), e);
        }
        boolean yaml = isYaml(file, text);
        ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String line = at != null && at.getLineNr() > 0 ? " at line " + at.getLineNr() : "";
            String msg = e.getOriginalMessage() == null
                    ? e.getClass().getSimpleName()
                    : e.getOriginalMessage().lines().findFirst().orElse("");
            throw new IOException(file + ": not valid " + (yaml ? "YAML" : "JSON") + line + ": " + msg, e);
        }
        if (root == null || root.isMissingNode() || (root.isNull() && text.isBlank()))
            throw new IOException(file + ": file is empty");
        return root;
    }

    private static boolean isYaml(Path file, String text) {
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) return false;
        if (name.endsWith(".yaml") || name.endsWith(".yml")) return true;
        String t = text.stripLeading();
        return !(t.startsWith("{") || t.startsWith("["));
    }
}
