package dev.apportion.core.estimator.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrlTest extends EstimatorContract {
    private static final Prl EST = new Prl();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        List<Params> out = new ArrayList<>(super.parameterSets());
        out.add(params(Map.of("adv", "orm", "step_len", 3, "eta", 2.0)));
        out.add(params(Map.of("adv", "orm", "step_split", "n", "norm_adv_by_std_in_grpo", false)));
        out.add(params(Map.of("adv", "orm", "n", 1, "step_len", 0)));
        return out;
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Two responses of 4 tokens after a 1-token prompt, outcomes 1 and 0, log-ratio 0.1 on every token. */
    static Rollouts pair(String[] text) {
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < 2; i++) {
            b.trajectory("q", "r" + i)
                    .outcome(1 - i)
                    .span(Role.CONTEXT, 1)
                    .span(Role.POLICY, 4)
                    .tokenSignal(Rollouts.OLD_LOGPROB, new float[] {0, -1.0f, -1.0f, -1.0f, -1.0f})
                    .tokenSignal(Rollouts.REF_LOGPROB, new float[] {0, -1.1f, -1.1f, -1.1f, -1.1f});
            if (text != null) b.tokenText(text);
        }
        return b.build();
    }

    /**
     * orm, n > 1, eta 1, step_len 2: a = ±1/(0.7071 + 1e-6)·0.7071; the log-ratio to go from token j is
     * 0.1·(4 − j); step ends j = 1, 3 keep a − 0.3 and a − 0.1, and each step carries its end's value.
     */
    @Test
    void workedExampleOrmLengthSplit() {
        Credit c = EST.assign(pair(null), params(Map.of("adv", "orm", "eta", 1.0, "step_len", 2)));
        double std = Math.sqrt(0.5);
        float a = (float) (0.5 / (std + 1e-6));
        float[] want = {0, a - 0.3f, a - 0.3f, a - 0.1f, a - 0.1f, 0, -a - 0.3f, -a - 0.3f, -a - 0.1f, -a - 0.1f};
        assertArrayEquals(want, c.advantages(), 1e-6f);
        assertArrayEquals(want, c.returns(), 1e-6f);
        float[] v = Prl.tokenRewards(pair(null), params(Map.of("adv", "orm", "eta", 1.0, "step_len", 2)));
        assertArrayEquals(new float[] {0, 0, a - 0.3f, 0, a - 0.1f, 0, 0, -a - 0.3f, 0, -a - 0.1f}, v, 1e-6f);
    }

    /** prm: raw outcome on every token minus its own log-ratio to go, no step mask. */
    @Test
    void prmModeGivesEveryTokenItsOwnValue() {
        Credit c = EST.assign(pair(null), params(Map.of("eta", 1.0)));
        assertArrayEquals(
                new float[] {0, 0.6f, 0.7f, 0.8f, 0.9f, 0, -0.4f, -0.3f, -0.2f, -0.1f}, c.advantages(), 1e-6f);
    }

    /** Newline split: step ends at "\n" tokens and at the last response token. */
    @Test
    void newlineSplitUsesTokenText() {
        String[] text = {"Q", "a", "\n", "b", "c"};
        Credit c = EST.assign(pair(text), params(Map.of("adv", "orm", "eta", 1.0, "step_split", "n")));
        float a = (float) (0.5 / (Math.sqrt(0.5) + 1e-6));
        assertArrayEquals(
                new float[] {0, a - 0.3f, a - 0.3f, a - 0.1f, a - 0.1f},
                java.util.Arrays.copyOf(c.advantages(), 5),
                1e-6f);
    }

    @Test
    void newlineSplitWithoutGroupingIsRefused() {
        RolloutException e = assertThrows(
                RolloutException.class,
                () -> EST.assign(
                        pair(new String[] {"Q", "a", "\n", "b", "c"}),
                        params(Map.of("adv", "orm", "step_split", "nn", "n", 1))));
        assertTrue(e.getMessage().contains("n > 1"), e.getMessage());
    }
}
