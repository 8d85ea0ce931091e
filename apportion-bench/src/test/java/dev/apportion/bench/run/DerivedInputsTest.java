package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.batch.Signals;
import dev.apportion.bench.batch.TurnReward;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.Task;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import dev.apportion.bench.testing.Batches;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The inputs derived for estimators the bench used to skip (issue 7 signal tiers, issue 14):
 * ArCHer's critic heads, ITPO's implicit PRM and metrics, TP-GRPO's PRM verdicts and the prefix
 * tree of AT²PO and SPO-tree run on every task of the quick suite; estimators without an honest
 * mapping stay skipped with the reason.
 */
class DerivedInputsTest {
    private static final EstimatorInputs INPUTS = EstimatorInputs.builtIn();
    static final List<String> FED = List.of("archer", "itpo", "tp_grpo", "at2po", "spo_tree", "target_decoupled_gae");

    private static SampledBatch batch(String family, Map<String, Object> knobs, long seed, int groupSize) {
        return Batches.sampled(family, knobs, seed, groupSize);
    }

    @Test
    void fedEstimatorsRunOnEveryQuickTask() {
        Suite quick = Suite.builtIn("quick");
        for (TaskEntry e : quick.tasks()) {
            Map<String, Object> knobs = new HashMap<>(e.knobs());
            if (e.sweepKnob() != null) knobs.put(e.sweepKnob(), e.sweepValues().get(0));
            SampledBatch b = batch(e.family(), knobs, 5, quick.groupSize());
            for (String id : FED) {
                Estimator est = EstimatorRegistry.global().get(id);
                Rollouts r = b.rollouts(INPUTS.of(id).source(), Signals.needsDerived(est.descriptor()));
                assertTrue(Requirements.missing(est.descriptor(), r).isEmpty(), id + " on " + e.id());
                Credit c = est.assign(r, Params.resolve(est.descriptor(), null, Map.of()), Execution.sequential());
                for (float x : c.advantages()) assertTrue(Float.isFinite(x), id + " on " + e.id() + ": " + x);
            }
        }
    }

    @Test
    void treeNodesArePrefixesSharedWithinAGroupAndLeavesAreOwn() {
        // a short deterministic-start task: a group of 16 episodes shares its first turns
        SampledBatch b = batch("bifurcation", Map.of("horizon", 4, "decisive", 1), 3, 16);
        Rollouts r = b.rollouts(TurnReward.ENV, true);
        int[] node = b.treeNode();
        int[] parent = b.treeParent();
        int shared = 0;
        for (int g = 0; g < r.groupCount(); g++) {
            Map<Integer, Integer> parentOf = new HashMap<>();
            Set<Integer> leaves = new HashSet<>();
            Set<Integer> inner = new HashSet<>();
            Map<Integer, Integer> visits = new HashMap<>();
            for (int m = r.groupMemberStart()[g]; m < r.groupMemberStart()[g + 1]; m++) {
                int i = r.groupMembers()[m];
                int last = -1;
                for (int s = r.spanStart(i); s < r.spanEnd(i); s++) if (r.isPolicySpan(s)) last = s;
                int up = -1;
                for (int s = r.spanStart(i); s < r.spanEnd(i); s++) {
                    if (!r.isPolicySpan(s)) continue;
                    assertEquals(up, parent[s], "parent of the span's node is the previous turn's node");
                    Integer known = parentOf.putIfAbsent(node[s], parent[s]);
                    if (known != null) assertEquals(known, parent[s], "one parent per node");
                    visits.merge(node[s], 1, Integer::sum);
                    if (s == last) assertTrue(leaves.add(node[s]), "each trajectory has its own leaf");
                    else inner.add(node[s]);
                    up = node[s];
                }
            }
            for (int l : leaves) assertTrue(!inner.contains(l), "a leaf is never inner");
            for (int v : visits.values()) if (v > 1) shared++;
        }
        assertTrue(shared > 0, "trajectories of a group share prefix nodes");
    }

    @Test
    void treeViewCarriesNodeKeysAndTheReturnAsOutcome() {
        SampledBatch b = batch("key_to_door", Map.of(), 9, 8);
        Rollouts t = b.rollouts(TurnReward.TREE);
        for (int s = 0; s < t.spanCount(); s++) {
            if (t.isPolicySpan(s)) assertEquals("n" + b.treeNode()[s], t.spanState()[s]);
        }
        for (int i = 0; i < t.trajectoryCount(); i++) assertEquals(b.returns()[i], t.outcome()[i], 1e-5);
    }

    @Test
    void archerHeadOneIsTheCriticOthersReadAndHeadTwoHasItsOwnNoise() {
        SampledBatch b = batch("agentic", Map.of(), 4, 8);
        Rollouts r = b.rollouts(TurnReward.ENV, true);
        float[] q = r.spanSignal(Signals.Q_VALUE);
        float[] q1 = r.spanSignal(Signals.CRITIC_Q1_PI);
        float[] q2 = r.spanSignal(Signals.CRITIC_Q2_PI);
        float[] v1 = r.spanSignal(Signals.CRITIC_V1);
        float[] cf = r.spanSignal(Signals.COUNTERFACTUAL_BASELINE);
        int differ = 0;
        for (int s : b.policySpans()) {
            assertEquals(q[s], q1[s]);
            assertEquals(cf[s], v1[s]);
            if (q1[s] != q2[s]) differ++;
        }
        assertTrue(differ > 0, "head 2 has independent noise");
        // exact in the privileged configuration: both heads equal V + A
        SampledBatch exact = batch("agentic", Map.of("signal_noise", 0.0), 4, 8);
        Rollouts e = exact.rollouts(TurnReward.ENV, true);
        for (int s : exact.policySpans()) {
            assertEquals(
                    e.spanSignal(Signals.CRITIC_Q1_PI)[s], e.spanSignal(Signals.CRITIC_Q2_PI)[s], 1e-6, "span " + s);
            assertEquals(e.spanSignal(Signals.CRITIC_V1)[s], e.spanSignal(Signals.CRITIC_V2)[s], 1e-6, "span " + s);
        }
    }

    @Test
    void itpoAndTpGrpoInputsFollowTheNoisyTeacherAndPrm() {
        SampledBatch b = batch("agentic", Map.of(), 6, 8);
        Rollouts r = b.rollouts(TurnReward.ENV, true);
        assertNull(b.rollouts().tokenSignal(Signals.RM_SCORE), "derived signals only where asked for");
        float[] rm = r.tokenSignal(Signals.RM_SCORE);
        float[] teacher = r.tokenSignal(Rollouts.TEACHER_LOGPROB);
        float[] lp = r.tokenSignal(Rollouts.LOGPROB);
        for (int t = 0; t < rm.length; t++) {
            float want = b.tokenKey()[t] >= 0 ? (float) (Signals.RM_SCORE_BETA * ((double) teacher[t] - lp[t])) : 0f;
            assertEquals(want, rm[t], 1e-6, "token " + t);
        }
        float[] prm = r.spanSignal(Signals.PRM);
        float[] label = r.spanSignal(Signals.PRM_LABEL);
        for (int s : b.policySpans()) assertEquals(prm[s] >= 0.5 ? 1f : -1f, label[s], "span " + s);
        float[] acc = r.trajectorySignal(Signals.ACCURACY);
        for (int i = 0; i < r.trajectoryCount(); i++) assertEquals(b.success()[i] ? 1f : 0f, acc[i]);
        assertNotNull(r.trajectorySignal(Signals.TOKEN_AMOUNT));
    }

    @Test
    void valueHeadsAreDiscountedValuesAtTheEstimatorsGammas() {
        TaskFamily f = TaskFamilies.get("key_to_door");
        Task t = f.create(f.knobs(Map.of()), new SplittableRandom(2));
        TabularPolicy p = TabularPolicy.random(t.mdp(), 1.0, new SplittableRandom(3));
        Solution sol = Solution.of(t.mdp(), p);
        double[] one = sol.discountedValues(1.0);
        double[] half = sol.discountedValues(0.5);
        int below = 0;
        for (int s = 0; s < t.mdp().stateCount(); s++) {
            assertEquals(sol.v(s), one[s], 1e-9, "state " + s);
            if (Math.abs(half[s] - one[s]) > 1e-9) below++;
        }
        assertTrue(below > 0, "a shorter horizon changes some values");
        Estimator e = EstimatorRegistry.global().get("target_decoupled_gae");
        Object gammas = Params.resolve(e.descriptor(), null, Map.of()).values().get("gammas");
        assertEquals(
                java.util.Arrays.toString(Signals.VALUE_HEAD_GAMMAS),
                java.util.Arrays.toString(((List<?>) gammas)
                        .stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray()),
                "the heads follow the estimator's default discounts");
        // privileged: head k on a policy token is exactly V_gamma_k of its state
        Task exactTask = f.create(f.knobs(Map.of("signal_noise", 0.0)), new SplittableRandom(2));
        Solution exactSol = Solution.of(exactTask.mdp(), p);
        SampledBatch exact = BatchSampler.sample(exactTask, p, exactSol, 2, 4, new SplittableRandom(4));
        for (int k = 0; k < 4; k++) {
            float[] head = exact.rollouts(TurnReward.ENV, true).tokenSignal("value_h" + k);
            double[] vg = exactSol.discountedValues(Signals.VALUE_HEAD_GAMMAS[k]);
            for (int tok : exact.policyTokens()) {
                int s = exactTask.mdp().pairState((int) exact.tokenKey()[tok]);
                assertEquals((float) vg[s], head[tok], "head " + k + " token " + tok);
            }
        }
    }

    @Test
    void estimatorsWithoutAnHonestInputStaySkippedWithTheReason() {
        for (String id : List.of("delta", "flowtracer", "appo")) {
            assertNotNull(INPUTS.unavailable(id), id);
        }
        for (String id : FED) assertNull(INPUTS.unavailable(id), id);
        assertEquals(TurnReward.TREE, INPUTS.of("spo_tree").source());
    }

    @Test
    void theFedEstimatorsAskForTheDerivedSignals() {
        for (String id : FED) {
            Estimator e = EstimatorRegistry.global().get(id);
            assertTrue(
                    Signals.needsDerived(e.descriptor()) || INPUTS.of(id).source() == TurnReward.TREE,
                    id + " gets the derived signals");
        }
        assertTrue(!Signals.needsDerived(EstimatorRegistry.global().get("grpo").descriptor()));
    }

    @Test
    void newSignalsCarryATier() {
        for (Signals.Doc d : Signals.docs()) assertNotNull(d.tier(), d.name());
        // tiers of the fed estimators: the tree is structure, the critic heads / PRM / teacher are model-derived
        EstimatorRegistry reg = EstimatorRegistry.global();
        assertEquals(Tiers.OUTCOME, Tiers.of(reg.get("spo_tree"), TurnReward.TREE, false));
        assertEquals(Tiers.OBSERVABLE, Tiers.of(reg.get("archer"), TurnReward.ENV, false));
        assertEquals(Tiers.PRIVILEGED, Tiers.of(reg.get("archer"), TurnReward.ENV, true));
        assertEquals(Tiers.PRIVILEGED, Tiers.of(reg.get("itpo"), TurnReward.ENV, true));
        assertEquals(Tiers.PRIVILEGED, Tiers.of(reg.get("tp_grpo"), TurnReward.ENV, true));
        assertEquals(Tiers.OBSERVABLE, Tiers.of(reg.get("at2po"), TurnReward.ENV, false));
    }
}
