package dev.apportion.core.credit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an estimator returns for a batch. Every array is indexed like the batch it was
 * computed from and is owned by this object (callers may read, and should not write).
 *
 * <ul>
 *   <li>{@link #advantages()}: one value per token, exactly 0 on context tokens.</li>
 *   <li>{@link #returns()}: per-token returns, or null when the estimator has none.</li>
 *   <li>{@link #spanAdvantages()}: per-span advantages (turn/step methods), or null.</li>
 *   <li>{@link #lossWeights()}: per-token loss weights (e.g. a pivot mask), or null.</li>
 *   <li>{@link #clipScales()}: per-token multipliers of the PPO clip range, or null.</li>
 *   <li>{@link #diagnostics()}: named numbers (e.g. group counts, whitening statistics).</li>
 * </ul>
 */
public final class Credit {
    private final float[] advantages;
    private final float[] returns;
    private final float[] spanAdvantages;
    private final float[] lossWeights;
    private final float[] clipScales;
    private final Map<String, Double> diagnostics;

    private Credit(Builder b) {
        this.advantages = b.advantages;
        this.returns = b.returns;
        this.spanAdvantages = b.spanAdvantages;
        this.lossWeights = b.lossWeights;
        this.clipScales = b.clipScales;
        this.diagnostics = Collections.unmodifiableMap(new LinkedHashMap<>(b.diagnostics));
    }

    /** Credit with advantages only. */
    public static Credit of(float[] advantages) {
        return builder(advantages).build();
    }

    public static Builder builder(float[] advantages) {
        return new Builder(advantages);
    }

    public float[] advantages() {
        return advantages;
    }

    public float[] returns() {
        return returns;
    }

    public float[] spanAdvantages() {
        return spanAdvantages;
    }

    public float[] lossWeights() {
        return lossWeights;
    }

    public float[] clipScales() {
        return clipScales;
    }

    public Map<String, Double> diagnostics() {
        return diagnostics;
    }

    /**
     * Reusable per-token output arrays for repeated calls of
     * {@link Estimator#assign(dev.apportion.core.rollout.Rollouts, Params, Execution, Buffers)}: an estimator that supports
     * them writes its advantages (and returns) into these arrays instead of allocating new ones,
     * which saves allocating and zeroing two arrays of the token count per call. The
     * {@link Credit} returned then shares the arrays, so its contents are valid only until the
     * next call with the same buffers. Estimators that do not support buffers ignore them.
     *
     * <p>Not thread-safe: one instance per caller thread (the estimator's own worker threads may
     * write into it during a call).
     */
    public static final class Buffers {
        private float[] advantages;
        private float[] returns;
        private float[] lossWeights;

        /** Empty buffers; arrays are created on first use. */
        public Buffers() {}

        /**
         * An array of exactly {@code n} floats for advantages: the one of the previous call when it
         * has that length, else a new one. Contents are unspecified; the caller overwrites all of it.
         */
        public float[] advantages(int n) {
            if (advantages == null || advantages.length != n) advantages = new float[n];
            return advantages;
        }

        /** As {@link #advantages(int)}, for returns. */
        public float[] returns(int n) {
            if (returns == null || returns.length != n) returns = new float[n];
            return returns;
        }

        /** As {@link #advantages(int)}, for per-token loss weights. */
        public float[] lossWeights(int n) {
            if (lossWeights == null || lossWeights.length != n) lossWeights = new float[n];
            return lossWeights;
        }
    }

    /** Builder of {@link Credit}; arrays are taken, not copied. */
    public static final class Builder {
        private final float[] advantages;
        private float[] returns;
        private float[] spanAdvantages;
        private float[] lossWeights;
        private float[] clipScales;
        private final Map<String, Double> diagnostics = new LinkedHashMap<>();

        private Builder(float[] advantages) {
            this.advantages = java.util.Objects.requireNonNull(advantages, "advantages");
        }

        public Builder returns(float[] r) {
            this.returns = r;
            return this;
        }

        public Builder spanAdvantages(float[] a) {
            this.spanAdvantages = a;
            return this;
        }

        public Builder lossWeights(float[] w) {
            this.lossWeights = w;
            return this;
        }

        public Builder clipScales(float[] c) {
            this.clipScales = c;
            return this;
        }

        public Builder diagnostic(String name, double value) {
            diagnostics.put(name, value);
            return this;
        }

        public Credit build() {
            return new Credit(this);
        }
    }
}
