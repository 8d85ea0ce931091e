package dev.apportion.core.estimator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.apportion.core.kernel.BackwardScan;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Batches with long policy spans (so that {@link BackwardScan} takes its blocked path, which
 * the small random batches of the contract tests never reach), and plain token-by-token
 * recursions in double to check the estimators against.
 */
final class LongSpans {
    private LongSpans() {}

    /**
     * {@code trajectories} trajectories: an optional prompt, then 1–3 turns (a policy span of
     * 1–3000 tokens, mostly longer than {@code CHAINS·MIN_CHAIN}, then a context span of 0–300
     * tokens); sparse token rewards, critic values, an outcome on most trajectories.
     */
    static Rollouts batch(long seed, int trajectories) {
        return batch(seed, trajectories, false);
    }

    /** As {@link #batch(long, int)}, the same trajectories in reverse order when {@code reversed}. */
    static Rollouts batch(long seed, int trajectories, boolean reversed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Consumer<RolloutsBuilder>> adds = new ArrayList<>();
        for (int i = 0; i < trajectories; i++) {
            String id = "t" + i;
            String group = "g" + (i % 5);
            double outcome = r.nextInt(4) != 0 ? r.nextInt(3) - 0.5 : Double.NaN;
            List<int[]> spans = new ArrayList<>(); // {policy?, tokens}
            if (r.nextBoolean()) spans.add(new int[] {0, 1 + r.nextInt(400)});
            int turns = 1 + r.nextInt(3);
            for (int t = 0; t < turns; t++) {
                spans.add(new int[] {1, r.nextInt(4) == 0 ? 1 + r.nextInt(200) : 200 + r.nextInt(2800)});
                spans.add(new int[] {0, r.nextInt(300)});
            }
            int n = 0;
            for (int[] sp : spans) n += sp[1];
            float[] reward = new float[n];
            float[] value = new float[n];
            for (int k = 0; k < n; k++) {
                if (r.nextInt(10) == 0) reward[k] = (float) r.nextDouble(-0.3, 0.3);
                value[k] = (float) r.nextDouble(-1, 2);
            }
            adds.add(b -> {
                b.trajectory(group, id);
                if (!Double.isNaN(outcome)) b.outcome(outcome);
                for (int[] sp : spans) b.span(sp[0] == 1 ? Role.POLICY : Role.CONTEXT, sp[1]);
                b.tokenSignal(Rollouts.REWARD, reward).tokenSignal(Rollouts.VALUE, value);
            });
        }
        if (reversed) Collections.reverse(adds);
        RolloutsBuilder b = Rollouts.builder();
        for (Consumer<RolloutsBuilder> add : adds) add.accept(b);
        return b.build();
    }

    /**
     * {@code trajectories} multi-turn trajectories of different lengths: an optional prompt, then
     * 2–20 turns (a policy span of 1–120 tokens, a span reward on some, then an observation of
     * 0–30 tokens); sparse token rewards, critic values, an outcome on most; one trajectory has no
     * policy token.
     */
    static Rollouts turns(long seed, int trajectories) {
        return turns(seed, trajectories, true);
    }

    /** As {@link #turns(long, int)}; without the token {@code reward} signal unless {@code tokenRewards}. */
    static Rollouts turns(long seed, int trajectories, boolean tokenRewards) {
        SplittableRandom r = new SplittableRandom(seed);
        RolloutsBuilder b = Rollouts.builder();
        for (int i = 0; i < trajectories; i++) {
            b.trajectory("g" + (i % 4), "t" + i);
            if (r.nextInt(4) != 0) b.outcome(r.nextInt(3) - 0.5);
            List<int[]> spans = new ArrayList<>();
            if (r.nextBoolean()) spans.add(new int[] {0, 1 + r.nextInt(40)});
            int turns = i == 5 ? 0 : 2 + r.nextInt(19);
            for (int t = 0; t < turns; t++) {
                spans.add(new int[] {1, 1 + r.nextInt(120)});
                spans.add(new int[] {0, r.nextInt(31)});
            }
            if (spans.isEmpty()) spans.add(new int[] {0, 7});
            int n = 0;
            for (int[] sp : spans) n += sp[1];
            float[] reward = new float[n];
            float[] value = new float[n];
            for (int k = 0; k < n; k++) {
                if (r.nextInt(10) == 0) reward[k] = (float) r.nextDouble(-0.3, 0.3);
                value[k] = (float) r.nextDouble(-1, 2);
            }
            for (int[] sp : spans) {
                double spanReward = sp[0] == 1 && r.nextInt(3) == 0 ? r.nextDouble(-1, 1) : Double.NaN;
                b.span(sp[0] == 1 ? Role.POLICY : Role.CONTEXT, sp[1], spanReward, null, null);
            }
            if (tokenRewards) b.tokenSignal(Rollouts.REWARD, reward);
            b.tokenSignal(Rollouts.VALUE, value);
        }
        return b.build();
    }

    /** verl / OpenRLHF GAE before whitening, token by token in double: {advantages, returns}. */
    static float[][] gae(Rollouts batch, double gamma, double lambda, boolean through) {
        int n = batch.tokenCount();
        float[] adv = new float[n];
        float[] ret = new float[n];
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        float[] v = batch.tokenSignal(Rollouts.VALUE);
        float gf = (float) gamma;
        double gl = gamma * lambda;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int last = batch.lastPolicyToken(i);
            double nextV = 0;
            double a = 0;
            for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
                int ts = batch.spanTokenStart(s);
                int te = batch.spanTokenEnd(s);
                for (int t = te - 1; t >= ts; t--) {
                    if (!batch.isPolicySpan(s)) {
                        if (through) {
                            a = gamma * nextV + gl * a;
                            nextV = 0;
                        }
                        continue;
                    }
                    float delta = t == te - 1 ? (float) (r[t] + gamma * nextV - v[t]) : r[t] + gf * v[t + 1] - v[t];
                    if (t == last && batch.outcome() != null && !Float.isNaN(batch.outcome()[i])) {
                        delta += batch.outcome()[i];
                    }
                    a = delta + gl * a;
                    adv[t] = (float) a;
                    ret[t] = adv[t] + v[t];
                    nextV = v[t];
                }
            }
        }
        return new float[][] {adv, ret};
    }

    /**
     * verl / OpenRLHF GAE before whitening as their float32 tensor code computes it, restated
     * token by token in float: dense rewards {@link Rollouts#denseTokenRewards()}, then per
     * trajectory backwards {@code δ = (ρ + γ·nextV) − V}, {@code A = δ + γλ·A}; verl ({@code
     * through} false) carries nextV and A over context tokens with its mask arithmetic
     * {@code x·m + (1−m)·y}; OpenRLHF multiplies rewards and values by the mask and recurs over
     * every token. Returns {advantages, returns}, 0 on context tokens.
     */
    static float[][] gaeFloat32(Rollouts batch, double gamma, double lambda, boolean through) {
        int n = batch.tokenCount();
        float[] adv = new float[n];
        float[] ret = new float[n];
        float[] rho = batch.denseTokenRewards();
        float[] v = batch.tokenSignal(Rollouts.VALUE);
        byte[] mask = batch.mask();
        float g = (float) gamma;
        float gl = (float) (gamma * lambda);
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            float nextV = 0f;
            float a = 0f;
            for (int t = batch.tokenEnd(i) - 1; t >= batch.tokenStart(i); t--) {
                float m = mask[t];
                if (through) {
                    float vt = m * v[t];
                    float delta = (m * rho[t] + g * nextV) - vt;
                    a = delta + gl * a;
                    nextV = vt;
                    if (m == 1f) {
                        adv[t] = a;
                        ret[t] = a + vt;
                    }
                } else {
                    float delta = (rho[t] + g * nextV) - v[t];
                    float candidate = delta + gl * a;
                    nextV = v[t] * m + (1f - m) * nextV;
                    a = candidate * m + (1f - m) * a;
                    if (m == 1f) {
                        adv[t] = a;
                        ret[t] = a + v[t];
                    }
                }
            }
        }
        return new float[][] {adv, ret};
    }

    /** REINFORCE++ returns token by token in double; {@code mode} reset, through or skip. */
    static float[] returns(Rollouts batch, double gamma, String mode) {
        int n = batch.tokenCount();
        float[] ret = new float[n];
        float[] r = batch.tokenSignal(Rollouts.REWARD);
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            int last = batch.lastPolicyToken(i);
            double g = 0;
            for (int s = batch.spanEnd(i) - 1; s >= batch.spanStart(i); s--) {
                int ts = batch.spanTokenStart(s);
                int te = batch.spanTokenEnd(s);
                if (!batch.isPolicySpan(s)) {
                    if (te > ts && mode.equals("reset")) g = 0;
                    if (mode.equals("through")) g *= Math.pow(gamma, te - ts);
                    continue;
                }
                for (int t = te - 1; t >= ts; t--) {
                    float rho = r[t];
                    if (t == last && batch.outcome() != null && !Float.isNaN(batch.outcome()[i]))
                        rho += batch.outcome()[i];
                    g = rho + gamma * g;
                    ret[t] = (float) g;
                }
            }
        }
        return ret;
    }

    /**
     * REINFORCE++ returns as the references' float32 tensor code computes them, restated token by
     * token in float, from {@link Rollouts#denseTokenRewards()}: verl ({@code reset}) {@code G =
     * ρ + γ·G} on every token, then {@code G = G·mask}; OpenRLHF ({@code through}) {@code G =
     * mask·ρ + γ·G}; {@code skip} only on policy tokens. 0 on context tokens.
     */
    static float[] returnsFloat32(Rollouts batch, double gamma, String mode) {
        float[] ret = new float[batch.tokenCount()];
        float[] rho = batch.denseTokenRewards();
        byte[] mask = batch.mask();
        float g = (float) gamma;
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            float run = 0f;
            for (int t = batch.tokenEnd(i) - 1; t >= batch.tokenStart(i); t--) {
                float m = mask[t];
                switch (mode) {
                    case "reset" -> {
                        run = rho[t] + g * run;
                        if (m == 1f) ret[t] = run;
                        run = run * m;
                    }
                    case "through" -> {
                        run = m * rho[t] + g * run;
                        if (m == 1f) ret[t] = run;
                    }
                    default -> {
                        if (m == 1f) {
                            run = rho[t] + g * run;
                            ret[t] = run;
                        }
                    }
                }
            }
        }
        return ret;
    }

    /**
     * Asserts {@code got} equals {@code want} on every policy token up to {@code rel} times the
     * largest |value| of the token's trajectory in {@code want} and {@code scales} (the blocked
     * recurrence rounds to float at the scale of its partial sums), and exactly 0 on context tokens.
     */
    static void assertNear(Rollouts batch, float[] want, float[] got, double rel, String what, float[]... scales) {
        assertEquals(want.length, got.length, what + ": length");
        byte[] mask = batch.mask();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            double scale = 0;
            for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                scale = Math.max(scale, Math.abs(want[t]));
                for (float[] extra : scales) scale = Math.max(scale, Math.abs(extra[t]));
            }
            for (int t = batch.tokenStart(i); t < batch.tokenEnd(i); t++) {
                if (mask[t] == 0) {
                    if (got[t] != 0f) fail(what + ": context token " + t + " of trajectory " + i + " got " + got[t]);
                    continue;
                }
                if (Math.abs(got[t] - want[t]) > rel * scale + 1e-30) {
                    fail(what + ": token " + t + " of trajectory " + i + ": want " + want[t] + " got " + got[t]
                            + " (scale " + scale + ")");
                }
            }
        }
    }
}
