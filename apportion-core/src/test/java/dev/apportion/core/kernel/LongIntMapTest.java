package dev.apportion.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link LongIntMap} against {@link HashMap} through growth and {@link LongIntMap#clear()}. */
class LongIntMapTest {
    @Test
    void matchesAHashMapAcrossGrowthAndClear() {
        SplittableRandom rnd = new SplittableRandom(7);
        LongIntMap map = new LongIntMap(4);
        for (int round = 0; round < 5; round++) {
            Map<Long, Integer> want = new HashMap<>();
            int puts = 50 + round * 300;
            for (int k = 0; k < puts; k++) {
                // packed pairs of small ids, as a3's distance cache uses them, plus arbitrary keys
                long key = rnd.nextBoolean()
                        ? ((long) rnd.nextInt(40) << 32) | rnd.nextInt(40)
                        : rnd.nextLong(Long.MIN_VALUE + 1, Long.MAX_VALUE);
                int value = rnd.nextInt(1000);
                map.put(key, value);
                want.put(key, value);
            }
            assertEquals(want.size(), map.size(), "size, round " + round);
            for (Map.Entry<Long, Integer> e : want.entrySet())
                assertEquals(e.getValue(), map.get(e.getKey(), -1), "key " + e.getKey());
            for (int q = 0; q < 200; q++) {
                long key = rnd.nextLong();
                assertEquals(want.getOrDefault(key, -1), map.get(key, -1), "absent key " + key);
            }
            map.clear();
            assertEquals(0, map.size(), "cleared");
            for (long key : want.keySet()) assertEquals(-1, map.get(key, -1), "cleared key " + key);
        }
    }
}
