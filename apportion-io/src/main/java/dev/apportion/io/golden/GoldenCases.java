package dev.apportion.io.golden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Loads golden-case files. Skeleton. */
public final class GoldenCases {
    private GoldenCases() {
    }

    public static List<GoldenCase> load(Path file) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
