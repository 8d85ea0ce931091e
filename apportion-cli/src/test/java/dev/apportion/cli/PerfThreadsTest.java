package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, "two threads never slower than one": work too small to split stays on the caller's
 * thread, and a real two-thread split gives the one-thread credit bit for bit. Runs every timed
 * estimator on the {@code perf --all} batches of every shape with a plain {@link
 * Execution#threads(int) two-thread execution} (not {@code splittingAll}): once just below
 * {@code 2·MIN_TOKENS_PER_CHUNK} tokens, once above it, so the thresholds themselves are crossed.
 */
class PerfThreadsTest {
    private static final long SEED = 42;

    /** Tokens of a batch just below the split threshold (2·65 536), rounded down to whole groups of every shape. */
    private static final long SMALL = 2L * Execution.MIN_TOKENS_PER_CHUNK - 32_768;

    /** Tokens of a batch above it: at least two token-weighted ranges on two threads. */
    private static final long LARGE = 5L * 32_768;

    @Test
    void batchesBelowTheThresholdHandNothingToThePool() {
        List<String> handed = new ArrayList<>();
        forEachRow(SMALL, (label, batch, e, p) -> {
            assertTrue(batch.tokenCount() < 2 * Execution.MIN_TOKENS_PER_CHUNK, label + ": batch below the threshold");
            try (Execution two = Execution.threads(2)) {
                e.assign(batch, p, two);
                if (two.handedOff() > 0) handed.add(label + " (" + two.handedOff() + " ranges)");
            }
        });
        assertEquals(List.of(), handed, "calls that split work below 2·MIN_TOKENS_PER_CHUNK tokens");
    }

    @Test
    void twoThreadsGiveTheOneThreadCreditBitForBitAboveTheThreshold() {
        List<String> differ = new ArrayList<>();
        TreeSet<String> split = new TreeSet<>();
        forEachRow(LARGE, (label, batch, e, p) -> {
            Credit one = e.assign(batch, p, Execution.sequential());
            try (Execution two = Execution.threads(2)) {
                Credit c = e.assign(batch, p, two);
                String why = difference(one, c);
                if (why != null) differ.add(label + ": " + why);
                if (two.handedOff() > 0) split.add(e.descriptor().id());
            }
        });
        assertEquals(List.of(), differ, "1 vs 2 threads");
        // the large batches really cross the thresholds: the shared kernels and a method of each package split
        for (String id : List.of("grpo", "gae", "reinforce_plus_plus", "gigpo", "pure", "mapo_turn", "matchtir", "a3"))
            assertTrue(split.contains(id), id + " handed work to the pool; split: " + split);
    }

    private interface Row {
        void run(String label, Rollouts batch, Estimator e, Params p);
    }

    private static void forEachRow(long tokens, Row row) {
        EstimatorRegistry registry = EstimatorRegistry.global();
        for (PerfSuite.Shape shape : PerfSuite.Shape.values()) {
            Map<Object, Rollouts> cache = new LinkedHashMap<>();
            for (Estimator e : PerfModes.timed(registry, null)) {
                Descriptor d = e.descriptor();
                SyntheticBatch.Spec spec = shape.spec(d, tokens, SEED);
                Object key = List.of(spec, SyntheticBatch.extrasFor(d));
                Rollouts batch = cache.get(key);
                if (batch == null) {
                    if (cache.size() >= 3)
                        cache.remove(cache.keySet().iterator().next());
                    batch = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
                    cache.put(key, batch);
                }
                row.run(d.id() + " on " + shape.wire, batch, e, Params.resolve(d, null, Map.of()));
            }
        }
    }

    /** Null when every array and diagnostic of {@code b} equals {@code a}'s bit for bit, else what differs. */
    static String difference(Credit a, Credit b) {
        String[] names = {"advantages", "returns", "span advantages", "loss weights", "clip scales"};
        float[][] x = {a.advantages(), a.returns(), a.spanAdvantages(), a.lossWeights(), a.clipScales()};
        float[][] y = {b.advantages(), b.returns(), b.spanAdvantages(), b.lossWeights(), b.clipScales()};
        for (int k = 0; k < names.length; k++) {
            if ((x[k] == null) != (y[k] == null)) return names[k] + " present in one only";
            if (x[k] == null) continue;
            if (x[k].length != y[k].length) return names[k] + " length";
            for (int i = 0; i < x[k].length; i++) {
                if (Float.floatToIntBits(x[k][i]) != Float.floatToIntBits(y[k][i]))
                    return names[k] + "[" + i + "] " + x[k][i] + " vs " + y[k][i];
            }
        }
        Map<String, Double> da = a.diagnostics();
        Map<String, Double> db = b.diagnostics();
        if (!da.keySet().equals(db.keySet())) return "diagnostic names " + da.keySet() + " vs " + db.keySet();
        for (String n : da.keySet()) {
            if (Double.doubleToLongBits(da.get(n)) != Double.doubleToLongBits(db.get(n)))
                return "diagnostic " + n + " " + da.get(n) + " vs " + db.get(n);
        }
        return null;
    }
}
