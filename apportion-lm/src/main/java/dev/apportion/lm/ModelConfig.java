package dev.apportion.lm;

/**
 * Shape of the decoder-only transformer.
 *
 * @param vocab vocabulary size
 * @param layers transformer blocks
 * @param width model width d
 * @param heads attention heads (must divide width)
 * @param maxLen longest sequence (learned positional embeddings)
 */
public record ModelConfig(int vocab, int layers, int width, int heads, int maxLen) {
    public ModelConfig {
        if (vocab < 4) throw new IllegalArgumentException("vocab must be >= 4, got " + vocab);
        if (layers < 1) throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        if (width < 1 || heads < 1 || width % heads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must divide width (" + width + ")");
        }
        if (maxLen < 2) throw new IllegalArgumentException("maxLen must be >= 2, got " + maxLen);
    }

    /** Defaults that train in minutes on two CPU cores: 2 layers, width 64, 4 heads, 48 positions. */
    public static ModelConfig defaults() {
        return new ModelConfig(CharTokenizer.vocabSize(), 2, 64, 4, 48);
    }

    /** A tiny model for unit tests. */
    public static ModelConfig tiny() {
        return new ModelConfig(CharTokenizer.vocabSize(), 1, 32, 2, 40);
    }

    /** Width of one head. */
    public int headWidth() {
        return width / heads;
    }
}
