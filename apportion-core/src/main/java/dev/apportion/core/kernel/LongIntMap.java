package dev.apportion.core.kernel;

import java.util.Arrays;

/**
 * An open-addressing hash map from {@code long} keys to {@code int} values without boxing, for
 * keys built from several integers (for example a group and a node id). Not thread-safe.
 */
public final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private int[] values;
    private int size;

    /** A map sized for about {@code expected} entries. */
    public LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, 2 * expected - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
    }

    /** Number of entries. */
    /** Removes every entry; the capacity stays (a map reused per group allocates nothing). */
    public void clear() {
        if (size > 0) Arrays.fill(keys, EMPTY);
        size = 0;
    }

    public int size() {
        return size;
    }

    /**
     * The value of {@code key}, or {@code missing} when absent.
     *
     * @param key any value but {@link Long#MIN_VALUE}
     */
    public int get(long key, int missing) {
        int mask = keys.length - 1;
        for (int h = slot(key, mask); ; h = (h + 1) & mask) {
            long k = keys[h];
            if (k == key) return values[h];
            if (k == EMPTY) return missing;
        }
    }

    /**
     * Sets the value of {@code key}.
     *
     * @param key any value but {@link Long#MIN_VALUE}
     */
    public void put(long key, int value) {
        if (key == EMPTY) throw new IllegalArgumentException("key Long.MIN_VALUE is reserved");
        if (2 * (size + 1) > keys.length) grow();
        int mask = keys.length - 1;
        int h = slot(key, mask);
        while (keys[h] != EMPTY && keys[h] != key) h = (h + 1) & mask;
        if (keys[h] == EMPTY) size++;
        keys[h] = key;
        values[h] = value;
    }

    private static int slot(long key, int mask) {
        long x = key * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[2 * oldKeys.length];
        values = new int[2 * oldKeys.length];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) if (oldKeys[i] != EMPTY) put(oldKeys[i], oldValues[i]);
    }
}
