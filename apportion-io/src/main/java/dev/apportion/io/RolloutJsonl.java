package dev.apportion.io;

import dev.apportion.core.rollout.Rollouts;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;

/** Reads rollout JSONL, format version 1 (see docs/rollout-format.md). Skeleton. */
public final class RolloutJsonl {
    /** Highest format version this reader understands. */
    public static final int FORMAT_VERSION = 1;

    private RolloutJsonl() {
    }

    public static Rollouts read(Path file) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public static Rollouts read(Reader in, String sourceName) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
