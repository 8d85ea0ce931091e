package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EditDistanceTest {
    /** The textbook dynamic programme over the whole table, the definition the fast paths must match. */
    private static int plain(int[] a, int[] b) {
        int[][] d = new int[a.length + 1][b.length + 1];
        for (int i = 0; i <= a.length; i++) d[i][0] = i;
        for (int j = 0; j <= b.length; j++) d[0][j] = j;
        for (int i = 1; i <= a.length; i++) {
            for (int j = 1; j <= b.length; j++) {
                int sub = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                d[i][j] = Math.min(sub, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
            }
        }
        return d[a.length][b.length];
    }

    private static int[] random(SplittableRandom r, int length, int alphabet) {
        int[] s = new int[length];
        for (int i = 0; i < length; i++) s[i] = r.nextInt(alphabet);
        return s;
    }

    /** A copy of {@code s} with a few random edits, so that pairs share prefixes, suffixes and runs. */
    private static int[] mutate(SplittableRandom r, int[] s, int alphabet) {
        int[] out = s.clone();
        int edits = r.nextInt(4);
        for (int e = 0; e < edits && out.length > 0; e++) {
            int p = r.nextInt(out.length);
            switch (r.nextInt(3)) {
                case 0 -> out[p] = r.nextInt(alphabet);
                case 1 -> {
                    int[] x = new int[out.length - 1];
                    System.arraycopy(out, 0, x, 0, p);
                    System.arraycopy(out, p + 1, x, p, out.length - p - 1);
                    out = x;
                }
                default -> {
                    int[] x = new int[out.length + 1];
                    System.arraycopy(out, 0, x, 0, p);
                    x[p] = r.nextInt(alphabet);
                    System.arraycopy(out, p, x, p + 1, out.length - p);
                    out = x;
                }
            }
        }
        return out;
    }

    @Test
    void matchesTheDynamicProgrammeOnRandomSequences() {
        SplittableRandom r = new SplittableRandom(7);
        EditDistance ed = new EditDistance();
        int[] lengths = {0, 1, 2, 5, 31, 63, 64, 65, 66, 100, 130};
        for (int trial = 0; trial < 3000; trial++) {
            int alphabet = 1 + r.nextInt(trial % 3 == 0 ? 3 : 300);
            int[] a = random(r, lengths[r.nextInt(lengths.length)] + r.nextInt(3), alphabet);
            int[] b =
                    r.nextBoolean() ? mutate(r, a, alphabet) : random(r, lengths[r.nextInt(lengths.length)], alphabet);
            int want = plain(a, b);
            assertEquals(
                    want,
                    ed.distance(a, b),
                    () -> "a=" + java.util.Arrays.toString(a) + " b=" + java.util.Arrays.toString(b));
            assertEquals(want, ed.distance(b, a));
        }
    }

    /** Runs of one shared array (as a3's signature pool passes them) give the distance of the copied runs. */
    @Test
    void runsOfOneArrayMatchTheDynamicProgramme() {
        SplittableRandom r = new SplittableRandom(11);
        EditDistance ed = new EditDistance();
        for (int trial = 0; trial < 2000; trial++) {
            int alphabet = 1 + r.nextInt(trial % 2 == 0 ? 3 : 200);
            int[] a = random(r, r.nextInt(90), alphabet);
            int[] b = r.nextBoolean() ? mutate(r, a, alphabet) : random(r, r.nextInt(90), alphabet);
            int lead = r.nextInt(5);
            int gap = r.nextInt(5);
            int[] pool = new int[lead + a.length + gap + b.length + r.nextInt(5)];
            for (int i = 0; i < pool.length; i++) pool[i] = r.nextInt(alphabet); // neighbours must not be read
            System.arraycopy(a, 0, pool, lead, a.length);
            int bs = lead + a.length + gap;
            System.arraycopy(b, 0, pool, bs, b.length);
            int want = plain(a, b);
            assertEquals(want, ed.distance(pool, lead, lead + a.length, pool, bs, bs + b.length), "trial " + trial);
            assertEquals(want, ed.distance(pool, bs, bs + b.length, pool, lead, lead + a.length), "trial " + trial);
        }
    }

    @Test
    void edgeCases() {
        EditDistance ed = new EditDistance();
        assertEquals(0, ed.distance(new int[0], new int[0]));
        assertEquals(3, ed.distance(new int[0], new int[] {1, 2, 3}));
        assertEquals(3, ed.distance(new int[] {0, 1, 2}, new int[] {1, 2, 3, 4}));
        int[] long1 = new int[200];
        int[] long2 = new int[200];
        for (int i = 0; i < 200; i++) {
            long1[i] = i % 7;
            long2[i] = (i * 3) % 11;
        }
        assertEquals(plain(long1, long2), ed.distance(long1, long2));
        // symbols far above the scratch size
        assertEquals(1, ed.distance(new int[] {5000, 7}, new int[] {5000, 8}));
        assertEquals(2, ed.distance(new int[] {5000, 9000}, new int[] {9000, 5000}));
    }
}
