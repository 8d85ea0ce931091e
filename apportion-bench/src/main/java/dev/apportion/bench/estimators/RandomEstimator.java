package dev.apportion.bench.estimators;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.SplittableRandom;

/**
 * Reference estimator {@code random}: credit that carries no information.
 *
 * <p>Formula: every policy token gets an independent draw from N(0, 1); context tokens get 0.
 * Each trajectory's draws come from a random source seeded with the parameter {@code seed}
 * mixed with a fingerprint of that trajectory alone (group key, id, outcome, its tokens'
 * signals), so the credit does not depend on batch order, on how the batch is split by group,
 * or on threads, the same trajectory always gets the same credit, and different samples get
 * independent credit.
 *
 * <p>Purpose: the floor of the credit-quality metrics (rank correlation ≈ 0, sign agreement ≈ ½,
 * AUROC ≈ ½) and of learning. Source: apportion's benchmark protocol (docs/benchmark.md).
 *
 * <p>Defaults: {@code seed} 0. Edge cases: an empty batch gets empty credit. Thread-safety:
 * stateless.
 */
public final class RandomEstimator implements Estimator {
    private static final Descriptor DESCRIPTOR = Descriptor.builder("random")
            .title("Random credit (benchmark reference floor)")
            .source("apportion benchmark protocol (docs/benchmark.md)")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PAPER)
            .groupLocal(true)
            .parameters(ParamSpec.integer("seed", 0, null, null, "Seed mixed with the batch fingerprint."))
            .summary("A_t ~ N(0, 1) i.i.d. on policy tokens")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        long base = mix(params.getInt("seed") * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        float[] adv = new float[batch.tokenCount()];
        byte[] mask = batch.mask();
        float[] out = batch.outcome();
        float[][] signals = batch.tokenSignals().values().toArray(new float[0][]);
        execution.forTrajectories(batch, (chunk, from, to) -> {
            for (int i = from; i < to; i++) {
                long h = mix(base ^ batch.groupKey(batch.trajectoryGroup(i)).hashCode());
                h = mix(h ^ batch.trajectoryId(i).hashCode());
                h = mix(h ^ (out == null ? 0 : Float.floatToIntBits(out[i])));
                int t0 = batch.tokenStart(i);
                int t1 = batch.tokenEnd(i);
                h = mix(h ^ (t1 - t0));
                for (float[] sig : signals) {
                    int bits = 1;
                    for (int t = t0; t < t1; t++) bits = 31 * bits + Float.floatToIntBits(sig[t]);
                    h = mix(h ^ bits);
                }
                SplittableRandom rng = new SplittableRandom(h);
                for (int t = t0; t < t1; t++) if (mask[t] == 1) adv[t] = (float) rng.nextGaussian();
            }
        });
        return Credit.of(adv);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
