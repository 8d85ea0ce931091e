package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RlLoopTest {
    private static final ModelConfig TINY = ModelConfig.tiny();

    @Test
    void recordsTurnsSignalsAndAnchorStates() {
        Weights w = Weights.init(TINY, 2);
        Task task = Task.named("tool", 1);
        Task.Problem p = new Task.Problem("t:3*4+5=", "17", List.of("[3*4]", "12;", "17"));
        List<Episode> eps =
                List.of(Episode.demonstration(0, p, TINY.maxLen()), Episode.demonstration(0, p, TINY.maxLen()));
        eps.get(0).reward = 1;
        Policy.Scores s = Policy.score(w, eps, true);
        Rollouts b = Recorder.record("g", eps, s, s, null);
        assertEquals(2, b.trajectoryCount());
        assertEquals(1, b.groupCount());
        assertEquals(4, b.spanEnd(0) - b.spanStart(0));
        assertEquals(Role.CONTEXT, b.spanRole(0));
        assertEquals(Role.POLICY, b.spanRole(1));
        assertEquals("t:3*4+5=", b.spanState()[1]);
        assertEquals("t:3*4+5=[3*4]12;", b.spanState()[3]);
        for (String sig : new String[] {
            Rollouts.LOGPROB,
            Rollouts.OLD_LOGPROB,
            Rollouts.REF_LOGPROB,
            Rollouts.ENTROPY,
            "attn_received",
            "hidden_norm"
        }) {
            assertEquals(b.tokenCount(), b.tokenSignal(sig).length, sig);
        }
        assertEquals(1f, b.outcome()[0]);
    }

    private static double rl(long seed, int steps, Weights w, Weights ref, Task task, String estimator) {
        Trainer.RlConfig cfg = new Trainer.RlConfig(
                estimator, null, Map.of(), 8, 8, 1e-3, 0.2, 1, Policy.Aggregation.TOKEN_MEAN, 0.0, 4);
        Trainer t = new Trainer(task, w, ref, cfg, EstimatorRegistry.global(), seed);
        for (int s = 0; s < steps; s++) t.step();
        return Trainer.evaluate(w, task, 128, seed);
    }

    /**
     * An easy task: the warm-up demonstrates four two-letter answers uniformly, the verifier
     * rewards only "aa"; RL must move the policy towards it (a behaviour shared by all prompts,
     * so a few steps suffice).
     */
    record Prefer() implements Task {
        public String name() {
            return "prefer";
        }

        public Problem sample(SplittableRandom r) {
            String prompt = "q:" + (char) ('a' + r.nextInt(26)) + "=";
            String demo = "" + (char) ('a' + r.nextInt(2)) + (char) ('a' + r.nextInt(2));
            return new Problem(prompt, "aa", List.of(demo));
        }
    }

    @Test
    void aFewRlStepsRaiseSuccessOnAnEasyTaskAndAreReproducible() {
        Task task = new Prefer();
        Weights w = Weights.init(TINY, 7);
        Trainer.warmup(w, task, 80, 32, 3e-3, 7, null);
        Weights ref = w.copy();
        double before = Trainer.evaluate(w, task, 128, 7);
        assertTrue(before > 0.1 && before < 0.45, "warm-up reproduces the demonstrations' mix: " + before);
        Weights b = w.copy();
        rl(7, 2, b, ref, task, "grpo");
        Weights c = w.copy();
        rl(7, 2, c, ref, task, "grpo");
        assertArrayEquals(b.data(), c.data(), "same seed, same weights");
        Weights a = w.copy();
        double after = rl(7, 14, a, ref, task, "grpo");
        System.out.println("prefer: before " + before + " after " + after);
        assertTrue(after >= before + 0.2 && after >= 0.5, "success before " + before + ", after " + after);
    }

    @Test
    void mcValueEstimatorsGetBranchingValues() {
        Task task = Task.named("tool", 1);
        Weights w = Weights.init(TINY, 3);
        Trainer.RlConfig cfg = new Trainer.RlConfig(
                "vineppo", null, Map.of(), 2, 2, 1e-3, 0.2, 1, Policy.Aggregation.SEQ_MEAN_TOKEN_MEAN, 0.1, 2);
        Trainer t = new Trainer(task, w, w.copy(), cfg, EstimatorRegistry.global(), 1);
        Trainer.StepStats st = t.step();
        assertTrue(st.samples() > 4, "branching continuations are charged to the budget: " + st.samples());
    }

    @Test
    void spearmanHandlesTies() {
        assertEquals(1.0, CreditQuality.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        assertEquals(-1.0, CreditQuality.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
        assertEquals(0.0, CreditQuality.spearman(new double[] {1, 1, 1}, new double[] {3, 2, 1}), 1e-12);
        assertEquals(0.8660254, CreditQuality.spearman(new double[] {1, 1, 2}, new double[] {1, 2, 3}), 1e-6);
    }

    @Test
    void oracleOnAFinishedPrefixIsExact() {
        Task task = Task.named("addition", 1);
        Weights w = Weights.init(TINY, 4);
        Task.Problem p = new Task.Problem("3+4=", "7", List.of("7"));
        Episode e = Episode.demonstration(0, p, TINY.maxLen());
        e.reward = 1;
        // the prefix "<bos>3+4=7" leaves only the <eos> to sample; its value is P(eos) ∈ [0, 1]
        BranchingOracle.Values v = BranchingOracle.values(
                w, task, List.of(e), new int[] {0}, new int[] {e.length() - 1}, 8, new SplittableRandom(1));
        assertTrue(v.mean()[0] >= 0 && v.mean()[0] <= 1);
        assertEquals(8, v.samples());
    }
}
