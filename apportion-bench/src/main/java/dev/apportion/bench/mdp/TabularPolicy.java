package dev.apportion.bench.mdp;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A softmax policy with one row of logits per policy feature (observation and turn) of an
 * {@link Mdp}: {@code π(a | f) = exp(θ[f,a]) / Σ_b exp(θ[f,b])} over the feature's actions.
 * Mutable (the learner updates it in place) and not thread-safe; {@link #copy()} for sharing.
 */
public final class TabularPolicy {
    private final int features;
    private final int width;
    private final int[] actions;
    private final double[] logits;

    private TabularPolicy(int features, int width, int[] actions, double[] logits) {
        this.features = features;
        this.width = width;
        this.actions = actions;
        this.logits = logits;
    }

    /** The uniform policy over every feature's actions (all logits 0). */
    public static TabularPolicy uniform(Mdp m) {
        int[] actions = new int[m.featureCount()];
        for (int s = 0; s < m.stateCount(); s++) {
            if (m.feature(s) >= 0) actions[m.feature(s)] = m.actionCount(s);
        }
        int width = Math.max(1, m.maxActions());
        return new TabularPolicy(m.featureCount(), width, actions, new double[m.featureCount() * width]);
    }

    /** A random policy: every logit drawn from N(0, scale²). */
    public static TabularPolicy random(Mdp m, double scale, SplittableRandom rng) {
        TabularPolicy p = uniform(m);
        for (int f = 0; f < p.features; f++) {
            for (int a = 0; a < p.actions[f]; a++) p.logits[f * p.width + a] = scale * rng.nextGaussian();
        }
        return p;
    }

    public TabularPolicy copy() {
        return new TabularPolicy(features, width, actions, logits.clone());
    }

    public int featureCount() {
        return features;
    }

    public int actionCount(int feature) {
        return actions[feature];
    }

    /**
     * Writes {@code π(· | feature)} into {@code out[0 .. actionCount(feature))}.
     *
     * @param out written
     */
    public void probabilities(int feature, double[] out) {
        int n = actions[feature];
        int base = feature * width;
        double max = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < n; a++) max = Math.max(max, logits[base + a]);
        double sum = 0;
        for (int a = 0; a < n; a++) {
            double e = Math.exp(logits[base + a] - max);
            out[a] = e;
            sum += e;
        }
        for (int a = 0; a < n; a++) out[a] /= sum;
    }

    /** The action with the largest logit (lowest index on ties). */
    public int greedy(int feature) {
        int n = actions[feature];
        int base = feature * width;
        int best = 0;
        for (int a = 1; a < n; a++) if (logits[base + a] > logits[base + best]) best = a;
        return best;
    }

    /** Adds {@code delta} to logit ({@code feature}, {@code action}). */
    public void add(int feature, int action, double delta) {
        logits[feature * width + action] += delta;
    }

    public double logit(int feature, int action) {
        return logits[feature * width + action];
    }

    /** A copy of the logits, row-major (features × max actions). */
    public double[] logits() {
        return logits.clone();
    }

    @Override
    public String toString() {
        return "TabularPolicy" + Arrays.toString(logits);
    }
}
