package dev.apportion.io;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Rollout and credit files by extension: {@code .parquet} is Parquet ({@link RolloutParquet},
 * {@link CreditParquet}), anything else rollout / credit JSONL. {@link #convert} turns one
 * rollout format into the other chunk by chunk, so a file larger than the heap converts.
 */
public final class RolloutFiles {
    /** Trajectories per chunk of a streamed conversion. */
    public static final int CHUNK = 512;

    private RolloutFiles() {}

    /** Whether the file name ends in {@code .parquet} (any case). */
    public static boolean isParquet(Path file) {
        Path name = file.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".parquet");
    }

    /** Reads a rollout file, Parquet or JSONL by extension. */
    public static Rollouts read(Path file) throws IOException {
        return isParquet(file) ? RolloutParquet.read(file) : RolloutJsonl.read(file);
    }

    /** Reads a rollout file chunk by chunk, Parquet or JSONL by extension. */
    public static void stream(Path file, int chunk, RolloutSink sink) throws IOException {
        if (isParquet(file)) RolloutParquet.stream(file, chunk, sink);
        else RolloutJsonl.stream(file, chunk, sink);
    }

    /**
     * Writes credit by extension, atomically: Parquet with the provenance as file key-value
     * metadata ({@code apportion.estimator}, {@code apportion.preset}, {@code apportion.params},
     * {@code apportion.input}), or credit JSONL with its provenance record first.
     */
    public static void writeCredit(
            Path out, Rollouts batch, Credit credit, CreditJsonl.Provenance provenance, String input)
            throws IOException {
        if (!isParquet(out)) {
            CreditJsonl.write(out, batch, credit, provenance);
            return;
        }
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("apportion.estimator", provenance.estimator());
        if (provenance.preset() != null) meta.put("apportion.preset", provenance.preset());
        meta.put("apportion.params", Json.mapper().writeValueAsString(provenance.params()));
        if (input != null) meta.put("apportion.input", input);
        CreditParquet.write(out, batch, credit, meta);
    }

    /**
     * Converts a rollout file between JSONL and Parquet (by extension; the same format on both
     * sides is a plain rewrite), streaming {@code chunk} trajectories at a time. The output is
     * written atomically; on any error no output file is left. Returns {trajectories, tokens}.
     */
    public static long[] convert(Path in, Path out, int chunk) throws IOException {
        long[] counts = new long[2];
        if (isParquet(out)) {
            RolloutParquet.Writer[] w = new RolloutParquet.Writer[1];
            try {
                stream(in, chunk, b -> {
                    if (w[0] == null) w[0] = new RolloutParquet.Writer(out, b.tokenSignalNames());
                    w[0].write(b);
                    counts[0] += b.trajectoryCount();
                    counts[1] += b.tokenCount();
                });
                w[0].commit();
            } finally {
                if (w[0] != null) w[0].close();
            }
        } else {
            AtomicFiles.write(
                    out,
                    (Writer writer) -> stream(in, chunk, b -> {
                        RolloutJsonl.write(writer, b);
                        counts[0] += b.trajectoryCount();
                        counts[1] += b.tokenCount();
                    }));
        }
        return counts;
    }
}
