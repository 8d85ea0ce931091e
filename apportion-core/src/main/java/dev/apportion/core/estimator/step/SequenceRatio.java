package dev.apportion.core.estimator.step;

import java.util.Arrays;

/**
 * The similarity ratio of Python's {@code difflib.SequenceMatcher(None, a, b).ratio()},
 * reproduced bit for bit, so that similarity-based anchor-state grouping (GiGPO's
 * {@code enable_similarity}) partitions states exactly as the reference does.
 *
 * <h2>Definition</h2>
 * {@code ratio = 2·M / (|a| + |b|)} (1.0 when both are empty), where {@code M} is the total
 * size of the matching blocks found by the Ratcliff–Obershelp procedure of difflib: take the
 * longest common block of the current ranges (ties: smallest start in {@code a}, then in
 * {@code b}), then recurse on the parts left and right of it. Elements are Unicode code points,
 * as Python strings are (not UTF-16 units). The details that change the number:
 * <ul>
 *   <li><b>Auto-junk.</b> When {@code |b| ≥ 200}, every element occurring more than
 *       {@code |b|/100 + 1} times in {@code b} ("popular") cannot start or continue a block
 *       during the search; the block found is then stretched over equal neighbours on both
 *       sides, popular or not. With {@code |b| < 200} nothing is junk.</li>
 *   <li><b>Asymmetry.</b> The heuristic is applied to {@code b} only, so
 *       {@code ratio(a, b)} may differ from {@code ratio(b, a)}.</li>
 * </ul>
 * {@link #quickRatio} (multiset intersection) and {@link #realQuickRatio}
 * ({@code 2·min(|a|,|b|)/(|a|+|b|)}) are difflib's cheap upper bounds of the ratio;
 * {@link Matcher#atLeast} uses them to skip the full computation when it cannot reach the
 * threshold, which never changes the answer.
 *
 * <p>Thread-safety: {@link Target} is immutable and may be shared; a {@link Matcher} holds
 * reusable work arrays and must be confined to one thread. The static methods allocate a
 * fresh matcher and are thread-safe.
 */
public final class SequenceRatio {
    /** Python's auto-junk threshold on {@code len(b)}. */
    static final int AUTOJUNK_MIN_LENGTH = 200;

    private SequenceRatio() {}

    /** {@code SequenceMatcher(None, a, b).ratio()}. */
    public static double ratio(String a, String b) {
        return new Matcher().ratio(a, Target.of(b));
    }

    /** {@code SequenceMatcher(None, a, b).quick_ratio()}: an upper bound of {@link #ratio}. */
    public static double quickRatio(String a, String b) {
        return new Matcher().quickRatio(a, Target.of(b));
    }

    /** {@code SequenceMatcher(None, a, b).real_quick_ratio()}: an upper bound of {@link #quickRatio}. */
    public static double realQuickRatio(String a, String b) {
        int la = a.codePointCount(0, a.length());
        int lb = b.codePointCount(0, b.length());
        return fraction(Math.min(la, lb), la + lb);
    }

    /** difflib's {@code _calculate_ratio}: {@code 2.0 * matches / length}, 1.0 for length 0. */
    static double fraction(int matches, int length) {
        return length == 0 ? 1.0 : 2.0 * matches / length;
    }

    /**
     * The right-hand sequence {@code b} prepared once (difflib's {@code b2j} and
     * {@code fullbcount}), for comparing many strings against the same representative.
     * Immutable.
     */
    public static final class Target {
        final String text;
        final int[] seq;
        /** Distinct code points of {@code b}, ascending. */
        final int[] elems;
        /** Positions of {@code elems[e]} are {@code positions[start[e] .. start[e+1])}, ascending. */
        final int[] start;

        final int[] positions;
        /** True for elements removed from {@code b2j} by the auto-junk heuristic. */
        final boolean[] popular;

        private Target(String text) {
            this.text = text;
            this.seq = text.codePoints().toArray();
            int n = seq.length;
            long[] packed = new long[n];
            for (int p = 0; p < n; p++) packed[p] = ((long) seq[p] << 32) | p;
            Arrays.sort(packed);
            int distinct = 0;
            for (int p = 0; p < n; p++) {
                if (p == 0 || (int) (packed[p] >>> 32) != (int) (packed[p - 1] >>> 32)) distinct++;
            }
            elems = new int[distinct];
            start = new int[distinct + 1];
            positions = new int[n];
            int e = -1;
            for (int p = 0; p < n; p++) {
                int cp = (int) (packed[p] >>> 32);
                if (e < 0 || elems[e] != cp) {
                    elems[++e] = cp;
                    start[e] = p;
                }
                positions[p] = (int) packed[p];
            }
            start[distinct] = n;
            popular = new boolean[distinct];
            if (n >= AUTOJUNK_MIN_LENGTH) {
                int ntest = n / 100 + 1;
                for (int k = 0; k < distinct; k++) popular[k] = start[k + 1] - start[k] > ntest;
            }
        }

        /** Prepares {@code b}. */
        public static Target of(String b) {
            return new Target(b);
        }

        /** The string this target was made from. */
        public String text() {
            return text;
        }

        /** Number of code points. */
        public int length() {
            return seq.length;
        }

        int indexOf(int cp) {
            return Arrays.binarySearch(elems, cp);
        }
    }

    /**
     * Reusable work arrays for ratio computations. Not thread-safe: one per thread.
     */
    public static final class Matcher {
        private int[] a = new int[16];
        private int[] aElem = new int[16];
        private int la;
        private int[] lenA = new int[17];
        private int[] lenB = new int[17];
        private int[] stampA = new int[17];
        private int[] stampB = new int[17];
        private int stamp;
        private int[] stack = new int[64];
        private int[] avail = new int[16];
        // result of findLongestMatch
        private int mi;
        private int mj;
        private int mk;

        /** {@code SequenceMatcher(None, a, b.text()).ratio()}. */
        public double ratio(String a, Target b) {
            load(a, b);
            return fraction(matches(b), la + b.seq.length);
        }

        /** {@code SequenceMatcher(None, a, b.text()).quick_ratio()}. */
        public double quickRatio(String a, Target b) {
            load(a, b);
            return fraction(intersection(b), la + b.seq.length);
        }

        /**
         * True when {@code ratio(a, b) >= threshold}, checking difflib's cheap upper bounds
         * first (identical strings have ratio 1).
         */
        public boolean atLeast(String a, Target b, double threshold) {
            if (a.equals(b.text)) return 1.0 >= threshold;
            int la0 = a.codePointCount(0, a.length());
            int lb = b.seq.length;
            if (fraction(Math.min(la0, lb), la0 + lb) < threshold) return false;
            load(a, b);
            if (fraction(intersection(b), la + lb) < threshold) return false;
            return fraction(matches(b), la + lb) >= threshold;
        }

        private void load(String s, Target b) {
            int n = s.codePointCount(0, s.length());
            if (a.length < n) {
                a = new int[Math.max(n, a.length * 2)];
                aElem = new int[a.length];
            }
            int k = 0;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                a[k] = cp;
                aElem[k] = b.indexOf(cp);
                k++;
                i += Character.charCount(cp);
            }
            la = n;
            int need = b.seq.length + 1;
            if (lenA.length < need) {
                int cap = Math.max(need, lenA.length * 2);
                lenA = new int[cap];
                lenB = new int[cap];
                stampA = new int[cap];
                stampB = new int[cap];
                stamp = 0;
            }
        }

        /** Size of the multiset intersection of a and b (quick_ratio's count). */
        private int intersection(Target b) {
            int d = b.elems.length;
            if (avail.length < d) avail = new int[Math.max(d, avail.length * 2)];
            for (int e = 0; e < d; e++) avail[e] = b.start[e + 1] - b.start[e];
            int m = 0;
            for (int i = 0; i < la; i++) {
                int e = aElem[i];
                if (e >= 0 && avail[e] > 0) {
                    avail[e]--;
                    m++;
                }
            }
            return m;
        }

        /** Total size of difflib's matching blocks of a and b. */
        private int matches(Target b) {
            int lb = b.seq.length;
            int total = 0;
            int sp = 0;
            stack[sp++] = 0;
            stack[sp++] = la;
            stack[sp++] = 0;
            stack[sp++] = lb;
            while (sp > 0) {
                int bhi = stack[--sp];
                int blo = stack[--sp];
                int ahi = stack[--sp];
                int alo = stack[--sp];
                findLongestMatch(b, alo, ahi, blo, bhi);
                int i = mi;
                int j = mj;
                int k = mk;
                if (k > 0) {
                    total += k;
                    if (alo < i && blo < j) sp = push(sp, alo, i, blo, j);
                    if (i + k < ahi && j + k < bhi) sp = push(sp, i + k, ahi, j + k, bhi);
                }
            }
            return total;
        }

        private int push(int sp, int alo, int ahi, int blo, int bhi) {
            if (stack.length < sp + 4) stack = Arrays.copyOf(stack, stack.length * 2);
            stack[sp++] = alo;
            stack[sp++] = ahi;
            stack[sp++] = blo;
            stack[sp++] = bhi;
            return sp;
        }

        private int nextStamp() {
            if (stamp == Integer.MAX_VALUE) {
                Arrays.fill(stampA, 0);
                Arrays.fill(stampB, 0);
                stamp = 0;
            }
            return ++stamp;
        }

        /**
         * difflib's {@code find_longest_match(alo, ahi, blo, bhi)} with no junk function:
         * the row-by-row dictionary {@code j2len} becomes two stamped arrays indexed by
         * {@code j + 1}. Sets {@code mi, mj, mk}.
         */
        private void findLongestMatch(Target t, int alo, int ahi, int blo, int bhi) {
            int[] bseq = t.seq;
            int besti = alo;
            int bestj = blo;
            int bestsize = 0;
            int[] prevLen = lenA;
            int[] prevStamp = stampA;
            int[] curLen = lenB;
            int[] curStamp = stampB;
            int prev = nextStamp(); // no entry carries it yet: the empty row before alo
            for (int i = alo; i < ahi; i++) {
                int cur = nextStamp();
                int e = aElem[i];
                if (e >= 0 && !t.popular[e]) {
                    int to = t.start[e + 1];
                    int p = lowerBound(t.positions, t.start[e], to, blo);
                    for (; p < to; p++) {
                        int j = t.positions[p];
                        if (j >= bhi) break;
                        int k = (prevStamp[j] == prev ? prevLen[j] : 0) + 1;
                        curLen[j + 1] = k;
                        curStamp[j + 1] = cur;
                        if (k > bestsize) {
                            besti = i - k + 1;
                            bestj = j - k + 1;
                            bestsize = k;
                        }
                    }
                }
                int[] tl = prevLen;
                prevLen = curLen;
                curLen = tl;
                int[] ts = prevStamp;
                prevStamp = curStamp;
                curStamp = ts;
                prev = cur;
            }
            int[] av = a;
            // stretch over equal neighbours (no element of b is junk without a junk function,
            // so popular elements are included here)
            while (besti > alo && bestj > blo && av[besti - 1] == bseq[bestj - 1]) {
                besti--;
                bestj--;
                bestsize++;
            }
            while (besti + bestsize < ahi && bestj + bestsize < bhi && av[besti + bestsize] == bseq[bestj + bestsize]) {
                bestsize++;
            }
            mi = besti;
            mj = bestj;
            mk = bestsize;
        }

        private static int lowerBound(int[] a, int from, int to, int key) {
            int lo = from;
            int hi = to;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (a[mid] < key) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }
    }
}
