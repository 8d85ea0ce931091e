package dev.apportion.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.apportion.io.importer.TokenCounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Token counts from a HuggingFace {@code tokenizer.json}, through DJL's binding of the
 * HuggingFace tokenizers library ({@code ai.djl.huggingface:tokenizers}). The binding's native
 * library ships inside its jar (linux x86-64 and aarch64, macOS aarch64, Windows x86-64) and
 * is extracted to DJL's cache directory ({@code ~/.djl.ai}, or {@code DJL_CACHE_DIR}) on first
 * use, so no download happens at run time. Special tokens (BOS, EOS) are not added: a span's
 * count is the number of tokens its text encodes to.
 *
 * <p>Thread-safety: the underlying tokenizer is thread-safe for encoding; {@link #close()}
 * releases the native handle.
 */
public final class HfTokenCounter implements TokenCounter, AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final String name;

    private HfTokenCounter(HuggingFaceTokenizer tokenizer, String name) {
        this.tokenizer = tokenizer;
        this.name = name;
    }

    /**
     * Loads a {@code tokenizer.json}.
     *
     * @throws IllegalArgumentException when the file is missing or not a tokenizer the library can read
     */
    public static HfTokenCounter load(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(
                    "tokenizer file '" + tokenizerJson + "' does not exist or is not a file");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(
                    tokenizerJson, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new HfTokenCounter(t, tokenizerJson.getFileName().toString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer '" + tokenizerJson + "': " + e.getMessage(), e);
        }
    }

    @Override
    public int count(String text) {
        if (text == null || text.isEmpty()) return 0;
        Encoding enc = tokenizer.encode(text, false, false);
        return enc.getIds().length;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean exact() {
        return true;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
