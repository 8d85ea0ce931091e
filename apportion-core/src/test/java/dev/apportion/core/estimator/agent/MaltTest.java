package dev.apportion.core.estimator.agent;

import static dev.apportion.core.testing.PaperTurns.assertTurnConstant;
import static dev.apportion.core.testing.PaperTurns.assertTurns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaltTest extends EstimatorContract {
    private final Malt est = new Malt();
    private static final double TOL = 1e-6;

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** The reference notes' tree: one generator output g1, three verifier outputs, three refinements each. */
    private static final int[][] OUTCOMES = {{1, 1, 0}, {0, 0, 0}, {1, 0, 0}};

    private static Rollouts tree() {
        RolloutsBuilder b = Rollouts.builder();
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) {
                b.trajectory("question", "v" + v + "r" + r)
                        .outcome(OUTCOMES[v][r])
                        .span(Role.CONTEXT, 2)
                        .span(Role.POLICY, 3, Double.NaN, "question", "generator")
                        .span(Role.CONTEXT, 1)
                        .span(Role.POLICY, 2, Double.NaN, "g1", "verifier")
                        .span(Role.CONTEXT, 1)
                        .span(Role.POLICY, 2, Double.NaN, "g1/v" + v, "refiner");
            }
        }
        return b.build();
    }

    /**
     * V(v) = mean of its refinements = [2/3, 0, 1/3]; V(g) = mean of the verifiers = 1/3.
     * Labels (threshold 0.5): v1 correct, v2 and v3 incorrect with a correct sibling (DPO rejected),
     * g incorrect without siblings (0). Refinements under v1: +1, +1, -1; under v2 (no correct
     * sibling): 0, 0, 0; under v3: +1, -1, -1. DPO pairs: 2 (verifiers) + 2 (v1) + 2 (v3) = 6.
     */
    @Test
    void workedExampleLabels() {
        Rollouts batch = tree();
        Credit c = est.assign(batch);
        float[] a = c.advantages();
        double[][] refiner = {{1, 1, -1}, {0, 0, 0}, {1, -1, -1}};
        double[] verifier = {1, -1, -1};
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) assertTurns(batch, a, 3 * v + r, TOL, 0, verifier[v], refiner[v][r]);
        }
        assertTurnConstant(batch, a);
        assertEquals(6.0, c.diagnostics().get("dpo_pairs"));
        assertEquals(1 + 3 + 9, c.diagnostics().get("nodes"));
    }

    /** Value mode: V(node) - V(parent): refiners 1 - 2/3 etc., verifiers [1/3, -1/3, 0], generator 0 (root = itself). */
    @Test
    void workedExampleValues() {
        Rollouts batch = tree();
        float[] a = est.assign(batch, resolved(null, Map.of("credit", "value"))).advantages();
        double[] vv = {2.0 / 3, 0, 1.0 / 3};
        for (int v = 0; v < 3; v++) {
            for (int r = 0; r < 3; r++) {
                assertTurns(batch, a, 3 * v + r, TOL, 0, vv[v] - 1.0 / 3, OUTCOMES[v][r] - vv[v]);
            }
        }
    }

    /** One trajectory is a chain: label +1 or 0 (no siblings), value 0 everywhere. */
    /** One trajectory: a generator turn (state "q") then a verifier turn (state "g"), with {@code outcome}. */
    private static Rollouts chain(double outcome) {
        return Rollouts.builder()
                .trajectory("q", "t")
                .outcome(outcome)
                .span(Role.POLICY, 1, Double.NaN, "q", "generator")
                .span(Role.POLICY, 1, Double.NaN, "g", "verifier")
                .build();
    }

    @Test
    void singleTrajectoryChain() {
        Rollouts win = chain(1);
        assertTurns(win, est.assign(win).advantages(), 0, 0.0, 1, 1);
        Rollouts loss = chain(0);
        assertTurns(loss, est.assign(loss).advantages(), 0, 0.0, 0, 0);
        assertTurns(
                win, est.assign(win, resolved(null, Map.of("credit", "value"))).advantages(), 0, 0.0, 0, 0);
    }

    /** Two generator outputs as siblings at the root; a lower threshold changes the labels. */
    @Test
    void rootSiblingsAndThreshold() {
        RolloutsBuilder b = Rollouts.builder();
        b.trajectory("q", "a")
                .outcome(1)
                .span(Role.POLICY, 1, Double.NaN, "q", "g")
                .span(Role.POLICY, 1, Double.NaN, "ga", "v");
        b.trajectory("q", "b")
                .outcome(0.3)
                .span(Role.POLICY, 1, Double.NaN, "q", "g")
                .span(Role.POLICY, 1, Double.NaN, "gb", "v");
        Rollouts batch = b.build();
        assertTurns(batch, est.assign(batch).advantages(), 0, 0.0, 1, 1);
        assertTurns(batch, est.assign(batch).advantages(), 1, 0.0, -1, 0);
        float[] low =
                est.assign(batch, resolved(null, Map.of("threshold", 0.2))).advantages();
        assertTurns(batch, low, 1, 0.0, 1, 1);
    }

    @Test
    void needsStatesAndOutcomes() {
        Rollouts noState = Rollouts.builder()
                .trajectory("q", "t")
                .outcome(1)
                .span(Role.POLICY, 1)
                .build();
        assertThrows(RolloutException.class, () -> est.assign(noState));
        Rollouts noOutcome = Rollouts.builder()
                .trajectory("q", "t")
                .span(Role.POLICY, 1, 0.5, "s", "g")
                .build();
        assertThrows(RolloutException.class, () -> est.assign(noOutcome));
    }

    /**
     * The group-local tree against a restatement of the batch-wide numbering it replaced (one table of
     * nodes and one of edges for the whole batch, states interned in a HashMap): the same credit bit for
     * bit and the same diagnostics, on random forests — groups whose members interleave in the batch,
     * trajectories of different depths, states shared across depths and groups (so nodes have several
     * parents), null states, both credit rules and thresholds on and between the values.
     */
    @Test
    void groupLocalTreesGiveTheBatchWideTreesCredit() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(41);
        int compared = 0;
        for (int round = 0; round < 300; round++) {
            RolloutsBuilder b = Rollouts.builder();
            int n = 1 + r.nextInt(20);
            int groups = 1 + r.nextInt(4);
            int alphabet = 1 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                b.trajectory("q" + r.nextInt(groups), "t" + i)
                        .outcome(r.nextInt(5) / 4.0 + (r.nextInt(4) == 0 ? 0.1 : 0));
                int turns = 1 + r.nextInt(5);
                for (int t = 0; t < turns; t++) {
                    if (r.nextBoolean()) b.span(Role.CONTEXT, 1);
                    String st = round % 10 == 0 && r.nextInt(8) == 0
                            ? null
                            : "s" + r.nextInt(alphabet) + (r.nextBoolean() ? "" : "/" + t);
                    b.span(Role.POLICY, 1 + r.nextInt(3), Double.NaN, st, "agent" + t);
                }
            }
            Rollouts batch = b.build();
            for (double threshold : new double[] {0.5, 0.25, 0.3}) {
                for (boolean label : new boolean[] {true, false}) {
                    Credit c;
                    try {
                        c = est.assign(
                                batch,
                                resolved(null, Map.of("threshold", threshold, "credit", label ? "label" : "value")));
                    } catch (RolloutException e) {
                        continue; // a null state where the estimator requires one: refused alike below
                    }
                    Object[] want = reference(batch, threshold, label);
                    String what = "round " + round + " threshold " + threshold + " label " + label;
                    float[] adv = c.advantages();
                    float[] ref = (float[]) want[0];
                    for (int t = 0; t < adv.length; t++) {
                        assertEquals(
                                Float.floatToRawIntBits(ref[t]), Float.floatToRawIntBits(adv[t]), what + " token " + t);
                    }
                    float[] spans = (float[]) want[1];
                    for (int s = 0; s < spans.length; s++) {
                        assertEquals(
                                Float.floatToRawIntBits(spans[s]),
                                Float.floatToRawIntBits(c.spanAdvantages()[s]),
                                what + " span " + s);
                    }
                    assertEquals(
                            ((Number) want[2]).doubleValue(), c.diagnostics().get("nodes"), what);
                    assertEquals(
                            ((Number) want[3]).doubleValue(), c.diagnostics().get("dpo_pairs"), what);
                }
            }
        }
    }

    /** The batch-wide computation: token advantages, span advantages, nodes, DPO pairs. */
    private static Object[] reference(Rollouts batch, double threshold, boolean label) {
        String[] state = batch.requireSpanState("malt");
        dev.apportion.core.kernel.TurnTable turns = dev.apportion.core.kernel.TurnTable.of(batch);
        double[] outcome = dev.apportion.core.kernel.TurnTable.teamOutcome(batch, "malt");
        int m = turns.size();
        int n = batch.trajectoryCount();
        int groups = batch.groupCount();
        java.util.Map<String, Integer> stateIds = new java.util.HashMap<>();
        java.util.Map<java.util.List<Object>, Integer> nodeIds = new java.util.HashMap<>();
        int[] node = new int[m];
        java.util.List<Integer> nodeDepth = new java.util.ArrayList<>();
        java.util.List<Integer> nodeGroup = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int g = batch.trajectoryGroup(i);
            for (int j = turns.start(i); j < turns.end(i); j++) {
                int t = turns.indexInTrajectory(j);
                java.util.List<Object> key = turns.isLast(j)
                        ? java.util.List.of("leaf", i)
                        : java.util.List.of(
                                "inner",
                                g,
                                t,
                                stateIds.computeIfAbsent(state[turns.span(j + 1)], k -> stateIds.size()));
                Integer id = nodeIds.get(key);
                if (id == null) {
                    id = nodeIds.size();
                    nodeIds.put(key, id);
                    nodeDepth.add(t);
                    nodeGroup.add(g);
                }
                node[j] = id;
            }
        }
        int nodes = nodeIds.size();
        boolean[] leaf = new boolean[nodes];
        double[] value = new double[nodes];
        int[] parent = new int[m];
        java.util.Map<Long, Integer> edgeIds = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            for (int j = turns.start(i); j < turns.end(i); j++) {
                parent[j] = j == turns.start(i) ? -1 : node[j - 1];
                if (parent[j] >= 0) edgeIds.putIfAbsent(((long) parent[j] << 32) | node[j], edgeIds.size());
                if (turns.isLast(j)) {
                    leaf[node[j]] = true;
                    value[node[j]] = outcome[i];
                }
            }
        }
        int maxDepth = 0;
        for (int d : nodeDepth) maxDepth = Math.max(maxDepth, d);
        double[] childSum = new double[nodes];
        int[] childCount = new int[nodes];
        for (int d = maxDepth; d >= 1; d--) {
            for (long e : edgeIds.keySet()) {
                int p = (int) (e >>> 32);
                int c = (int) e;
                if (nodeDepth.get(c) != d) continue;
                if (!leaf[c]) value[c] = childSum[c] / childCount[c];
                childSum[p] += value[c];
                childCount[p]++;
            }
        }
        for (int k = 0; k < nodes; k++) if (nodeDepth.get(k) == 0 && !leaf[k]) value[k] = childSum[k] / childCount[k];
        boolean[] correct = new boolean[nodes];
        for (int k = 0; k < nodes; k++) correct[k] = value[k] > threshold;
        int[] correctChildren = new int[nodes];
        int[] wrongChildren = new int[nodes];
        for (long e : edgeIds.keySet()) {
            if (correct[(int) e]) correctChildren[(int) (e >>> 32)]++;
            else wrongChildren[(int) (e >>> 32)]++;
        }
        int[] rootCorrect = new int[groups];
        int[] rootWrong = new int[groups];
        double[] rootSum = new double[groups];
        for (int k = 0; k < nodes; k++) {
            if (nodeDepth.get(k) != 0) continue;
            if (correct[k]) rootCorrect[nodeGroup.get(k)]++;
            else rootWrong[nodeGroup.get(k)]++;
            rootSum[nodeGroup.get(k)] += value[k];
        }
        long pairs = 0;
        for (int k = 0; k < nodes; k++) pairs += (long) correctChildren[k] * wrongChildren[k];
        for (int g = 0; g < groups; g++) pairs += (long) rootCorrect[g] * rootWrong[g];
        double[] a = new double[m];
        for (int j = 0; j < m; j++) {
            int k = node[j];
            int p = parent[j];
            if (label) {
                int correctSiblings = p < 0 ? rootCorrect[nodeGroup.get(k)] : correctChildren[p];
                a[j] = correct[k] ? 1.0 : (correctSiblings > 0 ? -1.0 : 0.0);
            } else {
                int g = nodeGroup.get(k);
                double pv = p >= 0 ? value[p] : rootSum[g] / (rootCorrect[g] + rootWrong[g]);
                a[j] = value[k] - pv;
            }
        }
        float[] adv = AgentOutput.turns(batch, turns, a, dev.apportion.core.credit.Execution.sequential(), null);
        return new Object[] {adv, turns.spanValues(batch, a), nodes, pairs};
    }
}
