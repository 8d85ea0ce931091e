package dev.apportion.core.estimator.turn;

import java.util.ArrayList;
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
     * {@link #bash} of the concatenation of {@code tokenText[from, to)} (null entries skipped),
     * without joining more tokens than needed: the tokens are appended one by one and the tags
     * looked for in the new text only (from where a tag could start that ends in it), so the
     * first opening tag and the nearest closing tag after it are found exactly where
     * {@link #bash} finds them in the whole text; the rest of the response is never read. Without
     * a complete block the whole text goes through {@link #bash}.
     *
     * @param sb scratch, overwritten
     */
    static String bash(String[] tokenText, int from, int to, StringBuilder sb) {
        sb.setLength(0);
        int open = -1;
        for (int q = from; q < to; q++) {
            String tok = tokenText[q];
            if (tok == null) continue;
            int prev = sb.length();
            sb.append(tok);
            if (open < 0) {
                open = indexOfIgnoreCase(sb, OPEN, Math.max(0, prev - OPEN.length() + 1));
                if (open < 0) continue;
            }
            int close = indexOfIgnoreCase(sb, CLOSE, Math.max(open + OPEN.length(), prev - CLOSE.length() + 1));
            if (close >= 0) return strip(sb.substring(open + OPEN.length(), close));
        }
        return bash(sb.toString());
    }

    /** {@link #indexOfIgnoreCase(String, String, int)} over a builder. */
    private static int indexOfIgnoreCase(StringBuilder text, String ascii, int from) {
        int n = ascii.length();
        String first = ascii.substring(0, 1);
        for (int p = text.indexOf(first, from); p >= 0 && p + n <= text.length(); p = text.indexOf(first, p + 1)) {
            int j = 0;
            while (j < n && text.charAt(p + j) == ascii.charAt(j)) j++; // the common case: same case
            if (j == n || text.substring(p, p + n).regionMatches(true, 0, ascii, 0, n)) return p;
        }
        return -1;
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
