package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The floor kernel reads every element of every declared read stream and writes every element of
 * every declared written stream, for every arity (the fused loops of {@link FloorLoops} and the
 * block fallback beyond them), in both directions, on single- and multi-span trajectories: a change
 * to any one read element shows in every written stream at that token, or in the run's result when
 * the pass writes nothing. A loop the JIT could drop, or a stream the kernel skipped, fails here.
 */
class FloorKernelTest {
    /** A bit no seed (span offsets of these small batches, roles) ever sets. */
    private static final int INT_BIT = 1 << 29;
    /** The mask's bit: the batches have fewer than 64 spans, so no seed sets it. */
    private static final byte MASK_BIT = 0x40;

    private static Rollouts batch(int steps) {
        return SyntheticBatch.build(new SyntheticBatch.Spec(
                4, 96, steps, 2, 7, List.of(), List.of(), List.of(), false, false, false, false));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void everyReadReachesEveryWriteInEveryArityAndDirection(int steps) {
        Rollouts b = batch(steps);
        assertTrue(b.spanCount() < 64, "test batch must keep span offsets below the mask bit");
        for (boolean back : new boolean[] {false, true}) {
            for (int reads = 0; reads <= FloorLoops.MAX_READS + 2; reads++) {
                for (boolean mask : new boolean[] {false, true}) {
                    for (int writes = 0; writes <= FloorLoops.MAX_WRITES + 1; writes++) {
                        for (boolean vector : new boolean[] {false, true}) {
                            check(b, back, reads, mask, writes, vector, false);
                        }
                        check(b, back, reads, mask, writes, false, true);
                    }
                }
            }
        }
    }

    private static void check(
            Rollouts b, boolean back, int nr, boolean mask, int nw, boolean vector, boolean perTrajectory) {
        String what = (back ? "backward" : "forward") + " reads=" + nr + " mask=" + mask + " writes=" + nw + " vector="
                + vector + " perTrajectory=" + perTrajectory + " spans=" + b.spanCount();
        List<Floor.Stream> reads = new ArrayList<>();
        for (int q = 0; q < nr; q++) reads.add(Floor.token("r" + q));
        if (vector) reads.add(new Floor.Stream("v", Floor.Level.TOKEN, Floor.Type.F32, 3));
        if (mask) reads.add(Floor.MASK);
        reads.add(Floor.ROLE);
        List<Floor.Stream> writes = new ArrayList<>();
        for (int q = 0; q < nw; q++) writes.add(Floor.token("w" + q));
        Floor.Pass pass = back ? Floor.backward("p", reads, writes) : Floor.pass("p", reads, writes);
        // per trajectory: the pass run trajectory by trajectory (Plan.perTrajectoryFrom = 0)
        Floor.Plan plan = new Floor.Plan(List.of(pass), true, perTrajectory ? 0 : 1);
        Floor.Prepared f = Floor.prepare(plan, b);
        for (Floor.Stream s : reads) {
            Object a = f.array(s);
            if (a instanceof int[] x) Arrays.fill(x, 0);
            else if (a instanceof byte[] x && !s.equals(Floor.ROLE)) Arrays.fill(x, (byte) 0);
        }
        for (Floor.Stream s : writes) Arrays.fill((int[]) f.array(s), -1);
        int base = f.run(Execution.sequential());
        int n = b.tokenCount();
        for (Floor.Stream s : writes) {
            int[] w = (int[]) f.array(s);
            for (int t = 0; t < n; t++) assertNotEquals(-1, w[t], what + ": " + s + " not written at token " + t);
        }
        for (Floor.Stream s : reads) {
            if (s.equals(Floor.ROLE)) continue;
            for (int t : new int[] {0, n / 3, n / 2 + 1, n - 1}) {
                Object a = f.array(s);
                int at = s.width() > 1 ? t * s.width() + s.width() - 1 : t;
                if (a instanceof int[] x) x[at] = INT_BIT;
                else ((byte[]) a)[at] = MASK_BIT;
                int bit = a instanceof int[] ? INT_BIT : MASK_BIT;
                int result = f.run(Execution.sequential());
                if (writes.isEmpty()) {
                    assertEquals(
                            bit, result & bit, what + ": change of " + s + " at token " + t + " not in the result");
                    assertEquals(0, base & bit, what);
                } else {
                    for (Floor.Stream w : writes) {
                        int v = ((int[]) f.array(w))[t];
                        assertEquals(bit, v & bit, what + ": change of " + s + " at token " + t + " not in " + w);
                    }
                }
                if (a instanceof int[] x) x[at] = 0;
                else ((byte[]) a)[at] = 0;
            }
        }
    }

    /**
     * Passes that read no token stream — span scores (span and trajectory values into span values)
     * and broadcasts (into token streams, one {@code Arrays.fill} per span) — in both directions:
     * a change to one span value reaches every token of that span in every written token stream
     * and that span in every written span stream; a change to one trajectory value reaches all of
     * its tokens and spans; with nothing written, the run's result.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void spanAndTrajectoryValuesReachTheirSpansAndTokens(int steps) {
        Rollouts b = batch(steps);
        for (boolean back : new boolean[] {false, true}) {
            for (int spanReads = 0; spanReads <= 3; spanReads++) {
                for (int tokenWrites = 0; tokenWrites <= 3; tokenWrites++) {
                    for (int spanWrites = 0; spanWrites <= 2; spanWrites++) {
                        for (boolean traj : new boolean[] {false, true}) {
                            checkSpans(b, back, spanReads, tokenWrites, spanWrites, traj);
                        }
                    }
                }
            }
        }
    }

    private static void checkSpans(Rollouts b, boolean back, int nsr, int ntw, int nsw, boolean traj) {
        String what = (back ? "backward" : "forward") + " spanReads=" + nsr + " tokenWrites=" + ntw + " spanWrites="
                + nsw + " trajectory=" + traj + " spans=" + b.spanCount();
        List<Floor.Stream> reads = new ArrayList<>();
        for (int q = 0; q < nsr; q++) reads.add(new Floor.Stream("s" + q, Floor.Level.SPAN, Floor.Type.F32));
        if (traj) reads.add(Floor.OUTCOME);
        reads.add(Floor.ROLE);
        List<Floor.Stream> writes = new ArrayList<>();
        for (int q = 0; q < ntw; q++) writes.add(Floor.token("w" + q));
        for (int q = 0; q < nsw; q++) writes.add(new Floor.Stream("z" + q, Floor.Level.SPAN, Floor.Type.F32));
        Floor.Pass pass = back ? Floor.backward("p", reads, writes) : Floor.pass("p", reads, writes);
        Floor.Prepared f = Floor.prepare(new Floor.Plan(List.of(pass), true), b);
        for (Floor.Stream s : reads) if (!s.equals(Floor.ROLE)) Arrays.fill((int[]) f.array(s), 0);
        for (Floor.Stream s : writes) Arrays.fill((int[]) f.array(s), -1);
        int base = f.run(Execution.sequential());
        for (Floor.Stream s : writes) {
            int[] w = (int[]) f.array(s);
            for (int e = 0; e < w.length; e++) assertNotEquals(-1, w[e], what + ": " + s + " not written at " + e);
        }
        int[] spanTok = b.spanTokenOffsets();
        int[] trajSpan = b.trajectorySpanOffsets();
        for (Floor.Stream s : reads) {
            if (s.equals(Floor.ROLE)) continue;
            int[] x = (int[]) f.array(s);
            for (int e : new int[] {0, x.length / 2, x.length - 1}) {
                // the spans the changed element belongs to: itself, or every span of the trajectory
                int s0 = s.level() == Floor.Level.SPAN ? e : trajSpan[e];
                int s1 = s.level() == Floor.Level.SPAN ? e + 1 : trajSpan[e + 1];
                x[e] = INT_BIT;
                int result = f.run(Execution.sequential());
                if (writes.isEmpty()) {
                    assertEquals(
                            INT_BIT, result & INT_BIT, what + ": change of " + s + " at " + e + " not in the result");
                    assertEquals(0, base & INT_BIT, what);
                }
                for (Floor.Stream w : writes) {
                    int[] y = (int[]) f.array(w);
                    for (int sp = s0; sp < s1; sp++) {
                        if (w.level() == Floor.Level.SPAN) {
                            assertEquals(
                                    INT_BIT, y[sp] & INT_BIT, what + ": change of " + s + " at " + e + " not in " + w);
                        } else {
                            for (int t = spanTok[sp]; t < spanTok[sp + 1]; t++) {
                                assertEquals(
                                        INT_BIT,
                                        y[t] & INT_BIT,
                                        what + ": change of " + s + " at " + e + " not in " + w + " at token " + t);
                            }
                        }
                    }
                }
                x[e] = 0;
            }
        }
    }

    /**
     * A matrix's flow block ({@code MATRIX_FLOW}): every value in it (rows from the first policy
     * token, columns outside the answer, the last policy span) reaches the result, in both
     * directions; values outside it (question rows, answer columns) do not, so the block is the one
     * declared; and a whole-matrix read of the same stream shares its array.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void theFlowBlockReadsExactlyItsPairs(int steps) {
        Rollouts b = SyntheticBatch.build(new SyntheticBatch.Spec(
                2, 64, steps, 2, 7, List.of(), List.of(), List.of(), false, false, false, false));
        Floor.Stream flow = new Floor.Stream("m", Floor.Level.MATRIX_FLOW, Floor.Type.F32);
        Floor.Stream whole = new Floor.Stream("m", Floor.Level.MATRIX, Floor.Type.F32);
        for (boolean back : new boolean[] {false, true}) {
            Floor.Pass pass =
                    back ? Floor.backward("p", List.of(flow), List.of()) : Floor.pass("p", List.of(flow), List.of());
            Floor.Prepared f =
                    Floor.prepare(new Floor.Plan(List.of(pass, Floor.pass("q", List.of(whole), List.of())), true), b);
            Floor.Prepared one = Floor.prepare(new Floor.Plan(List.of(pass), true), b);
            assertTrue(f.array(whole) == f.array(new Floor.Stream("m", Floor.Level.MATRIX, Floor.Type.F32)));
            int[] m = (int[]) one.array(whole);
            assertTrue(m != null, "the flow block is laid over the whole matrix's array");
            Arrays.fill(m, 0);
            int base = one.run(Execution.sequential());
            assertEquals(0, base & INT_BIT);
            long inside = 0;
            int at = 0;
            for (int i = 0; i < b.trajectoryCount(); i++) {
                int t0 = b.tokenStart(i);
                int len = b.tokenEnd(i) - t0;
                int first = len, as = len, ae = len;
                for (int s = b.spanStart(i); s < b.spanEnd(i); s++) {
                    if (b.isPolicySpan(s) && b.spanTokenEnd(s) > b.spanTokenStart(s)) {
                        first = Math.min(first, b.spanTokenStart(s) - t0);
                        as = b.spanTokenStart(s) - t0;
                        ae = b.spanTokenEnd(s) - t0;
                    }
                }
                for (int r = 1; r < len; r++) {
                    for (int c = 0; c < r; c++, at++) {
                        boolean in = r >= first && (c < as || c >= ae);
                        if (in) inside++;
                        m[at] = INT_BIT;
                        int result = one.run(Execution.sequential());
                        m[at] = 0;
                        String what =
                                (back ? "backward" : "forward") + " trajectory " + i + " pair (" + r + ", " + c + ")";
                        assertEquals(
                                in ? INT_BIT : 0,
                                result & INT_BIT,
                                what + (in ? " not read" : " read outside the block"));
                    }
                }
            }
            assertEquals(inside, one.flowValues(), "flowValues counts the block");
        }
    }

    /**
     * PURE and SPA-RL declare the passes they make (a backward scan writing the returns beside the
     * advantages' source, then the whitening's variance and output reading it), not the derived
     * plan's token sums and broadcast; the declared plans run, and their kernel reads every stream.
     */
    @org.junit.jupiter.api.Test
    void pureAndSpaRlDeclareTheirScanAndWhitening() {
        var registry = dev.apportion.core.credit.EstimatorRegistry.global();
        for (String id : List.of("pure", "spa_rl")) {
            Floor.Plan p = Floor.plan(registry.get(id).descriptor());
            List<String> names = new ArrayList<>();
            for (Floor.Pass x : p.passes()) names.add(x.what());
            String scan = id.equals("pure") ? "return scan" : "GAE scan";
            assertEquals(List.of("span scores", scan, "whiten variance", "whiten"), names, id);
            Floor.Pass s = p.passes().get(1);
            assertTrue(s.backward(), id + " scan runs backwards");
            assertTrue(s.writes().contains(Floor.RETURNS), id + " scan writes the returns");
            assertTrue(s.reads().contains(Floor.token(Rollouts.LOGPROB)), id + " scan reads the log-probs");
            Floor.Stream source = s.writes().get(0);
            assertTrue(p.passes().get(2).reads().contains(source), id + " variance reads " + source.name());
            assertTrue(p.passes().get(2).writes().isEmpty(), id + " variance writes nothing");
            assertTrue(p.passes().get(3).reads().contains(source), id + " output reads " + source.name());
            assertEquals(List.of(Floor.ADVANTAGES), p.passes().get(3).writes(), id + " output");
        }
    }

    /**
     * Every estimator {@code perf --all} times declares every token array it writes into the caller's
     * buffers (a second output, returns, loss weights or clip scales, is a second 4-byte stream per
     * token that a one-output plan does not count): each distinct token-length output of a buffered
     * call, on every shape, is written by some pass of the plan. The plan may write more (scratch
     * arrays such as DelTA's features).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("timedIds")
    void everyEstimatorDeclaresEveryTokenArrayItWrites(String id) {
        Estimator e = EstimatorRegistry.global().get(id);
        Descriptor d = e.descriptor();
        for (PerfSuite.Shape shape : PerfSuite.Shape.values()) {
            Rollouts b = SyntheticBatch.build(
                    shape.spec(d, 4L * 8 * shape.tokensPerTrajectory, 3), SyntheticBatch.extrasFor(d), (x, y) -> {});
            Credit c = e.assign(b, Params.resolve(d, null, Map.of()), Execution.sequential(), new Credit.Buffers());
            Set<String> written = new TreeSet<>();
            for (Floor.Pass p : Floor.plan(d).passes())
                for (Floor.Stream s : p.writes()) if (s.level() == Floor.Level.TOKEN) written.add(s.name());
            Set<String> outputs = new TreeSet<>();
            List<float[]> seen = new ArrayList<>();
            String[] names = {"advantages", "returns", "loss_weights", "clip_scales"};
            float[][] arrays = {c.advantages(), c.returns(), c.lossWeights(), c.clipScales()};
            for (int k = 0; k < names.length; k++) {
                float[] x = arrays[k];
                if (x == null || x.length != b.tokenCount() || seen.stream().anyMatch(y -> y == x)) continue;
                seen.add(x);
                outputs.add(names[k]);
            }
            assertTrue(
                    written.containsAll(outputs),
                    id + " on " + shape.wire + ": the floor writes " + written + " but the call returns " + outputs);
        }
    }

    /** Every estimator {@code perf --all} times (the registry without the bench references). */
    static List<String> timedIds() {
        List<String> out = new ArrayList<>();
        for (String id : EstimatorRegistry.global().ids()) {
            if (id.equals("oracle") || id.equals("random")) continue;
            if (!EstimatorRegistry.global().get(id).descriptor().id().equals(id)) continue;
            out.add(id);
        }
        return out;
    }
}
