package dev.apportion.core.estimator.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The log-probability cut-offs give the same comparisons as {@code (float) Math.exp(lp)} against θ. */
class SpoChainCutoffTest {
    @Test
    void cutoffsMatchTheExponential() {
        SplittableRandom r = new SplittableRandom(3);
        float[] thetas = {0f, 1e-30f, 0.05f, 0.5f, 0.9f, 0.9999999f, 1f, (float) r.nextDouble()};
        for (float theta : thetas) {
            float below = SpoChain.cutoff(theta, false);
            float above = SpoChain.cutoff(theta, true);
            for (int k = 0; k < 200_000; k++) {
                float lp = switch (k % 4) {
                    case 0 -> (float) r.nextDouble(-20, 1);
                    case 1 -> Math.nextUp(below) + (k % 8 - 4) * Math.ulp(below);
                    case 2 -> Math.nextUp(above) + (k % 8 - 4) * Math.ulp(above);
                    default -> Float.intBitsToFloat(r.nextInt());
                };
                float p = (float) Math.exp(lp);
                assertEquals(p < theta, lp < below, "theta " + theta + " lp " + lp);
                assertEquals(p > theta, lp >= above, "theta " + theta + " lp " + lp);
            }
        }
    }
}
