package dev.apportion.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text helpers shared by the source-scanning lint tests ({@link UnwrapLintTest}, {@link ChoiceCompareLintTest}). */
final class JavaSourceText {
    private JavaSourceText() {}

    /**
     * {@code source} with comments blanked to spaces (line breaks kept, so offsets and line numbers
     * stay); the contents of string and char literals are blanked too when {@code blankLiterals}.
     */
    static String blankComments(String source, boolean blankLiterals) {
        StringBuilder b = new StringBuilder(source.length());
        int n = source.length();
        int k = 0;
        while (k < n) {
            char c = source.charAt(k);
            if (c == '/' && k + 1 < n && source.charAt(k + 1) == '/') {
                while (k < n && source.charAt(k) != '\n') {
                    b.append(' ');
                    k++;
                }
            } else if (c == '/' && k + 1 < n && source.charAt(k + 1) == '*') {
                int end = source.indexOf("*/", k + 2);
                end = end < 0 ? n : end + 2;
                for (; k < end; k++) b.append(source.charAt(k) == '\n' ? '\n' : ' ');
            } else if (c == '"' || c == '\'') {
                b.append(c);
                k++;
                while (k < n && source.charAt(k) != c && source.charAt(k) != '\n') {
                    int len = source.charAt(k) == '\\' && k + 1 < n ? 2 : 1; // an escape and what it escapes
                    for (int j = 0; j < len; j++, k++) b.append(blankLiterals ? ' ' : source.charAt(k));
                }
                if (k < n) b.append(source.charAt(k++));
            } else {
                b.append(c);
                k++;
            }
        }
        return b.toString();
    }

    /** 1-based line number of {@code offset} in {@code text}. */
    static int lineOf(String text, int offset) {
        int line = 1;
        for (int k = 0; k < offset; k++) if (text.charAt(k) == '\n') line++;
        return line;
    }

    static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
