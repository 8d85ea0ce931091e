package dev.apportion.io.importer;

/**
 * Counts the tokens of a piece of text, as the importers need them for span lengths. An
 * implementation is either a real tokenizer (a HuggingFace {@code tokenizer.json}, in module
 * {@code apportion-tokenizer}) or {@link ApproximateTokens}. Implementations are thread-safe.
 */
public interface TokenCounter {
    /** Tokens of {@code text} (0 for the empty string); no special tokens are added. */
    int count(String text);

    /** What counted: {@code approximate} or the tokenizer file's name. */
    String name();

    /** True when the counts come from a real tokenizer, false for an approximation. */
    boolean exact();
}
