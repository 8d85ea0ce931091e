package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.testing.EstimatorContract;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoadTest extends EstimatorContract {
    private static final Poad EST = new Poad();

    @Override
    protected Estimator estimator() {
        return EST;
    }

    @Override
    protected List<Params> parameterSets() {
        return defaultSetsAnd(params(Map.of("algorithm", "ARCHER", "gamma", 1.0, "gae_lambda", 1.0)));
    }

    static Params params(Map<String, ?> v) {
        return Params.resolve(EST.descriptor(), null, v);
    }

    /** Action 0 (2 tokens, V .5 .6, reward 0), an observation of 2 tokens, action 1 (1 token, V .7, reward 1). */
    static Rollouts episode(Double nextValue) {
        RolloutsBuilder b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 2, 0.0, null, null)
                .span(Role.CONTEXT, 2)
                .span(Role.POLICY, 1, 1.0, null, null)
                .tokenSignal(Rollouts.VALUE, new float[] {0.5f, 0.6f, 9, 9, 0.7f});
        if (nextValue != null) b.signal(Poad.NEXT_VALUE, nextValue);
        return b.build();
    }

    /**
     * γ = 0.9, λ = 0.8. Action 1 ends the episode: δ = 1 − 0.7 = 0.3. Action 0's end bootstraps from the
     * first token of action 1: δ = 0.9·0.7 − 0.6 = 0.03, g = 0.03 + 0.72·0.3 = 0.246. Inside action 0
     * (POAD): δ = 0.6 − 0.5, g = 0.1 + 0.8·0.246 = 0.2968; NTPO: δ = 0.9·0.6 − 0.5, g = 0.04 + 0.72·0.246.
     */
    @Test
    void workedExample() {
        Credit poad = EST.assign(episode(null), params(Map.of("gamma", 0.9, "gae_lambda", 0.8)));
        assertArrayEquals(new float[] {0.2968f, 0.246f, 0, 0, 0.3f}, poad.advantages(), 1e-6f);
        assertArrayEquals(new float[] {0.7968f, 0.846f, 0, 0, 1.0f}, poad.returns(), 1e-6f);
        Credit ntpo = EST.assign(episode(null), params(Map.of("gamma", 0.9, "gae_lambda", 0.8, "algorithm", "NTPO")));
        assertEquals(0.04 + 0.72 * 0.246, ntpo.advantages()[0], 1e-6);
        // a continuing episode bootstraps from next_value: δ = 1 + 0.9·0.5 − 0.7
        Credit go = EST.assign(episode(0.5), params(Map.of("gamma", 0.9, "gae_lambda", 0.8)));
        assertEquals(0.75, go.advantages()[4], 1e-6);
    }

    /** ARCHER bootstraps from the last token of the next action; the action level uses one value per action. */
    @Test
    void archerAndActionLevel() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 1, 0.0, null, null)
                .span(Role.POLICY, 2, 1.0, null, null)
                .tokenSignal(Rollouts.VALUE, new float[] {0.5f, 0.6f, 0.7f})
                .build();
        Credit archer = EST.assign(b, params(Map.of("gamma", 1.0, "gae_lambda", 1.0, "algorithm", "ARCHER")));
        // action 1: last token δ = 1 − 0.7, inside δ = 0.7 − 0.6 → 0.4; action 0: δ = 0.7 − 0.5 = 0.2, g = 0.2 + 0.4
        assertArrayEquals(new float[] {0.6f, 0.4f, 0.3f}, archer.advantages(), 1e-6f);
        Credit action = EST.assign(b, params(Map.of("gamma", 1.0, "gae_lambda", 1.0, "level", "action")));
        // action values 0.5, 0.6: action 1 δ = 1 − 0.6 = 0.4; action 0 δ = 0.6 − 0.5 + 0.4
        assertArrayEquals(new float[] {0.5f, 0.4f, 0.4f}, action.advantages(), 1e-6f);
        assertArrayEquals(new float[] {1.0f, 1.0f, 1.0f}, action.returns(), 1e-6f);
    }

    @Test
    void anActionWithoutTokensIsRefused() {
        Rollouts b = Rollouts.builder()
                .trajectory("g", "e")
                .span(Role.POLICY, 0)
                .span(Role.CONTEXT, 1)
                .tokenSignal(Rollouts.VALUE, new float[1])
                .build();
        RolloutException e = assertThrows(RolloutException.class, () -> EST.assign(b, params(Map.of())));
        assertTrue(e.getMessage().contains("without tokens"), e.getMessage());
    }

    /**
     * Multi-turn episodes with and without token rewards, every algorithm and level: the estimator
     * gives, bit for bit, what the per-action sum over {@link Rollouts#denseTokenRewards()} and the
     * backup restated here give; into NaN-filled buffers and split over two threads alike.
     */
    @Test
    void denseRewardSumsBuffersAndThreadsGiveTheSameBits() {
        for (boolean tokenRewards : new boolean[] {true, false}) {
            Rollouts b = LongSpans.turns(41, 23, tokenRewards);
            int n = b.tokenCount();
            for (String algorithm : List.of("POAD", "NTPO", "ARCHER")) {
                for (String level : List.of("token", "action")) {
                    Params p = params(Map.of("algorithm", algorithm, "level", level, "gamma", 0.99, "gae_lambda", 0.9));
                    String what = algorithm + " " + level + " token rewards " + tokenRewards;
                    float[][] want = restated(b, algorithm, level.equals("action"), 0.99, 0.9);
                    Credit fresh = EST.assign(b, p);
                    assertArrayEquals(want[0], fresh.advantages(), what);
                    assertArrayEquals(want[1], fresh.returns(), what);
                    Credit.Buffers buffers = new Credit.Buffers();
                    Arrays.fill(buffers.advantages(n), Float.NaN);
                    Arrays.fill(buffers.returns(n), Float.NaN);
                    try (Execution two = Execution.splittingAll(2)) {
                        Credit split = EST.assign(b, p, two, buffers);
                        assertSame(buffers.advantages(n), split.advantages(), what);
                        assertArrayEquals(want[0], split.advantages(), what + " (buffers, 2 threads)");
                        assertArrayEquals(want[1], split.returns(), what + " (buffers, 2 threads)");
                    }
                }
            }
        }
    }

    /**
     * The token-level backup and the per-action reward sums run four trajectories' chains side by
     * side: many episodes of different lengths, with token rewards (one-token actions, actions next to each other, an episode without actions, bootstrap
     * values on some episodes and NaN on others) give, bit for bit, what the one-trajectory backup
     * restated here gives, for every algorithm and for γ = λ = 1, sequentially, on two threads and
     * into reused buffers.
     */
    @Test
    void laneInterleavedBackupMatchesTheOneTrajectoryBackupBitForBit() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(2024);
        RolloutsBuilder bb = Rollouts.builder();
        int trajectories = 37;
        for (int i = 0; i < trajectories; i++) {
            bb.trajectory("g" + (i % 3), "e" + i);
            int n = 0;
            int actions = i == 9 ? 0 : 1 + r.nextInt(i % 5 == 0 ? 2 : 14);
            if (r.nextBoolean()) {
                int c = 1 + r.nextInt(9);
                bb.span(Role.CONTEXT, c);
                n += c;
            }
            for (int k = 0; k < actions; k++) {
                int len = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(i % 7 == 0 ? 300 : 60);
                bb.span(Role.POLICY, len, r.nextInt(3) == 0 ? r.nextDouble(-1, 1) : Double.NaN, null, null);
                n += len;
                int c = r.nextInt(3) == 0 ? 0 : r.nextInt(12);
                if (c > 0) {
                    bb.span(Role.CONTEXT, c);
                    n += c;
                }
            }
            if (n == 0) {
                bb.span(Role.CONTEXT, 5);
                n = 5;
            }
            float[] value = new float[n];
            float[] reward = new float[n];
            for (int t = 0; t < n; t++) {
                value[t] = (float) r.nextDouble(-1, 2);
                if (r.nextInt(3) == 0) reward[t] = (float) r.nextDouble(-0.3, 0.3);
            }
            bb.tokenSignal(Rollouts.VALUE, value);
            bb.tokenSignal(Rollouts.REWARD, reward);
            if (r.nextInt(4) != 0) bb.outcome(r.nextInt(3) - 0.5);
            if (r.nextBoolean()) bb.signal(Poad.NEXT_VALUE, r.nextDouble(-1, 2)); // absent: NaN, the episode ended
        }
        Rollouts b = bb.build();
        int n = b.tokenCount();
        for (String algorithm : List.of("POAD", "NTPO", "ARCHER")) {
            for (double[] gl : new double[][] {{0.95, 0.95}, {1, 1}, {0.9, 0.3}}) {
                Params p = params(Map.of("algorithm", algorithm, "gamma", gl[0], "gae_lambda", gl[1]));
                String what = algorithm + " gamma " + gl[0] + " lambda " + gl[1];
                float[][] want = restated(b, algorithm, false, gl[0], gl[1]);
                Credit fresh = EST.assign(b, p);
                assertArrayEquals(want[0], fresh.advantages(), what);
                assertArrayEquals(want[1], fresh.returns(), what);
                Credit.Buffers buffers = new Credit.Buffers();
                Arrays.fill(buffers.advantages(n), Float.NaN);
                Arrays.fill(buffers.returns(n), Float.NaN);
                Credit seq = EST.assign(b, p, Execution.sequential(), buffers);
                assertArrayEquals(want[0], seq.advantages(), what + " (buffers)");
                assertArrayEquals(want[1], seq.returns(), what + " (buffers)");
                try (Execution two = Execution.splittingAll(2)) {
                    Credit split = EST.assign(b, p, two, buffers);
                    assertArrayEquals(want[0], split.advantages(), what + " (buffers, 2 threads)");
                    assertArrayEquals(want[1], split.returns(), what + " (buffers, 2 threads)");
                }
            }
        }
    }

    /** The backup of the class Javadoc, per trajectory, with rewards summed from denseTokenRewards(). */
    private static float[][] restated(Rollouts b, String algorithm, boolean actionLevel, double gamma, double lambda) {
        float[] nextValue = b.trajectorySignal(Poad.NEXT_VALUE);
        float[] reward = b.denseTokenRewards();
        float[] value = b.tokenSignal(Rollouts.VALUE);
        float[] adv = new float[b.tokenCount()];
        float[] ret = new float[b.tokenCount()];
        for (int i = 0; i < b.trajectoryCount(); i++) {
            List<Integer> actions = new java.util.ArrayList<>();
            for (int s = b.spanStart(i); s < b.spanEnd(i); s++) if (b.isPolicySpan(s)) actions.add(s);
            double g = 0;
            for (int k = actions.size() - 1; k >= 0; k--) {
                int s = actions.get(k);
                int first = b.spanTokenStart(s);
                int last = b.spanTokenEnd(s) - 1;
                int end = k + 1 < actions.size() ? b.spanTokenStart(actions.get(k + 1)) : b.tokenEnd(i);
                double r = 0;
                for (int t = first; t < end; t++) r += reward[t];
                boolean goesOn = nextValue != null && !Float.isNaN(nextValue[i]);
                double m = k + 1 < actions.size() || goesOn ? 1 : 0;
                double vn = k + 1 < actions.size() || !goesOn ? 0 : nextValue[i];
                if (k + 1 < actions.size()) {
                    int ns = actions.get(k + 1);
                    vn = value[
                            !actionLevel && algorithm.equals("ARCHER") ? b.spanTokenEnd(ns) - 1 : b.spanTokenStart(ns)];
                }
                if (actionLevel) {
                    double v = value[first];
                    g = r + gamma * vn * m - v + gamma * lambda * m * g;
                    for (int t = first; t <= last; t++) {
                        adv[t] = (float) g;
                        ret[t] = (float) (g + v);
                    }
                    continue;
                }
                g = r + gamma * vn * m - value[last] + gamma * lambda * m * g;
                adv[last] = (float) g;
                ret[last] = (float) (g + value[last]);
                for (int t = last - 1; t >= first; t--) {
                    g = algorithm.equals("POAD")
                            ? value[t + 1] - value[t] + lambda * g
                            : gamma * value[t + 1] - value[t] + gamma * lambda * g;
                    adv[t] = (float) g;
                    ret[t] = (float) (g + value[t]);
                }
            }
        }
        return new float[][] {adv, ret};
    }
}
