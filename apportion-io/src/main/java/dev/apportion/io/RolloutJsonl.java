package dev.apportion.io;

import dev.apportion.core.rollout.Rollouts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Rollout JSONL, format version 2 (version 1 plus {@code token_vectors} and {@code token_matrices}): one trajectory per line (the format is specified in
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
    public static final int FORMAT_VERSION = 2;
    /** Version written on lines without token vectors (they read the same under version 1). */
    public static final int BASE_FORMAT_VERSION = 1;

    /** Top-level fields of a line, in the order the writer emits them. */
    public static final List<String> FIELDS = List.of(
            "format",
            "group",
            "id",
            "outcome",
            "signals",
            "tokens",
            "spans",
            "token_signals",
            "token_vectors",
            "token_matrices",
            "text");
    /** Fields of a span object. */
    public static final List<String> SPAN_FIELDS = List.of("role", "tokens", "reward", "state", "agent", "signals");

    private RolloutJsonl() {}

    /**
     * Reads a rollout JSONL file (UTF-8).
     *
     * @throws InputException for any problem in the content (message names file and line)
     * @throws IOException when the file cannot be read
     */
    public static Rollouts read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new RolloutJsonlReader(file.toString()).read(Utf8Lines.of(in));
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
            RolloutJsonlReader r = new RolloutJsonlReader(file.toString());
            r.chunk = chunkLines;
            r.sink = sink;
            r.read(Utf8Lines.of(in));
        }
    }

    /**
     * Reads rollout JSONL from a byte stream (not closed), decoded as strict UTF-8 line by line
     * exactly as {@link #read(Path)} decodes a file, so the same content gives the same batch and
     * the same error messages (with {@code sourceName} in place of the file name).
     *
     * @param sourceName name used in messages (a file name, "body", ...)
     * @throws InputException for any problem in the content
     * @throws IOException when reading fails
     */
    public static Rollouts read(InputStream in, String sourceName) throws IOException {
        return new RolloutJsonlReader(sourceName).read(Utf8Lines.of(in));
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
        return new RolloutJsonlReader(sourceName).read(br::readLine);
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
        RolloutJsonlWriter.write(out, batch);
    }
}
