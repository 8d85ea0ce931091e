package dev.apportion.core.estimator.turn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text helpers of {@link A3Estimator}, written to match the Python reference character for
 * character: the bash command of a model response, Python's notion of whitespace, the
 * whitespace-split intent signature and the normalized token-level Levenshtein distance.
 */
final class A3Text {
    /** The reference keeps at most this many characters (code points) of a response without a code block. */
    static final int MAX_PLAIN_CHARS = 8192;

    private static final String OPEN = "<code>";
    private static final String CLOSE = "</code>";

    private A3Text() {}

    /** Slot hash of an interning table (open addressing, linear probing, 0 = empty, else id + 1). */
    static int mix(int h) {
        int x = h * 0x9E3779B9;
        return x ^ (x >>> 16);
    }

    /** An interning table of twice {@code length} slots holding ids {@code 0 … count-1} with their {@code hashes}. */
    static int[] grownTable(int length, int[] hashes, int count) {
        int[] t = new int[2 * length];
        int mask = t.length - 1;
        for (int id = 0; id < count; id++) {
            int slot = mix(hashes[id]) & mask;
            while (t[slot] != 0) slot = (slot + 1) & mask;
            t[slot] = id + 1;
        }
        return t;
    }

    /**
     * The bash command of a response: the content of the first {@code <code>…</code>} block
     * (tags matched case-insensitively, the nearest closing tag after the first opening tag),
     * stripped of surrounding whitespace; without such a block the whole response stripped and
     * cut to 8192 code points. Equivalent to the reference's
     * {@code re.search(r"<code>\s*([\s\S]*?)\s*</code>", text, re.IGNORECASE)} followed by
     * {@code strip()}.
     */
    static String bash(String text) {
        int open = indexOfIgnoreCase(text, OPEN, 0);
        if (open >= 0) {
            int close = indexOfIgnoreCase(text, CLOSE, open + OPEN.length());
            if (close >= 0) return strip(text.substring(open + OPEN.length(), close));
        }
        String s = strip(text);
        if (s.codePointCount(0, s.length()) > MAX_PLAIN_CHARS)
            s = s.substring(0, s.offsetByCodePoints(0, MAX_PLAIN_CHARS));
        return s;
    }

    /**
     * {@link #bash} of the concatenation of {@code tokenText[from, to)} (null entries skipped), found by
     * a {@link Scanner} (see there).
     *
     * @param scanner scratch, overwritten
     */
    static String bash(String[] tokenText, int from, int to, Scanner scanner) {
        scanner.scan(tokenText, from, to);
        return scanner.bash();
    }

    /**
     * Finds the bash of a response given as tokens without building strings: the tokens' characters
     * are copied one token at a time into a reusable buffer and the tags are looked for in the new
     * characters only (from where a tag could start that ends in them), so the first opening tag and
     * the nearest closing tag after it are found exactly where {@link #bash(String)} finds them in the
     * whole text, and the rest of the response is never read. Without a complete block the whole text
     * is stripped and cut as there. Tags match ignoring ASCII case, as {@code regionMatches(true, …)}
     * does for these tags (no other character upper- or lower-cases to {@code <}, {@code /}, {@code >},
     * {@code c}, {@code o}, {@code d} or {@code e}). Stripping by {@code char} equals stripping by code
     * point: every Python whitespace character is in the BMP and no surrogate is whitespace.
     *
     * <p>Not thread-safe: one per thread.
     */
    static final class Scanner {
        private char[] buf = new char[256];
        private int len;
        private int start;
        private int end;

        /** Scans {@code tokenText[from, to)}; afterwards {@code chars()[start(), end())} holds the bash. */
        void scan(String[] tokenText, int from, int to) {
            len = 0;
            int open = -1;
            int lastLt = -1; // index of the last '<' in buf: a tag can start nowhere else
            for (int q = from; q < to; q++) {
                String tok = tokenText[q];
                if (tok == null) continue;
                int prev = len;
                int n = tok.length();
                if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(len + n, 2 * buf.length));
                tok.getChars(0, n, buf, len);
                len += n;
                int lt = tok.lastIndexOf('<');
                if (lt >= 0) lastLt = prev + lt;
                if (open < 0) {
                    int at = Math.max(0, prev - OPEN.length() + 1);
                    if (lastLt < at) continue; // no '<' where the tag could start
                    open = find(OPEN, at);
                    if (open < 0) continue;
                }
                int at = Math.max(open + OPEN.length(), prev - CLOSE.length() + 1);
                if (lastLt < at) continue;
                int close = find(CLOSE, at);
                if (close >= 0) {
                    start = open + OPEN.length();
                    end = close;
                    strip();
                    return;
                }
            }
            start = 0;
            end = len;
            strip();
            if (end - start > MAX_PLAIN_CHARS && Character.codePointCount(buf, start, end - start) > MAX_PLAIN_CHARS)
                end = Character.offsetByCodePoints(buf, 0, len, start, MAX_PLAIN_CHARS);
        }

        /** First index {@code >= from} where {@code tag} matches ignoring ASCII case, or −1. */
        private int find(String tag, int from) {
            int n = tag.length();
            for (int p = from; p + n <= len; p++) {
                if (buf[p] != '<') continue;
                int j = 1;
                while (j < n && sameIgnoringCase(buf[p + j], tag.charAt(j))) j++;
                if (j == n) return p;
            }
            return -1;
        }

        /** ASCII case-insensitive equality of {@code c} with a tag character (a lower-case letter, '/' or '>'). */
        private static boolean sameIgnoringCase(char c, char tagChar) {
            return c == tagChar || (tagChar >= 'a' && tagChar <= 'z' && c == tagChar - 32);
        }

        private void strip() {
            while (start < end && isPythonSpace(buf[start])) start++;
            while (end > start && isPythonSpace(buf[end - 1])) end--;
        }

        char[] chars() {
            return buf;
        }

        int start() {
            return start;
        }

        int end() {
            return end;
        }

        /** The bash found by the last {@link #scan}, as a string. */
        String bash() {
            return new String(buf, start, end - start);
        }
    }

    /**
     * Dense ids of whitespace-split words ({@link #whitespaceSplit}) interned by content, read straight
     * from a character range: no string per word. Ids count from 0 in order of first appearance since
     * the last {@link #clear}. Not thread-safe: one per thread.
     */
    static final class WordIds {
        /** Open addressing: id + 1 of the word in each slot, 0 when empty. */
        private int[] table = new int[64];

        private char[] pool = new char[512];
        /** Word w is {@code pool[wordStart[w], wordStart[w + 1])}. */
        private int[] wordStart = new int[33];

        private int[] wordHash = new int[32];
        private int count;
        private int[] out = new int[16];

        /** Forgets every word. */
        void clear() {
            if (count > 0) Arrays.fill(table, 0);
            count = 0;
        }

        /**
         * Splits {@code s[from, to)} into whitespace-separated words: their ids, in order, are
         * {@code ids()[0, n)}, {@code n} returned (valid until the next call).
         */
        int split(char[] s, int from, int to) {
            int n = 0;
            int i = from;
            while (i < to) {
                while (i < to && isPythonSpace(s[i])) i++;
                int a = i;
                while (i < to && !isPythonSpace(s[i])) i++;
                if (i > a) {
                    if (n == out.length) out = Arrays.copyOf(out, 2 * n);
                    out[n++] = id(s, a, i);
                }
            }
            return n;
        }

        /** The buffer {@link #split} writes. */
        int[] ids() {
            return out;
        }

        /** The id of the word {@code s[a, b)} (any characters, possibly none). */
        int id(char[] s, int a, int b) {
            int h = 0;
            for (int i = a; i < b; i++) h = 31 * h + s[i];
            int mask = table.length - 1;
            int slot = mix(h) & mask;
            while (true) {
                int e = table[slot];
                if (e == 0) break;
                int w = e - 1;
                if (wordHash[w] == h && Arrays.equals(pool, wordStart[w], wordStart[w + 1], s, a, b)) return w;
                slot = (slot + 1) & mask;
            }
            int w = count++;
            if (w + 1 >= wordHash.length) {
                wordHash = Arrays.copyOf(wordHash, 2 * wordHash.length);
                wordStart = Arrays.copyOf(wordStart, wordHash.length + 1);
            }
            int at = wordStart[w]; // wordStart[0] is always 0
            if (at + (b - a) > pool.length) pool = Arrays.copyOf(pool, Math.max(at + (b - a), 2 * pool.length));
            System.arraycopy(s, a, pool, at, b - a);
            wordStart[w + 1] = at + (b - a);
            wordHash[w] = h;
            table[slot] = w + 1;
            if (2 * count > table.length) rehash();
            return w;
        }

        private void rehash() {
            table = grownTable(table.length, wordHash, count);
        }
    }

    private static int indexOfIgnoreCase(String text, String ascii, int from) {
        int n = ascii.length();
        // the first character of both tags is '<', which no other character equals ignoring case
        char first = ascii.charAt(0);
        for (int p = text.indexOf(first, from); p >= 0 && p + n <= text.length(); p = text.indexOf(first, p + 1)) {
            if (text.regionMatches(true, p, ascii, 0, n)) return p;
        }
        return -1;
    }

    /**
     * True for the characters Python's {@code str.isspace()} accepts (and that {@code \s},
     * {@code str.split()} and {@code str.strip()} use): ASCII tab..carriage return, the
     * information separators U+001C..U+001F, space, NEL, no-break space and the other Unicode
     * space and line/paragraph separators.
     */
    static boolean isPythonSpace(int cp) {
        if (cp > 0x20 && cp < 0x85) return false; // the common case: printable ASCII
        if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
        switch (cp) {
            case 0x85:
            case 0xA0:
            case 0x1680:
            case 0x2028:
            case 0x2029:
            case 0x202F:
            case 0x205F:
            case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    /** Python's {@code s.strip()}. */
    static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b) {
            int cp = s.codePointAt(a);
            if (!isPythonSpace(cp)) break;
            a += Character.charCount(cp);
        }
        while (b > a) {
            int cp = s.codePointBefore(b);
            if (!isPythonSpace(cp)) break;
            b -= Character.charCount(cp);
        }
        return s.substring(a, b);
    }

    /** Python's {@code s.split()}: the runs of non-whitespace, no empty tokens. */
    static String[] whitespaceSplit(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isPythonSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            int start = i;
            while (i < n && !isPythonSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            if (i > start) out.add(s.substring(start, i));
        }
        return out.toArray(new String[0]);
    }

    /**
     * The reference's intent distance of two signatures: token-level Levenshtein distance (unit
     * insert, delete and substitute costs) divided by {@code max(|a|, |b|, 1)}.
     */
    static double distance(String[] a, String[] b) {
        return levenshtein(a, b) / (double) Math.max(Math.max(a.length, b.length), 1);
    }

    static int levenshtein(String[] a, String[] b) {
        if (a.length == 0) return b.length;
        if (b.length == 0) return a.length;
        int[] prev = new int[b.length + 1];
        int[] cur = new int[b.length + 1];
        for (int j = 0; j <= b.length; j++) prev[j] = j;
        for (int i = 1; i <= a.length; i++) {
            cur[0] = i;
            String ai = a[i - 1];
            for (int j = 1; j <= b.length; j++) {
                int cost = ai.equals(b[j - 1]) ? 0 : 1;
                cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }
}
