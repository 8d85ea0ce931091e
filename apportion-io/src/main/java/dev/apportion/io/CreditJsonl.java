package dev.apportion.io;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.rollout.Rollouts;

import java.io.IOException;
import java.nio.file.Path;

/** Writes credit JSONL (see docs/rollout-format.md). Skeleton. */
public final class CreditJsonl {
    private CreditJsonl() {
    }

    public static void write(Path out, Rollouts batch, Credit credit) throws IOException {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
