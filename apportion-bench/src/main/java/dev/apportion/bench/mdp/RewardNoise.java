package dev.apportion.bench.mdp;

import java.util.SplittableRandom;

/** Zero-mean noise added to a step reward when it is sampled; exact values use the mean only. */
public enum RewardNoise {
    /** No noise. */
    NONE {
        @Override
        public double sample(SplittableRandom rng, double scale) {
            return 0;
        }
    },
    /** Normal with standard deviation {@code scale}. */
    GAUSSIAN {
        @Override
        public double sample(SplittableRandom rng, double scale) {
            return scale * rng.nextGaussian();
        }
    },
    /** {@code +scale} or {@code -scale} with equal probability (bsuite's ±1 umbrella rewards). */
    RADEMACHER {
        @Override
        public double sample(SplittableRandom rng, double scale) {
            return rng.nextBoolean() ? scale : -scale;
        }
    };

    /** One draw of the noise. */
    public abstract double sample(SplittableRandom rng, double scale);
}
