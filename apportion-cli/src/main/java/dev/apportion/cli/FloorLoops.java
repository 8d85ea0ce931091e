package dev.apportion.cli;

/**
 * Fused token loops of the {@link Floor} kernel: one loop per combination of read streams (up to
 * {@value #MAX_READS} float streams held as ints, and optionally one byte stream), written streams (up
 * to {@value #MAX_WRITES}) and direction. Each element of each read stream is loaded once and each
 * element of each written stream stored once, straight from and to the arrays (no staging buffer),
 * combined with bitwise OR; a backward loop walks its indices downwards. One method per arity, so
 * that the JIT sees a fixed set of arrays in each loop: a loop over a variable number of streams
 * cannot be one fused loop in Java, and staging through a buffer costs an extra load and store per
 * element (measured: about twice the time of the fused loop on 2·10⁶ tokens). {@link #runVector}
 * does the same for a pass that also reads one token vector (DelTA's hidden states): per token, the
 * vector's values in an inner loop beside the token's element of each other stream.
 */
final class FloorLoops {
    private FloorLoops() {}

    static final int MAX_READS = 4;
    static final int MAX_WRITES = 3;

    /** Whether {@link #run} has a fused loop for this many int reads, byte reads and writes. */
    static boolean supports(int reads, int byteReads, int writes) {
        return reads <= MAX_READS && byteReads <= 1 && writes <= MAX_WRITES;
    }

    /**
     * Tokens {@code [from, to)}: reads every element of {@code r} and {@code m} (when not null),
     * writes their OR (with {@code seed} when nothing is read) to every array of {@code w}; returns a
     * value depending on the reads (the OR of all of them when nothing is written, else the first and
     * last values written).
     */
    static int run(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        if (to <= from) return seed;
        switch (r.length * 8 + (m != null ? 4 : 0) + w.length) {
            case 0:
                return r0w0(r, m, w, from, to, seed, back);
            case 1:
                return r0w1(r, m, w, from, to, seed, back);
            case 2:
                return r0w2(r, m, w, from, to, seed, back);
            case 3:
                return r0w3(r, m, w, from, to, seed, back);
            case 4:
                return r0mw0(r, m, w, from, to, seed, back);
            case 5:
                return r0mw1(r, m, w, from, to, seed, back);
            case 6:
                return r0mw2(r, m, w, from, to, seed, back);
            case 7:
                return r0mw3(r, m, w, from, to, seed, back);
            case 8:
                return r1w0(r, m, w, from, to, seed, back);
            case 9:
                return r1w1(r, m, w, from, to, seed, back);
            case 10:
                return r1w2(r, m, w, from, to, seed, back);
            case 11:
                return r1w3(r, m, w, from, to, seed, back);
            case 12:
                return r1mw0(r, m, w, from, to, seed, back);
            case 13:
                return r1mw1(r, m, w, from, to, seed, back);
            case 14:
                return r1mw2(r, m, w, from, to, seed, back);
            case 15:
                return r1mw3(r, m, w, from, to, seed, back);
            case 16:
                return r2w0(r, m, w, from, to, seed, back);
            case 17:
                return r2w1(r, m, w, from, to, seed, back);
            case 18:
                return r2w2(r, m, w, from, to, seed, back);
            case 19:
                return r2w3(r, m, w, from, to, seed, back);
            case 20:
                return r2mw0(r, m, w, from, to, seed, back);
            case 21:
                return r2mw1(r, m, w, from, to, seed, back);
            case 22:
                return r2mw2(r, m, w, from, to, seed, back);
            case 23:
                return r2mw3(r, m, w, from, to, seed, back);
            case 24:
                return r3w0(r, m, w, from, to, seed, back);
            case 25:
                return r3w1(r, m, w, from, to, seed, back);
            case 26:
                return r3w2(r, m, w, from, to, seed, back);
            case 27:
                return r3w3(r, m, w, from, to, seed, back);
            case 28:
                return r3mw0(r, m, w, from, to, seed, back);
            case 29:
                return r3mw1(r, m, w, from, to, seed, back);
            case 30:
                return r3mw2(r, m, w, from, to, seed, back);
            case 31:
                return r3mw3(r, m, w, from, to, seed, back);
            case 32:
                return r4w0(r, m, w, from, to, seed, back);
            case 33:
                return r4w1(r, m, w, from, to, seed, back);
            case 34:
                return r4w2(r, m, w, from, to, seed, back);
            case 35:
                return r4w3(r, m, w, from, to, seed, back);
            case 36:
                return r4mw0(r, m, w, from, to, seed, back);
            case 37:
                return r4mw1(r, m, w, from, to, seed, back);
            case 38:
                return r4mw2(r, m, w, from, to, seed, back);
            case 39:
                return r4mw3(r, m, w, from, to, seed, back);
            default:
                throw new IllegalArgumentException(
                        "floor: no fused loop for " + r.length + " reads and " + w.length + " writes");
        }
    }

    private static int r0w0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= seed;
        else for (int j = from; j < to; j++) x |= seed;
        return x;
    }

    private static int r0w1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed;
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed;
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r0w2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed;
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed;
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r0w3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed;
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed;
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r0mw0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= seed | m[j];
        else for (int j = from; j < to; j++) x |= seed | m[j];
        return x;
    }

    private static int r0mw1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed | m[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed | m[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r0mw2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r0mw3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = seed | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = seed | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1w0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j];
        else for (int j = from; j < to; j++) x |= r0[j];
        return x;
    }

    private static int r1w1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1w2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1w3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1mw0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | m[j];
        else for (int j = from; j < to; j++) x |= r0[j] | m[j];
        return x;
    }

    private static int r1mw1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | m[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | m[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1mw2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r1mw3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2w0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j];
        return x;
    }

    private static int r2w1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2w2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2w3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2mw0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j] | m[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j] | m[j];
        return x;
    }

    private static int r2mw1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2mw2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r2mw3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3w0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j] | r2[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j] | r2[j];
        return x;
    }

    private static int r3w1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3w2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3w3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3mw0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j] | r2[j] | m[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j] | r2[j] | m[j];
        return x;
    }

    private static int r3mw1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3mw2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r3mw3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4w0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j] | r2[j] | r3[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j] | r2[j] | r3[j];
        return x;
    }

    private static int r4w1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4w2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4w3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4mw0(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int x = seed;
        if (back) for (int j = to - 1; j >= from; j--) x |= r0[j] | r1[j] | r2[j] | r3[j] | m[j];
        else for (int j = from; j < to; j++) x |= r0[j] | r1[j] | r2[j] | r3[j] | m[j];
        return x;
    }

    private static int r4mw1(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4mw2(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
                w1[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int r4mw3(int[][] r, byte[] m, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] r2 = r[2];
        int[] r3 = r[3];
        int[] w0 = w[0];
        int[] w1 = w[1];
        int[] w2 = w[2];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        } else {
            for (int j = from; j < to; j++) {
                int v = r0[j] | r1[j] | r2[j] | r3[j] | m[j];
                w0[j] = v;
                w1[j] = v;
                w2[j] = v;
            }
        }
        return w0[from] | w0[to - 1];
    }

    /** Float streams a fused loop with a token vector reads beside it (and one byte stream). */
    static final int MAX_VECTOR_READS = 2;

    /** Streams a fused loop with a token vector writes. */
    static final int MAX_VECTOR_WRITES = 2;

    /** Whether {@link #runVector} has a fused loop for one token vector plus these arities. */
    static boolean supportsVector(int vectors, int reads, int byteReads, int writes) {
        return vectors == 1 && reads <= MAX_VECTOR_READS && byteReads <= 1 && writes <= MAX_VECTOR_WRITES;
    }

    /**
     * Tokens {@code [from, to)} of a pass that also reads one token vector {@code v} ({@code width}
     * values per token, contiguous): per token, its {@code width} vector values (downwards in a
     * backward pass) and its element of each read stream, their OR stored to each written stream —
     * one fused loop, as an estimator's per-token dot product over the vector reads it. Returns
     * the OR of everything read when nothing is written, else the first and last values written.
     */
    static int runVector(int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        if (to <= from) return seed;
        switch ((r.length * 2 + (m != null ? 1 : 0)) * 3 + w.length) {
            case 0:
                return vr0w0(r, m, v, width, w, from, to, seed, back);
            case 1:
                return vr0w1(r, m, v, width, w, from, to, seed, back);
            case 2:
                return vr0w2(r, m, v, width, w, from, to, seed, back);
            case 3:
                return vr0mw0(r, m, v, width, w, from, to, seed, back);
            case 4:
                return vr0mw1(r, m, v, width, w, from, to, seed, back);
            case 5:
                return vr0mw2(r, m, v, width, w, from, to, seed, back);
            case 6:
                return vr1w0(r, m, v, width, w, from, to, seed, back);
            case 7:
                return vr1w1(r, m, v, width, w, from, to, seed, back);
            case 8:
                return vr1w2(r, m, v, width, w, from, to, seed, back);
            case 9:
                return vr1mw0(r, m, v, width, w, from, to, seed, back);
            case 10:
                return vr1mw1(r, m, v, width, w, from, to, seed, back);
            case 11:
                return vr1mw2(r, m, v, width, w, from, to, seed, back);
            case 12:
                return vr2w0(r, m, v, width, w, from, to, seed, back);
            case 13:
                return vr2w1(r, m, v, width, w, from, to, seed, back);
            case 14:
                return vr2w2(r, m, v, width, w, from, to, seed, back);
            case 15:
                return vr2mw0(r, m, v, width, w, from, to, seed, back);
            case 16:
                return vr2mw1(r, m, v, width, w, from, to, seed, back);
            case 17:
                return vr2mw2(r, m, v, width, w, from, to, seed, back);
            default:
                throw new IllegalArgumentException(
                        "floor: no fused vector loop for " + r.length + " reads and " + w.length + " writes");
        }
    }

    private static int vr0w0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = seed;
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = seed;
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr0w1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = seed;
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = seed;
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr0w2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = seed;
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = seed;
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr0mw0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr0mw1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr0mw2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr1w0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr1w1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr1w2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr1mw0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr1mw1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr1mw2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr2w0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr2w1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr2w2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr2mw0(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int acc = seed;
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                acc |= x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                acc |= x;
            }
        }
        return acc;
    }

    private static int vr2mw1(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }

    private static int vr2mw2(
            int[][] r, byte[] m, int[] v, int width, int[][] w, int from, int to, int seed, boolean back) {
        int[] r0 = r[0];
        int[] r1 = r[1];
        int[] w0 = w[0];
        int[] w1 = w[1];
        if (back) {
            for (int j = to - 1; j >= from; j--) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = width - 1; c >= 0; c--) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        } else {
            for (int j = from; j < to; j++) {
                int x = r0[j] | r1[j] | m[j];
                int b = j * width;
                for (int c = 0; c < width; c++) x |= v[b + c];
                w0[j] = x;
                w1[j] = x;
            }
        }
        return w0[from] | w0[to - 1];
    }
}
