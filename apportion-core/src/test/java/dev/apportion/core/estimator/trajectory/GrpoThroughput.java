package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throwaway throughput harness (not a test; run by hand): grpo on 2048 trajectories of about
 * 5000 tokens (one context prompt span + one policy span, outcome per trajectory) against
 * cloning the advantage array. Usage:
 * {@code java -cp target/classes:target/test-classes dev.apportion.core.estimator.trajectory.GrpoThroughput [threads]}
 */
public final class GrpoThroughput {
    private GrpoThroughput() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        SplittableRandom r = new SplittableRandom(42);
        int n = 2048;
        RolloutsBuilder b = Rollouts.builder().ensureCapacity(n, 2 * n, n * 5200);
        for (int i = 0; i < n; i++) {
            int prompt = 500 + r.nextInt(1000);
            int policy = 3500 + r.nextInt(1000);
            b.trajectory("g" + (i / 8), "t" + i)
                    .outcome(r.nextInt(2))
                    .span(Role.CONTEXT, prompt)
                    .span(Role.POLICY, policy);
        }
        Rollouts batch = b.build();
        Grpo grpo = new Grpo();
        Params p = Params.defaults(grpo.descriptor());
        int reps = 60;
        try (Execution ex = Execution.threads(threads)) {
            float[] adv = grpo.assign(batch, p, ex).advantages();
            double[] tg = new double[reps];
            double[] tc = new double[reps];
            long sink = 0;
            for (int k = 0; k < reps; k++) {
                long t0 = System.nanoTime();
                Credit c = grpo.assign(batch, p, ex);
                long t1 = System.nanoTime();
                float[] copy = adv.clone();
                long t2 = System.nanoTime();
                sink += c.advantages().length + copy.length;
                tg[k] = (t1 - t0) / 1e9;
                tc[k] = (t2 - t1) / 1e9;
            }
            long tokens = batch.tokenCount();
            double[] wg = Arrays.copyOfRange(tg, reps / 4, reps);
            double[] wc = Arrays.copyOfRange(tc, reps / 4, reps);
            for (String stat : new String[] {"median", "min"}) {
                double g = stat.equals("min") ? Arrays.stream(wg).min().orElseThrow() : median(wg);
                double c = stat.equals("min") ? Arrays.stream(wc).min().orElseThrow() : median(wc);
                System.out.printf(
                        Locale.ROOT,
                        "%s: tokens=%d threads=%d grpo=%.2f ms (%.0f Mtok/s) copy=%.2f ms (%.0f Mtok/s)"
                                + " ratio=%.2f%n",
                        stat,
                        tokens,
                        threads,
                        g * 1e3,
                        tokens / g / 1e6,
                        c * 1e3,
                        tokens / c / 1e6,
                        c / g);
            }
            if (sink == 42) System.out.println("unlikely");
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
