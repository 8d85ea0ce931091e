package dev.apportion.bench.mdp;

import java.util.SplittableRandom;

/**
 * One sampled episode: the decision states visited, the actions taken, the sampled step
 * reward of each decision, and the terminal state. Arrays have {@link #length()} entries
 * (read-only).
 *
 * @param states decision states, in order
 * @param actions action taken in each state
 * @param rewards sampled step reward of each decision (mean + noise)
 * @param terminal the terminal state reached
 */
public record Episode(int[] states, int[] actions, double[] rewards, int terminal) {
    public int length() {
        return states.length;
    }

    /** Sum of step rewards plus the terminal outcome. */
    public double totalReturn(Mdp m) {
        double r = m.outcome(terminal);
        for (double x : rewards) r += x;
        return r;
    }

    /**
     * Samples one episode from {@code start} under the policy whose action probabilities
     * {@code sol} holds ({@code greedy}: always the most probable action, lowest index on ties).
     */
    public static Episode sample(Mdp m, Solution sol, int start, boolean greedy, SplittableRandom rng) {
        int cap = 16;
        int[] st = new int[cap];
        int[] ac = new int[cap];
        double[] rw = new double[cap];
        int len = 0;
        int s = start;
        while (!m.terminal(s)) {
            int base = m.actionStart(s);
            int na = m.actionCount(s);
            int a;
            if (greedy) {
                a = 0;
                for (int x = 1; x < na; x++) if (sol.pi(base + x) > sol.pi(base + a)) a = x;
            } else {
                double u = rng.nextDouble();
                double c = 0;
                a = na - 1;
                for (int x = 0; x < na - 1; x++) {
                    c += sol.pi(base + x);
                    if (u < c) {
                        a = x;
                        break;
                    }
                }
            }
            int sa = base + a;
            int t0 = m.transitionStart(sa);
            int t1 = m.transitionEnd(sa);
            int tr = t0;
            if (t1 - t0 > 1) {
                double u = rng.nextDouble();
                double c = 0;
                for (tr = t0; tr < t1 - 1; tr++) {
                    c += m.probability(tr);
                    if (u < c) break;
                }
            }
            if (len == cap) {
                cap *= 2;
                st = java.util.Arrays.copyOf(st, cap);
                ac = java.util.Arrays.copyOf(ac, cap);
                rw = java.util.Arrays.copyOf(rw, cap);
            }
            st[len] = s;
            ac[len] = a;
            rw[len] = m.rewardMean(tr) + m.rewardNoise(tr).sample(rng, m.rewardScale(tr));
            len++;
            s = m.next(tr);
        }
        return new Episode(
                java.util.Arrays.copyOf(st, len),
                java.util.Arrays.copyOf(ac, len),
                java.util.Arrays.copyOf(rw, len),
                s);
    }

    /** Samples a start state from the start distribution. */
    public static int sampleStart(Mdp m, SplittableRandom rng) {
        int[] ss = m.startStates();
        if (ss.length == 1) return ss[0];
        double u = rng.nextDouble();
        double c = 0;
        for (int i = 0; i < ss.length - 1; i++) {
            c += m.startProbs()[i];
            if (u < c) return ss[i];
        }
        return ss[ss.length - 1];
    }
}
