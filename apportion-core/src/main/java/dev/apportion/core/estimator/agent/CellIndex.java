package dev.apportion.core.estimator.agent;

import java.util.Arrays;

/**
 * Dense numbering of {@code long} keys (statistics cells, tree nodes, edges) without boxing:
 * the first key seen gets 0, the next new key 1, and so on. An open-addressing hash table
 * with linear probing. Not thread-safe; one instance per computation.
 */
public final class CellIndex {
    private long[] keys;
    private int[] ids;
    private int size;
    private int mask;

    /** An index sized for about {@code expected} distinct keys. */
    public CellIndex(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        ids = new int[cap];
        Arrays.fill(ids, -1);
        mask = cap - 1;
    }

    /** The number of the key, assigning the next number when it is new. */
    public int index(long key) {
        int slot = slot(key);
        while (ids[slot] >= 0) {
            if (keys[slot] == key) return ids[slot];
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ids[slot] = size;
        if (++size * 2 > keys.length) grow();
        return size - 1;
    }

    /** The number of the key, or -1 when it has none. */
    public int find(long key) {
        int slot = slot(key);
        while (ids[slot] >= 0) {
            if (keys[slot] == key) return ids[slot];
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /** Number of distinct keys. */
    public int size() {
        return size;
    }

    /** Packs two non-negative ints into one key. */
    public static long pack(int hi, int lo) {
        return ((long) hi << 32) | (lo & 0xffffffffL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldIds = ids;
        keys = new long[oldKeys.length * 2];
        ids = new int[oldIds.length * 2];
        Arrays.fill(ids, -1);
        mask = keys.length - 1;
        for (int s = 0; s < oldKeys.length; s++) {
            if (oldIds[s] < 0) continue;
            int slot = slot(oldKeys[s]);
            while (ids[slot] >= 0) slot = (slot + 1) & mask;
            keys[slot] = oldKeys[s];
            ids[slot] = oldIds[s];
        }
    }
}
