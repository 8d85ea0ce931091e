package dev.apportion.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines at {@code \n} (dropping a trailing {@code \r}) and decodes
 * each line as strict UTF-8, so that invalid bytes are reported on the line that holds them
 * ({@link java.nio.charset.CharacterCodingException} from {@code next()}).
 * Not thread-safe.
 */
final class Utf8Lines {
    /** A source of lines; null at the end. */
    @FunctionalInterface
    interface Source {
        String next() throws IOException;
    }

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private byte[] line = new byte[256];
    private boolean eof;

    private Utf8Lines(InputStream in) {
        this.in = in;
    }

    /** Lines of {@code in} (not closed). */
    static Source of(InputStream in) {
        return new Utf8Lines(in)::next;
    }

    private String next() throws IOException {
        if (eof) return null;
        int len = 0;
        boolean any = false;
        while (true) {
            if (pos == lim) {
                lim = in.read(buf, 0, buf.length);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    eof = true;
                    if (!any) return null;
                    break;
                }
            }
            any = true;
            int start = pos;
            while (pos < lim && buf[pos] != '\n') pos++;
            int n = pos - start;
            if (len + n > line.length) line = Arrays.copyOf(line, Math.max(len + n, line.length * 2));
            System.arraycopy(buf, start, line, len, n);
            len += n;
            if (pos < lim) {
                pos++; // the '\n'
                break;
            }
        }
        if (len > 0 && line[len - 1] == '\r') len--;
        return decoder.decode(ByteBuffer.wrap(line, 0, len)).toString();
    }
}
