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
        // the large batches really cross the thresholds of normal passes: a method of each package splits
        // (estimators whose only split is a broadcast, e.g. grpo, mapo_turn, matchtir, are light: next test)
        for (String id : List.of("gae", "reinforce_plus_plus", "pure", "a3"))
            assertTrue(split.contains(id), id + " handed work to the pool; split: " + split);
        // per-span work (Execution.Cost.SPAN) splits on the estimated work of the spans, not the tokens:
        // a few thousand spans are well under one hand-off's worth
        for (String id : List.of("gigpo", "pure_reward"))
            assertTrue(!split.contains(id), id + " works per span: nothing to split at " + LARGE + " tokens");
        for (String id : LIGHT_ONLY)
            assertTrue(!split.contains(id), id + " is light: nothing to split at " + LARGE + " tokens");
    }

    /**
     * Estimators whose only split site is a light pass ({@link Execution.Cost#LIGHT}: {@code
     * Broadcast.trajectories}, {@code TokenCredit.broadcast}, {@code TurnTable.broadcast}, {@code
     * TurnBoundaries.broadcast}, {@code StepTokens.write}, {@code PaperSteps.broadcast(All)}, {@code
     * FGrpo}'s span fill).
     */
    private static final List<String> LIGHT_ONLY = List.of(
            "grpo",
            "dr_grpo",
            "a_grae",
            "adora_vl",
            "c3",
            "calm",
            "pbsd",
            "mapo_turn",
            "matchtir",
            "scrl",
            "f_grpo",
            "opo",
            "gdpo",
            "duration_aware");

    /**
     * Light passes: the {@code perf --all} multi-agent batch (2·10⁶ tokens, 16 spans per
     * trajectory, ~0.24 ms of fill) stays on one thread; the multi-turn batch of 2.5·10⁶ tokens (32
     * spans per trajectory, ~0.44 ms) splits, bit for bit.
     */
    @Test
    void lightPassesSplitOnlyWhenTheirEstimatedWorkPays() {
        EstimatorRegistry registry = EstimatorRegistry.global();
        List<String> handed = new ArrayList<>();
        List<String> notSplit = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        Map<Object, Rollouts> cache = new LinkedHashMap<>();
        for (String id : LIGHT_ONLY) {
            Estimator e = registry.get(id);
            Descriptor d = e.descriptor();
            Params p = Params.resolve(d, null, Map.of());
            Rollouts small = build(cache, PerfSuite.Shape.MULTIAGENT, d, 2_000_000);
            Rollouts large = build(cache, PerfSuite.Shape.MULTITURN, d, 2_500_000);
            try (Execution two = Execution.threads(2)) {
                e.assign(small, p, two);
                if (two.handedOff() > 0) handed.add(id);
            }
            Credit one = e.assign(large, p, Execution.sequential());
            try (Execution two = Execution.threads(2)) {
                String why = difference(one, e.assign(large, p, two));
                if (why != null) differ.add(id + ": " + why);
                if (two.handedOff() == 0) notSplit.add(id);
            }
        }
        assertEquals(List.of(), handed, "light passes split on the perf multi-agent batch");
        assertEquals(List.of(), notSplit, "light passes not split on 2.5·10⁶ multi-turn tokens");
        assertEquals(List.of(), differ, "1 vs 2 threads");
    }

    /** The perf batch of {@code shape} for {@code d}, shared between estimators that need the same one (at most 4 kept). */
    private static Rollouts build(Map<Object, Rollouts> cache, PerfSuite.Shape shape, Descriptor d, long tokens) {
        SyntheticBatch.Spec spec = shape.spec(d, tokens, SEED);
        Object key = List.of(spec, SyntheticBatch.extrasFor(d));
        Rollouts batch = cache.get(key);
        if (batch == null) {
            if (cache.size() >= 4) cache.remove(cache.keySet().iterator().next());
            batch = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
            cache.put(key, batch);
        }
        return batch;
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
