package dev.apportion.core.testing;

import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random rollout batches carrying every signal the estimators consume, for invariant tests.
 * Deterministic for a seed.
 *
 * <p>Each trajectory: optional leading context span, then 1–4 turns, each a policy span
 * (with a reward, a state key from a small alphabet so states repeat inside a group, an agent,
 * span signals {@code prm}, {@code info_gain}) followed by a context span (possibly empty).
 * Token signals: {@code reward}, {@code value}, {@code logprob}, {@code old_logprob},
 * {@code ref_logprob}, {@code teacher_logprob}, {@code entropy}, {@code sum_pi_squared} (derived
 * from {@code old_logprob}). Token text: each policy span reads as a bash command in
 * {@code <code>…</code>}, picked from a small vocabulary by its group and state so that commands
 * repeat inside a group; context tokens read {@code "obs "} (derived from the trajectory's own
 * fields only, so it moves with the trajectory). Trajectory signals: {@code reward_baseline}.
 * Outcome: 0/1 or continuous.
 */
public final class RandomBatches {
    private RandomBatches() {}

    /** Description of one trajectory, so a batch can be rebuilt in another order. */
    public record Traj(
            String group,
            String id,
            double outcome,
            double baseline,
            List<SpanSpec> spans,
            float[] reward,
            float[] value,
            float[] logprob,
            float[] oldLogprob,
            float[] refLogprob,
            float[] teacherLogprob,
            float[] entropy) {
        public int tokens() {
            int n = 0;
            for (SpanSpec s : spans) n += s.tokens;
            return n;
        }
    }

    /** One span. */
    public record SpanSpec(
            Role role, int tokens, double reward, String state, String agent, double prm, double infoGain) {}

    /** Options. */
    public record Options(
            int groups,
            int minGroupSize,
            int maxGroupSize,
            boolean binaryOutcome,
            boolean tokenRewards,
            boolean allowEmptyContext,
            boolean allowNoPolicy) {
        public static Options defaults() {
            return new Options(4, 1, 6, false, true, true, false);
        }
    }

    public static List<Traj> trajectories(long seed, Options o) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Traj> out = new ArrayList<>();
        int id = 0;
        for (int g = 0; g < o.groups(); g++) {
            int size = o.minGroupSize() + r.nextInt(o.maxGroupSize() - o.minGroupSize() + 1);
            for (int k = 0; k < size; k++) {
                List<SpanSpec> spans = new ArrayList<>();
                if (r.nextBoolean())
                    spans.add(new SpanSpec(
                            Role.CONTEXT, 1 + r.nextInt(4), Double.NaN, null, null, Double.NaN, Double.NaN));
                boolean noPolicy = o.allowNoPolicy() && r.nextInt(8) == 0;
                int turns = 1 + r.nextInt(4);
                for (int t = 0; t < turns; t++) {
                    if (!noPolicy) {
                        spans.add(new SpanSpec(
                                Role.POLICY,
                                1 + r.nextInt(6),
                                round(r.nextDouble(-1, 1)),
                                "s" + t + "-" + r.nextInt(3),
                                "agent" + (t % 2),
                                round(r.nextDouble()),
                                round(r.nextDouble(-0.5, 0.5))));
                    }
                    int ctx = o.allowEmptyContext() ? r.nextInt(4) : 1 + r.nextInt(3);
                    spans.add(new SpanSpec(Role.CONTEXT, ctx, Double.NaN, null, null, Double.NaN, Double.NaN));
                }
                int n = 0;
                for (SpanSpec s : spans) n += s.tokens();
                double outcome = o.binaryOutcome() ? (r.nextBoolean() ? 1 : 0) : round(r.nextDouble(-1, 2));
                out.add(new Traj(
                        "g" + g,
                        "t" + (id++),
                        outcome,
                        round(r.nextDouble(-0.5, 1)),
                        spans,
                        o.tokenRewards() ? sparse(r, n) : new float[n],
                        dense(r, n, -1, 1),
                        dense(r, n, -3, 0),
                        dense(r, n, -3, 0),
                        dense(r, n, -3, 0),
                        dense(r, n, -3, 0),
                        dense(r, n, 0, 2)));
            }
        }
        return out;
    }

    public static Rollouts batch(long seed) {
        return build(trajectories(seed, Options.defaults()));
    }

    public static Rollouts build(List<Traj> trajs) {
        return build(trajs, null);
    }

    /**
     * {@link #build(List)} plus a span signal {@code extraSpanSignal} on every policy span, a
     * function of its own trajectory only ({@code outcome − baseline + 0.01·span index}), so that
     * it does not depend on the batch order (for estimators that read a per-span target).
     */
    public static Rollouts build(List<Traj> trajs, String extraSpanSignal) {
        RolloutsBuilder b = Rollouts.builder();
        for (Traj t : trajs) {
            b.trajectory(t.group(), t.id()).outcome(t.outcome()).signal("reward_baseline", t.baseline());
            int spanIndex = 0;
            for (SpanSpec s : t.spans()) {
                b.span(s.role(), s.tokens(), s.reward(), s.state(), s.agent());
                if (extraSpanSignal != null && s.role() == Role.POLICY) {
                    b.spanSignal(extraSpanSignal, round(t.outcome() - t.baseline() + 0.01 * spanIndex));
                }
                spanIndex++;
                if (!Double.isNaN(s.prm())) b.spanSignal("prm", s.prm());
                if (!Double.isNaN(s.infoGain())) b.spanSignal("info_gain", s.infoGain());
            }
            b.tokenSignal(Rollouts.REWARD, t.reward())
                    .tokenSignal(Rollouts.VALUE, t.value())
                    .tokenSignal(Rollouts.LOGPROB, t.logprob())
                    .tokenSignal(Rollouts.OLD_LOGPROB, t.oldLogprob())
                    .tokenSignal(Rollouts.REF_LOGPROB, t.refLogprob())
                    .tokenSignal(Rollouts.TEACHER_LOGPROB, t.teacherLogprob())
                    .tokenSignal(Rollouts.ENTROPY, t.entropy())
                    .tokenSignal("sum_pi_squared", sumPiSquared(t.oldLogprob()));
            b.tokenText(text(t));
        }
        return b.build();
    }

    private static final String[] COMMANDS = {"ls -la", "cat a.txt", "grep -n x a.txt", "wc -l a.txt", "ls -la src"};

    /** Token text of a trajectory: a command per policy span (by group and state), "obs " on context tokens. */
    private static String[] text(Traj t) {
        String[] out = new String[t.tokens()];
        int k = 0;
        for (SpanSpec s : t.spans()) {
            if (s.role() != Role.POLICY) {
                for (int j = 0; j < s.tokens(); j++) out[k++] = "obs ";
                continue;
            }
            String cmd = COMMANDS[Math.floorMod((t.group() + "|" + s.state()).hashCode(), COMMANDS.length)];
            for (int j = 0; j < s.tokens(); j++) {
                String piece = s.tokens() == 1
                        ? "<code>" + cmd + "</code>"
                        : j == 0 ? "<code>" : j == s.tokens() - 1 ? cmd + "</code>" : " ";
                out[k++] = piece;
            }
        }
        return out;
    }

    /**
     * A valid Σπ² for each token sampled with probability p = exp(old_logprob): p² plus half of
     * (1 − p)² (the rest of the mass spread over two other tokens).
     */
    private static float[] sumPiSquared(float[] oldLogprob) {
        float[] out = new float[oldLogprob.length];
        for (int k = 0; k < out.length; k++) {
            double p = Math.exp(oldLogprob[k]);
            out[k] = (float) (p * p + 0.5 * (1 - p) * (1 - p));
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static float[] sparse(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) if (r.nextInt(5) == 0) a[i] = (float) round(r.nextDouble(-0.2, 0.2));
        return a;
    }

    private static float[] dense(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) round(r.nextDouble(lo, hi));
        return a;
    }
}
