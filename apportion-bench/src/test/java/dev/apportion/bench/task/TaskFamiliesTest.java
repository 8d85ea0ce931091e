package dev.apportion.bench.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.bench.mdp.Episode;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Dynamics, knob validation and metadata of the task families. */
class TaskFamiliesTest {
    private static Task task(String family, Map<String, Object> knobs) {
        TaskFamily f = TaskFamilies.get(family);
        return f.create(f.knobs(knobs), new SplittableRandom(5));
    }

    @Test
    void everyFamilyRecordsTheProtocolMetadata() {
        for (TaskFamily f : TaskFamilies.all()) {
            Task t = f.create(f.knobs(Map.of()), new SplittableRandom(1));
            for (String k : List.of(
                    "horizon",
                    "reward",
                    "stochastic_transitions",
                    "observability",
                    "branching",
                    "verifier",
                    "agents",
                    "decisive_steps",
                    "distractor_rewards")) {
                assertTrue(t.metadata().containsKey(k), f.id() + " lacks metadata " + k);
            }
            assertTrue(Solution.optimalSuccess(t.mdp()) > 0.9, f.id() + " is solvable");
            double uni = Solution.of(t.mdp(), TabularPolicy.uniform(t.mdp())).startSuccess();
            assertTrue(uni > 0.01 && uni < 0.9, f.id() + " default uniform success " + uni + " leaves room to learn");
        }
    }

    @Test
    void knobsAreValidatedWithMessagesNamingThem() {
        TaskFamily b = TaskFamilies.get("bifurcation");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.knobs(Map.of("horizn", 3)));
        assertTrue(e.getMessage().contains("'horizn'") && e.getMessage().contains("horizon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.knobs(Map.of("horizon", 0)));
        assertTrue(e.getMessage().contains("horizon") && e.getMessage().contains(">= 1"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> b.create(b.knobs(Map.of("horizon", 2, "decisive", 3)), new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("decisive"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> b.create(
                        b.knobs(Map.of("horizon", 4, "decisive", 2, "positions", "3,1")), new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("increasing"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskFamilies.get("nope"));
        assertEquals("bifurcation[horizon=4]", b.knobs(Map.of("horizon", "4")).canonical());
    }

    @Test
    void inconsistentKnobsAreRefusedWithMessagesNamingFamilyKnobAndValues() {
        assertEquals(
                "task 'agentic': knob 'max_turns' (5) must be >= trace_length + 1 (6)",
                refusal("agentic", Map.of("trace_length", 5, "max_turns", 5)));
        assertEquals(
                "task 'bifurcation': knob 'decisive_token' must be < tokens_per_turn (2), got 3",
                refusal("bifurcation", Map.of("tokens_per_turn", 2, "decisive_token", 3)));
        assertEquals(
                "task 'bifurcation': knob 'decisive' (3) must be <= horizon (2)",
                refusal("bifurcation", Map.of("horizon", 2, "decisive", 3)));
        assertEquals(
                "task 'bifurcation': knob 'threshold' (3) must be <= decisive (2)",
                refusal("bifurcation", Map.of("decisive", 2, "threshold", 3)));
        assertEquals(
                "task 'bifurcation': knob 'positions' has 1 entries but decisive = 2",
                refusal("bifurcation", Map.of("decisive", 2, "positions", "1")));
        assertEquals(
                "task 'bifurcation': knob 'positions' entry 9.0 is not a turn in [0, 4)",
                refusal("bifurcation", Map.of("horizon", 4, "decisive", 2, "positions", "1,9")));
        assertEquals(
                "task 'bifurcation': knob 'positions' must be strictly increasing",
                refusal("bifurcation", Map.of("horizon", 4, "decisive", 2, "positions", "3,1")));
        assertEquals(
                "task 'key_to_door': knob 'distractor_rewards' must hold 1 or 2 values, got 3",
                refusal("key_to_door", Map.of("distractor_rewards", "0.1,0.2,0.3")));
    }

    private static String refusal(String family, Map<String, Object> knobs) {
        return assertThrows(IllegalArgumentException.class, () -> task(family, knobs))
                .getMessage();
    }

    @Test
    void bifurcationDecisiveTurnsAndAnd() {
        Task t = task("bifurcation", Map.of("horizon", 6, "decisive", 2, "positions", List.of(1, 4)));
        Mdp m = t.mdp();
        @SuppressWarnings("unchecked")
        List<Integer> correct = (List<Integer>) t.instance().get("correct_actions");
        // uniform binary policy: both decisive turns right with probability 1/4
        assertEquals(0.25, Solution.of(m, TabularPolicy.uniform(m)).startSuccess(), 1e-12);
        Solution sol = Solution.of(m, TabularPolicy.uniform(m));
        int s0 = m.startStates()[0];
        assertEquals(0.0, sol.spread(s0), 1e-12, "turn 0 is irrelevant");
        // the state at turn 1 (decisive): Q of the correct action is 1/2, the wrong one 0
        int s1 = m.next(m.transitionStart(m.pair(s0, 0)));
        assertEquals(0.5, sol.q(m.pair(s1, correct.get(0))), 1e-12);
        assertEquals(0.0, sol.q(m.pair(s1, 1 - correct.get(0))), 1e-12);
    }

    @Test
    void umbrellaFollowsBsuite() {
        Task t = task("umbrella", Map.of("chain_length", 1, "n_distractor", 0));
        Mdp m = t.mdp();
        assertEquals(4, m.startStates().length, "need and has are fair coins at reset");
        for (int s0 : m.startStates()) {
            for (int a = 0; a < 2; a++) {
                int end = m.next(m.transitionStart(m.pair(s0, a)));
                assertTrue(m.terminal(end), "chain_length 1 ends after one step");
                String obs = m.observation(s0);
                boolean need = obs.charAt(1) == '1';
                assertEquals(need == (a == 1) ? 1.0 : -1.0, m.outcome(end), obs + " action " + a);
            }
        }
        Task longer = task("umbrella", Map.of("chain_length", 5, "n_distractor", 4));
        Episode e = Episode.sample(
                longer.mdp(),
                Solution.of(longer.mdp(), TabularPolicy.uniform(longer.mdp())),
                longer.mdp().startStates()[0],
                false,
                new SplittableRandom(3));
        assertEquals(5, e.length());
        for (int k = 0; k < 4; k++) assertEquals(1.0, Math.abs(e.rewards()[k]), 1e-12, "intermediate rewards are +-1");
        assertEquals(0.0, e.rewards()[4], 1e-12, "the last step's reward is the outcome");
    }

    @Test
    void discountingChainPaysAtTheChainsStep() {
        Task t = task("discounting_chain", Map.of("mapping_seed", 7)); // bonus chain 2, pays at t = 10
        Mdp m = t.mdp();
        int s0 = m.startStates()[0];
        TabularPolicy p = TabularPolicy.uniform(m);
        Solution sol = Solution.of(m, p);
        assertEquals(1.1, sol.q(m.pair(s0, 2)), 1e-12);
        assertEquals(1.0, sol.q(m.pair(s0, 4)), 1e-12);
        assertEquals(1.0, sol.qSuccess(m.pair(s0, 2)), 1e-12);
        assertEquals(0.2, sol.startSuccess(), 1e-12);
        int s = m.next(m.transitionStart(m.pair(s0, 2)));
        double paid = 0;
        int when = -1;
        while (!m.terminal(s)) {
            int tr = m.transitionStart(m.pair(s, 0));
            if (m.rewardMean(tr) != 0) {
                paid = m.rewardMean(tr);
                when = m.turn(s) + 1;
            }
            s = m.next(tr);
        }
        assertEquals(1.1, paid, 1e-12);
        assertEquals(10, when);
        assertEquals(100, m.turn(s), "episodes last 100 steps");
    }

    @Test
    void keyToDoorNeedsKeyAndDoorAndPaysTheTreasureLast() {
        Task t = task("key_to_door", Map.of("length", 8, "scale_with_length", false, "distractor_rewards", "0.1,0.9"));
        Mdp m = t.mdp();
        int s = m.startStates()[0];
        // pick the key (0), ignore apples (action 3 never picks one), open the door (3)
        double steps = 0;
        while (!m.terminal(s)) {
            int a = m.turn(s) == 0 ? 0 : 3;
            int tr = m.transitionStart(m.pair(s, a));
            steps += m.rewardMean(tr);
            s = m.next(tr);
        }
        assertTrue(m.success(s));
        assertEquals(0.2, m.outcome(s), 1e-12);
        assertEquals(0.0, steps, 1e-12);
        assertEquals(8, m.turn(s));
    }

    @Test
    void agenticVerifierAndBiasedAction() {
        Task t = task("agentic", Map.of("trace_length", 1, "tools", 2, "max_turns", 3, "tool_failure", 0.0));
        Mdp m = t.mdp();
        int s0 = m.startStates()[0];
        @SuppressWarnings("unchecked")
        String tool = ((List<String>) t.instance().get("tool_trace")).get(0);
        int right = tool.equals("search") ? 0 : 1;
        assertEquals(1.0, m.verifier(m.pair(s0, right)));
        assertEquals(0.0, m.verifier(m.pair(s0, 1 - right)));
        assertEquals(0.0, m.verifier(m.pair(s0, 2)), "answering without the trace is not verified");
        assertTrue(m.prmBiased(m.pair(s0, 3)), "restate carries the PRM's biased feature");
        assertEquals("call:" + tool, m.actionName(right));
    }
}
