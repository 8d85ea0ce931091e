package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The floors of {@code matchtir}, {@code r3l}, {@code vpr} and {@code vineppo} list the traffic the
 * estimators move beyond the derived plan: MatchTIR sums every token reward of a trajectory into its
 * score ({@code Rollouts.scores()}) before the turn pass; R³L and VPR write the loss weights beside
 * the advantages, VinePPO the returns. Each plan runs on the perf batch of its estimator and writes
 * every token of every token output.
 */
class FloorTurnOutputsTest {
    private static Descriptor descriptor(String id) {
        return EstimatorRegistry.global().get(id).descriptor();
    }

    private static Floor.Pass pass(Floor.Plan p, String what) {
        for (Floor.Pass x : p.passes()) if (x.what().equals(what)) return x;
        throw new AssertionError("no pass '" + what + "' in " + p.describe("; "));
    }

    @Test
    void matchtirReadsEveryTokenRewardIntoTheTrajectoryScoresFirst() {
        Floor.Plan p = Floor.plan(descriptor("matchtir"));
        assertTrue(p.declared());
        Floor.Pass first = p.passes().get(0);
        assertEquals("trajectory scores", first.what(), p.describe("; "));
        assertEquals(List.of(Floor.token("reward")), first.reads());
        assertEquals(List.of(Floor.SCORE), first.writes());
        assertTrue(
                pass(p, "span scores").reads().stream().anyMatch(s -> s.name().equals("span_turn_end_reward")));
        assertEquals(List.of(Floor.ADVANTAGES), pass(p, "broadcast").writes());
    }

    @Test
    void r3lAndVprWriteLossWeightsAndVineppoReturnsBesideTheAdvantages() {
        assertEquals(
                List.of(Floor.ADVANTAGES, Floor.token("loss_weights")),
                pass(Floor.plan(descriptor("r3l")), "broadcast").writes());
        assertEquals(
                List.of(Floor.ADVANTAGES, Floor.token("loss_weights")),
                pass(Floor.plan(descriptor("vpr")), "broadcast").writes());
        assertEquals(
                List.of(Floor.ADVANTAGES, Floor.RETURNS),
                pass(Floor.plan(descriptor("vineppo")), "broadcast").writes());
    }

    @Test
    void thePlansRunOnTheirPerfBatchesAndWriteEveryTokenOfEveryOutput() {
        for (String id : List.of("matchtir", "r3l", "vpr", "vineppo")) {
            Descriptor d = descriptor(id);
            for (PerfSuite.Shape shape : PerfSuite.Shape.values()) {
                Rollouts b =
                        SyntheticBatch.build(shape.spec(d, 8 * 1024 * 4, 3), SyntheticBatch.extrasFor(d), (x, y) -> {});
                Floor.Plan plan = Floor.plan(d);
                Floor.Prepared f = Floor.prepare(plan, b);
                Floor.Pass bc = pass(plan, "broadcast");
                for (Floor.Stream s : bc.writes()) java.util.Arrays.fill((int[]) f.array(s), -1);
                f.run(Execution.sequential());
                for (Floor.Stream s : bc.writes()) {
                    int[] w = (int[]) f.array(s);
                    for (int t = 0; t < w.length; t++) {
                        if (w[t] == -1) throw new AssertionError(id + " " + shape + " " + s + ": token " + t);
                    }
                }
            }
        }
    }
}
