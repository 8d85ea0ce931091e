package dev.apportion.io.importer;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to import.
 *
 * @param tokens counts the tokens of each span ({@link ApproximateTokens#INSTANCE} without a tokenizer file)
 * @param stateFromObservation key each policy span's state by a hash of the observation it saw
 *     (the {@code --state-from observation} option), so that anchor-state estimators can run
 * @param signals a JSONL file of extra per-span or per-trajectory signals to join, or null
 *     (docs/labels-format.md, "Signals file")
 */
public record ImportOptions(TokenCounter tokens, boolean stateFromObservation, Path signals) {
    public ImportOptions {
        Objects.requireNonNull(tokens, "tokens");
    }

    /** Approximate token counts, no states, no extra signals. */
    public static ImportOptions defaults() {
        return new ImportOptions(ApproximateTokens.INSTANCE, false, null);
    }
}
