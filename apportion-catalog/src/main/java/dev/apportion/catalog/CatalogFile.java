package dev.apportion.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * What the catalog's versioned data files (checklist, decision tree, inventory) share: reading the
 * top-level JSON object, checking the format version, and parsing the bundled copy once.
 */
final class CatalogFile {
    private CatalogFile() {}

    /** Parses one catalog file from a stream. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(InputStream in, String source) throws IOException;
    }

    /**
     * The top-level object of a catalog file.
     *
     * @throws IOException when the stream cannot be read or is not JSON (message with the line)
     * @throws CatalogFormatException when the top level is not an object
     */
    static JsonNode readObject(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (JsonProcessingException e) {
            throw new IOException(
                    source + ": not valid JSON at line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage(),
                    e);
        }
        if (root == null || !root.isObject())
            throw new CatalogFormatException(source + ": top level must be a JSON object");
        return root;
    }

    /** Reads {@code format_version} and refuses one outside {@code 1..newest}. */
    static int formatVersion(JsonNode root, JsonFields f, String source, int newest) {
        int fv = f.integer(root, "format_version");
        if (fv > newest || fv < 1) {
            throw new CatalogFormatException(
                    source + ": format version " + fv + " is newer than this reader (supports up to " + newest + ")");
        }
        return fv;
    }

    /** A bundled class-path file, parsed on first use and kept. Thread-safe. */
    static final class Bundled<T> {
        private final String resource;
        private final String fileName;
        private final String what;
        private final Parser<T> parser;
        private volatile T value;

        /**
         * @param resource class-path location
         * @param fileName name used in parse messages
         * @param what "checklist", "decision tree", ... for messages about the resource itself
         */
        Bundled(String resource, String fileName, String what, Parser<T> parser) {
            this.resource = resource;
            this.fileName = fileName;
            this.what = what;
            this.parser = parser;
        }

        T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        try (InputStream in = CatalogFile.class.getResourceAsStream(resource)) {
                            if (in == null)
                                throw new IllegalStateException(
                                        "bundled " + what + " " + resource + " is missing from the class path");
                            v = value = parser.parse(in, fileName);
                        } catch (IOException e) {
                            throw new UncheckedIOException("cannot read bundled " + what + " " + resource, e);
                        }
                    }
                }
            }
            return v;
        }
    }
}
