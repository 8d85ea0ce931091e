package dev.apportion.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Invariants every estimator must keep. A test class per estimator extends this, names the
 * estimator and the parameter sets to check (defaults and every preset by default), and adds
 * its own worked examples and documented edge cases.
 *
 * <ul>
 *   <li>context tokens get exactly 0 and no value is NaN or infinite;</li>
 *   <li>trajectory order in the batch does not change any trajectory's credit;</li>
 *   <li>for group-local estimators, splitting the batch by group and concatenating gives the
 *       same credit;</li>
 *   <li>two and three threads, splitting every range, give the same credit as one, in every
 *       array of {@link Credit};</li>
 *   <li>arrays have the documented lengths.</li>
 * </ul>
 */
public abstract class EstimatorContract {
    /** Absolute + relative tolerance for re-ordered sums. */
    protected static final double TOL = 1e-5;

    /** The estimator under test. */
    protected abstract Estimator estimator();

    /** Parameter sets to check: defaults and every preset, unless overridden. */
    protected List<Params> parameterSets() {
        return defaultSetsAnd();
    }

    /**
     * The default parameter sets (defaults, then every preset) followed by {@code more}: what an
     * override of {@link #parameterSets()} returns when it adds sets to the defaults.
     */
    protected final List<Params> defaultSetsAnd(Params... more) {
        List<Params> out = new ArrayList<>();
        out.add(Params.defaults(estimator().descriptor()));
        for (String p : estimator().descriptor().presets().keySet()) {
            out.add(Params.resolve(estimator().descriptor(), p, Map.of()));
        }
        out.addAll(List.of(more));
        return out;
    }

    /** Parameters of the estimator under test: {@code preset} (null for none) with {@code overrides}. */
    protected final Params resolved(String preset, Map<String, ?> overrides) {
        return Params.resolve(estimator().descriptor(), preset, overrides);
    }

    /** Parameters of the estimator under test: its defaults with {@code overrides}. */
    protected final Params resolved(Map<String, ?> overrides) {
        return resolved(null, overrides);
    }

    /** Batch options for the random batches (override when the estimator needs, e.g., group size ≥ 2). */
    protected RandomBatches.Options options() {
        return RandomBatches.Options.defaults();
    }

    /**
     * Builds a batch from trajectory descriptions. Override to add the signals an estimator
     * needs that {@link RandomBatches#build} does not make (hidden-state vectors, a search tree,
     * critic outputs), keeping each trajectory's tokens in the same order and number.
     */
    protected Rollouts build(List<RandomBatches.Traj> trajectories) {
        return RandomBatches.build(trajectories);
    }

    /** Random batches to check on. */
    protected List<List<RandomBatches.Traj>> batches() {
        List<List<RandomBatches.Traj>> out = new ArrayList<>();
        for (long seed = 1; seed <= 4; seed++) out.add(RandomBatches.trajectories(seed, options()));
        return out;
    }

    @Test
    void contextTokensGetZeroAndValuesAreFinite() {
        for (Params p : parameterSets()) {
            for (List<RandomBatches.Traj> ts : batches()) {
                Rollouts b = build(ts);
                Credit c = estimator().assign(b, p);
                assertNotNull(c.advantages());
                assertEquals(b.tokenCount(), c.advantages().length, "one advantage per token");
                if (c.returns() != null) assertEquals(b.tokenCount(), c.returns().length, "one return per token");
                if (c.spanAdvantages() != null) assertEquals(b.spanCount(), c.spanAdvantages().length, "one per span");
                if (c.lossWeights() != null) assertEquals(b.tokenCount(), c.lossWeights().length);
                if (c.clipScales() != null) assertEquals(b.tokenCount(), c.clipScales().length);
                byte[] m = b.mask();
                for (int t = 0; t < m.length; t++) {
                    float a = c.advantages()[t];
                    assertTrue(Float.isFinite(a), () -> p + ": non-finite advantage");
                    if (m[t] == 0) assertEquals(0f, a, 0f, () -> p + ": context token got credit");
                }
            }
        }
    }

    @Test
    void trajectoryOrderDoesNotChangeCredit() {
        for (Params p : parameterSets()) {
            for (List<RandomBatches.Traj> ts : batches()) {
                List<RandomBatches.Traj> shuffled = new ArrayList<>(ts);
                Collections.shuffle(shuffled, new Random(7));
                assertSameCredit(p, ts, shuffled, "shuffled batch");
            }
        }
    }

    @Test
    void splittingByGroupGivesSameCreditForGroupLocalEstimators() {
        assumeTrue(
                estimator().descriptor().groupLocal(),
                () -> estimator().id() + " is not group-local: a group's credit may depend on the batch");
        for (Params p : parameterSets()) {
            for (List<RandomBatches.Traj> ts : batches()) {
                Map<String, List<RandomBatches.Traj>> byGroup = new LinkedHashMap<>();
                for (RandomBatches.Traj t : ts)
                    byGroup.computeIfAbsent(t.group(), k -> new ArrayList<>()).add(t);
                Map<String, float[]> whole = perTrajectory(estimator().assign(build(ts), p), ts);
                for (List<RandomBatches.Traj> part : byGroup.values()) {
                    Map<String, float[]> alone = perTrajectory(estimator().assign(build(part), p), part);
                    for (Map.Entry<String, float[]> e : alone.entrySet()) {
                        assertClose(
                                whole.get(e.getKey()),
                                e.getValue(),
                                p + " trajectory " + e.getKey() + " alone vs in batch");
                    }
                }
            }
        }
    }

    @Test
    void twoThreadsMatchOne() {
        for (Params p : parameterSets()) {
            for (List<RandomBatches.Traj> ts : batches()) {
                Rollouts b = build(ts);
                Credit seq = estimator().assign(b, p, Execution.sequential());
                // the contract's batches are small: these executions split every range, so the
                // parallel path really runs (a pool of 2 and an uneven split into 3)
                for (int threads = 2; threads <= 3; threads++) {
                    try (Execution ex = Execution.splittingAll(threads)) {
                        assertTrue(ex.chunks(b.trajectoryCount(), 256) > 1, "the batch is split");
                        assertSameCredit(
                                seq, estimator().assign(b, p, ex), p + " " + threads + " threads vs sequential");
                    }
                }
            }
        }
    }

    /**
     * NaN-filled {@link Credit.Buffers}, sequential and then split over two threads, give the
     * allocating call's credit bit for bit (every array and diagnostic), and an estimator that
     * implements the buffered call really returns the buffers' advantages array.
     */
    @Test
    void dirtyBuffersGiveTheAllocatingCredit() {
        boolean buffered = writesBuffers(estimator());
        for (Params p : parameterSets()) {
            for (List<RandomBatches.Traj> ts : batches()) {
                Rollouts b = build(ts);
                int n = b.tokenCount();
                String what = estimator().id() + " " + p;
                Credit fresh = estimator().assign(b, p, Execution.sequential());
                Credit.Buffers buffers = dirtyBuffers(n);
                Credit reused = estimator().assign(b, p, Execution.sequential(), buffers);
                if (buffered)
                    assertSame(buffers.advantages(n), reused.advantages(), what + ": advantages not in the buffer");
                assertSameBits(fresh, reused, what);
                buffers = dirtyBuffers(n);
                try (Execution two = Execution.splittingAll(2)) {
                    assertSameBits(fresh, estimator().assign(b, p, two, buffers), what + " (2 threads)");
                }
            }
        }
    }

    /** Whether the estimator's class implements the four-argument (buffered) {@code assign} itself. */
    private static boolean writesBuffers(Estimator est) {
        try {
            return est.unwrap()
                            .getClass()
                            .getMethod("assign", Rollouts.class, Params.class, Execution.class, Credit.Buffers.class)
                            .getDeclaringClass()
                    != Estimator.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    private static Credit.Buffers dirtyBuffers(int n) {
        Credit.Buffers buffers = new Credit.Buffers();
        Arrays.fill(buffers.advantages(n), Float.NaN);
        Arrays.fill(buffers.returns(n), Float.NaN);
        Arrays.fill(buffers.lossWeights(n), Float.NaN);
        return buffers;
    }

    private static void assertSameBits(Credit want, Credit got, String what) {
        assertArrayEquals(want.advantages(), got.advantages(), what + ": advantages");
        assertArrayEquals(want.returns(), got.returns(), what + ": returns");
        assertArrayEquals(want.spanAdvantages(), got.spanAdvantages(), what + ": span advantages");
        assertArrayEquals(want.lossWeights(), got.lossWeights(), what + ": loss weights");
        assertArrayEquals(want.clipScales(), got.clipScales(), what + ": clip scales");
        assertEquals(want.diagnostics(), got.diagnostics(), what + ": diagnostics");
    }

    /** Every array of {@code got} matches {@code want}: present in both or in neither, and close. */
    protected static void assertSameCredit(Credit want, Credit got, String what) {
        assertClose(want.advantages(), got.advantages(), what + ": advantages");
        assertBothOrNeither(want.returns(), got.returns(), what + ": returns");
        assertBothOrNeither(want.spanAdvantages(), got.spanAdvantages(), what + ": span advantages");
        assertBothOrNeither(want.lossWeights(), got.lossWeights(), what + ": loss weights");
        assertBothOrNeither(want.clipScales(), got.clipScales(), what + ": clip scales");
    }

    private static void assertBothOrNeither(float[] want, float[] got, String what) {
        assertEquals(want == null, got == null, what + ": present");
        if (want != null) assertClose(want, got, what);
    }

    /** Checks that reordering trajectories leaves every trajectory's credit unchanged. */
    protected void assertSameCredit(Params p, List<RandomBatches.Traj> a, List<RandomBatches.Traj> b, String what) {
        Map<String, float[]> ca = perTrajectory(estimator().assign(build(a), p), a);
        Map<String, float[]> cb = perTrajectory(estimator().assign(build(b), p), b);
        for (Map.Entry<String, float[]> e : ca.entrySet()) {
            assertClose(e.getValue(), cb.get(e.getKey()), p + " " + what + ", trajectory " + e.getKey());
        }
    }

    /** Splits per-token advantages by trajectory id. */
    protected static Map<String, float[]> perTrajectory(Credit c, List<RandomBatches.Traj> ts) {
        Map<String, float[]> out = new LinkedHashMap<>();
        int off = 0;
        for (RandomBatches.Traj t : ts) {
            int n = t.tokens();
            float[] a = new float[n];
            System.arraycopy(c.advantages(), off, a, 0, n);
            out.put(t.id(), a);
            off += n;
        }
        return out;
    }

    protected static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (!Tolerance.close(want[i], got[i], TOL, TOL)) {
                fail(what + ": token " + i + " want " + want[i] + " got " + got[i]);
            }
        }
    }

    /**
     * Ids of the estimators named by every concrete subclass of this contract among the test
     * classes of the module holding {@code anchor} (its class-path root is walked).
     */
    public static Set<String> coveredIds(Class<?> anchor) throws Exception {
        Path root = Path.of(
                anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> ids = new TreeSet<>();
        List<Path> classes;
        try (Stream<Path> s = Files.walk(root)) {
            classes = s.filter(f -> f.toString().endsWith(".class")
                            && !f.getFileName().toString().contains("$"))
                    .toList();
        }
        for (Path f : classes) {
            String name =
                    root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), ".");
            name = name.substring(0, name.length() - ".class".length());
            Class<?> c = Class.forName(name, false, anchor.getClassLoader());
            if (!EstimatorContract.class.isAssignableFrom(c) || Modifier.isAbstract(c.getModifiers())) continue;
            var ctor = c.getDeclaredConstructor();
            ctor.setAccessible(true);
            ids.add(((EstimatorContract) ctor.newInstance()).estimator().id());
        }
        return ids;
    }
}
