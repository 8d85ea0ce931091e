package dev.apportion.bench.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The append-only journal of a run ({@code journal.jsonl} in the output directory): a header line
 * with the run's fingerprint (suite, filters, estimators, claims, root seed, code), then one JSON
 * line per completed work unit, written and flushed as the unit finishes. A restarted run with
 * {@code --resume} reads it back, skips the units it holds and decodes their outputs, so the
 * results equal those of an uninterrupted run.
 *
 * <p>A last line cut short by a crash (no newline, or not JSON) is dropped and overwritten; any
 * other bad line, or a header from another run, is refused with a one-line message naming the
 * file, the line and what differs.
 */
public final class Journal implements AutoCloseable {
    /** File name inside the output directory. */
    public static final String FILE = "journal.jsonl";

    static final String FORMAT = "apportion-bench-journal";
    static final int VERSION = 1;
    private static final ObjectMapper OM = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    /** Completed units read back on resume: unit key -> its line (parsed when taken, to keep memory low). */
    private final Map<String, String> done;

    private Journal(Path file, FileChannel channel, Map<String, String> done) {
        this.file = file;
        this.channel = channel;
        this.done = done;
    }

    /**
     * Opens the journal of {@code dir}. With {@code resume}, an existing journal must carry the same
     * fingerprint and its units are kept; otherwise (or when there is none) a new journal is started.
     *
     * @param fingerprint what identifies the run (compared field by field on resume)
     * @throws IllegalArgumentException when resuming a journal of another run, or a damaged one
     */
    public static Journal open(Path dir, Map<String, Object> fingerprint, boolean resume) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        ObjectNode header = OM.createObjectNode();
        header.put("journal", FORMAT);
        header.put("version", VERSION);
        // through text, so numbers compare as they read back (7 is 7 whether an int or a long)
        header.set("fingerprint", OM.readTree(OM.writeValueAsString(fingerprint)));
        Map<String, String> done = new HashMap<>();
        if (resume && Files.exists(file)) {
            long keep = read(file, header, done);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
            ch.truncate(keep);
            ch.position(keep);
            return new Journal(file, ch, done);
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.write(tmp, (OM.writeValueAsString(header) + "\n").getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new Journal(file, ch, done);
    }

    /** Reads the units of {@code file} into {@code done}; returns the length of its intact prefix. */
    private static long read(Path file, ObjectNode expected, Map<String, String> done) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int pos = 0;
        int lineNo = 0;
        while (pos < bytes.length) {
            int nl = pos;
            while (nl < bytes.length && bytes[nl] != '\n') nl++;
            lineNo++;
            boolean complete = nl < bytes.length;
            String text = new String(bytes, pos, nl - pos, StandardCharsets.UTF_8);
            JsonNode n = null;
            try {
                n = OM.readTree(text);
            } catch (JsonProcessingException e) {
                n = null;
            }
            boolean last = !complete || nl + 1 == bytes.length;
            if (n == null || !n.isObject()) {
                if (last && lineNo > 1) return pos; // a unit cut short by a crash: rewritten
                throw new IllegalArgumentException(file + ": line " + lineNo + ": not a journal record"
                        + (lineNo == 1 ? " (expected the header)" : "") + "; delete the file or use another --out");
            }
            if (lineNo == 1) {
                compareHeader(file, expected, n);
            } else {
                if (!complete) return pos;
                JsonNode key = n.get("unit");
                if (key == null || !key.isTextual())
                    throw new IllegalArgumentException(file + ": line " + lineNo
                            + ": field 'unit': missing; delete the file or use another --out");
                done.put(key.asText(), text);
            }
            pos = complete ? nl + 1 : nl;
        }
        if (lineNo == 0) throw new IllegalArgumentException(file + ": empty journal; delete it or use another --out");
        return pos;
    }

    private static void compareHeader(Path file, ObjectNode expected, JsonNode got) {
        if (!FORMAT.equals(got.path("journal").asText()) || got.path("version").asInt() != VERSION) {
            throw new IllegalArgumentException(file + ": line 1: not an " + FORMAT + " v" + VERSION
                    + " header; delete the file or use another --out");
        }
        JsonNode want = expected.get("fingerprint");
        JsonNode have = got.path("fingerprint");
        for (Iterator<String> it = want.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            JsonNode a = have.get(f);
            JsonNode b = want.get(f);
            if (a == null || !a.equals(b)) {
                throw new IllegalArgumentException("--resume: " + file + " was written by another run: " + f + " "
                        + brief(a) + ", this run " + brief(b)
                        + "; results would mix runs, so use another --out or drop --resume to start over");
            }
        }
    }

    private static String brief(JsonNode n) {
        String s = n == null ? "(missing)" : n.isTextual() ? "'" + n.asText() + "'" : n.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /** The path of the journal file. */
    public Path file() {
        return file;
    }

    /** Number of completed units read back and not taken yet. */
    synchronized int pending() {
        return done.size();
    }

    /** The record of completed unit {@code key}, removed from the journal's memory, or null when it did not run. */
    synchronized JsonNode take(String key) {
        String line = done.remove(key);
        if (line == null) return null;
        try {
            return OM.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(file + ": unit " + key + " no longer parses: " + e.getMessage(), e);
        }
    }

    /**
     * Appends one unit's record (its {@code unit} field is set to {@code key}, {@code cpu_ms} to the
     * CPU time the unit took, for cost estimates) and flushes it. Thread-safe.
     */
    void append(String key, ObjectNode record, long cpuNanos) {
        ObjectNode n = OM.createObjectNode();
        n.put("unit", key);
        n.put("cpu_ms", Math.round(cpuNanos / 1e5) / 10.0);
        n.setAll(record);
        write(n);
    }

    private synchronized void write(ObjectNode n) {
        try {
            byte[] b = (OM.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) channel.write(buf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The fingerprint fields of a run, in a stable order. */
    static Map<String, Object> fingerprint(Runner.Options o, String code) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("suite", o.suite().name());
        m.put("suite_digest", digest(o.suite().toString()));
        m.put("root_seed", o.rootSeed());
        m.put("tasks", o.taskFilter());
        m.put("estimators", o.estimators() == null ? null : o.estimators().toString());
        m.put("claims", digest(o.claims().toString()));
        m.put("registry", digest(String.join(",", o.registry().ids())));
        m.put("code", code);
        return m;
    }

    private static String digest(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 8; i++) b.append(String.format("%02x", d[i]));
            return b.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
