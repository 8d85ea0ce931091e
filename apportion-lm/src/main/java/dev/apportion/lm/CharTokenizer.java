package dev.apportion.lm;

import java.util.Arrays;

/**
 * A character tokenizer over a fixed symbol set: one token per character, plus three specials
 * ({@link #PAD} 0, {@link #BOS} 1, {@link #EOS} 2). Encoding rejects a character outside the set
 * with a message naming it and its position; decoding drops the specials.
 */
public final class CharTokenizer {
    /** Padding (never a target of the loss). */
    public static final int PAD = 0;
    /** Start of sequence, the first token of every sequence. */
    public static final int BOS = 1;
    /** End of the answer. */
    public static final int EOS = 2;

    /** The characters, in id order starting at 3. */
    public static final String CHARS = "0123456789+-*=[];:,>? abcdefghijklmnopqrstuvwxyz";

    private static final int[] ID = new int[128];

    static {
        Arrays.fill(ID, -1);
        for (int k = 0; k < CHARS.length(); k++) ID[CHARS.charAt(k)] = k + 3;
    }

    private CharTokenizer() {}

    /** Vocabulary size (specials included). */
    public static int vocabSize() {
        return CHARS.length() + 3;
    }

    /** Token id of a character. */
    public static int id(char c) {
        int v = c < 128 ? ID[c] : -1;
        if (v < 0)
            throw new IllegalArgumentException(
                    "character '" + c + "' (U+" + Integer.toHexString(c) + ") is not in the vocabulary");
        return v;
    }

    /** Ids of a text. */
    public static int[] encode(String text) {
        int[] out = new int[text.length()];
        for (int k = 0; k < out.length; k++) {
            char c = text.charAt(k);
            int v = c < 128 ? ID[c] : -1;
            if (v < 0) {
                throw new IllegalArgumentException(
                        "text \"" + text + "\" position " + k + ": character '" + c + "' is not in the vocabulary");
            }
            out[k] = v;
        }
        return out;
    }

    /** Text of ids {@code [from, to)}; specials are dropped. */
    public static String decode(int[] ids, int from, int to) {
        StringBuilder sb = new StringBuilder(Math.max(0, to - from));
        for (int k = from; k < to; k++) {
            int v = ids[k];
            if (v >= 3 && v < vocabSize()) sb.append(CHARS.charAt(v - 3));
            else if (v < 0 || v >= vocabSize())
                throw new IllegalArgumentException("token id " + v + " at " + k + " is outside the vocabulary");
        }
        return sb.toString();
    }

    /** Text of all ids. */
    public static String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    /** Printable form of one token (specials as &lt;bos&gt;, &lt;eos&gt;, &lt;pad&gt;). */
    public static String piece(int id) {
        return switch (id) {
            case PAD -> "<pad>";
            case BOS -> "<bos>";
            case EOS -> "<eos>";
            default -> String.valueOf(CHARS.charAt(id - 3));
        };
    }
}
