package dev.apportion.core.estimator.step;

import static dev.apportion.core.testing.PaperBatches.stepValue;
import static dev.apportion.core.testing.PaperBatches.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CapoTest extends EstimatorContract {
    private static final String VOTES = "step_error_votes";
    private final Capo est = new Capo();

    @Override
    protected Estimator estimator() {
        return est;
    }

    /** RandomBatches carry prm in [0, 1] on every policy span: read it as the vote fraction. */
    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>();
        for (String norm : List.of("group_tokens", "outcome_plus_penalty", "none")) {
            out.add(resolved(null, Map.of("error_signal", "prm", "normalization", norm)));
        }
        for (String preset : est.descriptor().presets().keySet()) {
            out.add(resolved(preset, Map.of("error_signal", "prm")));
        }
        return out;
    }

    private Params p(Object... kv) {
        Map<String, Object> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return resolved(null, m);
    }

    @Test
    void votingRulesOfTheNotes() {
        // N = 4 critiques; step 1 listed 3 times, step 2 twice, step 3 four times
        double[] fraction = {0.0, 0.75, 0.5, 1.0};
        boolean[][] want = {
            {false, true, false, true}, // majority (> N/2): {1, 3}
            {false, false, false, true}, // intersection: {3}
            {false, true, true, true}
        }; // union: {1, 2, 3}
        Capo.Voting[] rules = {Capo.Voting.MAJORITY, Capo.Voting.INTERSECTION, Capo.Voting.UNION};
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 4; k++)
                assertEquals(want[r][k], Capo.vote(rules[r], fraction[k]), rules[r] + " step " + k);
        }
    }

    @Test
    void rawTokenRewardsOfTheNotes() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "q", "right", 1.0, 2, VOTES, 0.0, 0.75, 0.5, 1.0);
        steps(b, "q", "wrong", 0.0, 2, VOTES, 0.0, 0.75, 0.5, 1.0);
        Rollouts batch = b.build();
        Credit c = est.assign(batch, p("normalization", "none"));
        // W_whole = 2, W_process = 1, T_err = {1, 3}: correct → [2, 1, 2, 1], incorrect → [0, −1, 0, −1]
        double[][] want = {{2, 1, 2, 1}, {0, -1, 0, -1}};
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 4; k++) assertEquals(want[i][k], stepValue(batch, c.advantages(), i, k), 1e-6);
        }
        assertEquals(4.0, c.diagnostics().get("wrong_steps"));
        Credit union = est.assign(batch, p("normalization", "none", "voting", "union"));
        assertEquals(1.0, stepValue(batch, union.advantages(), 0, 2), 1e-6);
        // average (the paper's third rule, read as a soft penalty): 2 − share → [2, 1.25, 1.5, 1] and [0, −.75, −.5,
        // −1]
        Credit avg = est.assign(batch, p("normalization", "none", "voting", "average"));
        double[][] soft = {{2, 1.25, 1.5, 1}, {0, -0.75, -0.5, -1}};
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 4; k++)
                assertEquals(soft[i][k], stepValue(batch, avg.advantages(), i, k), 1e-6, "average " + i + "/" + k);
        }
        assertEquals(6.0, avg.diagnostics().get("wrong_steps"), "steps listed by at least one critique");
    }

    private static Rollouts twoResponses() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "q", "a", 1.0, 2, VOTES, 0.0, 1.0, 0.0); // token rewards 2 2 | 1 1 | 2 2
        steps(b, "q", "b", 0.0, 2, VOTES, 1.0, 0.0); // token rewards −1 −1 | 0 0
        return b.build();
    }

    @Test
    void groupTokenNormalization() {
        Rollouts batch = twoResponses();
        float[] a = est.assign(batch).advantages();
        // 10 token rewards, mean 0.8, unbiased std 1.2292725943 (computed by hand)
        assertEquals(0.9761862660669517, stepValue(batch, a, 0, 0), 1e-5);
        assertEquals(0.1626977110111586, stepValue(batch, a, 0, 1), 1e-5);
        assertEquals(0.9761862660669517, stepValue(batch, a, 0, 2), 1e-5);
        assertEquals(-1.4642793991004277, stepValue(batch, a, 1, 0), 1e-5);
        assertEquals(-0.6507908440446345, stepValue(batch, a, 1, 1), 1e-5);
    }

    @Test
    void outcomeZScorePlusPenalty() {
        Rollouts batch = twoResponses();
        float[] a =
                est.assign(batch, p("normalization", "outcome_plus_penalty")).advantages();
        double z = 1 / (Math.sqrt(2) + 1e-6); // outcomes·2 = [2, 0]: mean 1, unbiased std √2
        assertEquals(z, stepValue(batch, a, 0, 0), 1e-5);
        assertEquals(z - 1, stepValue(batch, a, 0, 1), 1e-5);
        assertEquals(-z - 1, stepValue(batch, a, 1, 0), 1e-5);
        assertEquals(-z, stepValue(batch, a, 1, 1), 1e-5);
    }

    @Test
    void noFlagsMeansPureOutcomeCreditAndEqualRewardsGiveZero() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "q", "a", 1.0, 2, VOTES, 0.0, 0.0);
        steps(b, "q", "b", 1.0, 3, VOTES, 0.0);
        float[] a = est.assign(b.build()).advantages();
        for (float x : a) assertEquals(0f, x, 0f);
        RolloutsBuilder c = Rollouts.builder();
        steps(c, "q", "a", 1.0, 2, VOTES, 0.0, 0.0);
        steps(c, "q", "b", 0.0, 2, VOTES, 0.0, 0.0);
        Rollouts batch = c.build();
        float[] raw = est.assign(batch, p("normalization", "none")).advantages();
        assertEquals(2.0, stepValue(batch, raw, 0, 1), 0);
        assertEquals(0.0, stepValue(batch, raw, 1, 1), 0);
    }

    @Test
    void badInputsAreNamed() {
        RolloutsBuilder b = Rollouts.builder();
        steps(b, "q", "a", 1.0, 2, VOTES, 0.0, 1.5);
        RolloutException e = assertThrows(RolloutException.class, () -> est.assign(b.build()));
        assertTrue(e.getMessage().contains("vote fraction") && e.getMessage().contains("1.5"), e.getMessage());
        RolloutsBuilder c = Rollouts.builder();
        steps(c, "q", "a", Double.NaN, 2, VOTES, 0.0);
        RolloutException f = assertThrows(RolloutException.class, () -> est.assign(c.build()));
        assertTrue(f.getMessage().contains("outcome"), f.getMessage());
        assertFalse(f.getMessage().isEmpty());
        RolloutsBuilder d = Rollouts.builder();
        steps(d, "q", "a", 1.0, 2, "prm", 0.0);
        RolloutException g = assertThrows(RolloutException.class, () -> est.assign(d.build()));
        assertTrue(g.getMessage().contains("step_error_votes"), g.getMessage());
    }
}
