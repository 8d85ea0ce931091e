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
 * The random source is seeded from the parameter {@code seed} mixed with a fingerprint of the
 * batch (sizes, trajectory ids, outcomes), so the same batch always gets the same credit and
 * different batches get independent credit.
 *
 * <p>Purpose: the floor of the credit-quality metrics (rank correlation ≈ 0, sign agreement ≈ ½,
 * AUROC ≈ ½) and of learning. Source: apportion's benchmark protocol (docs/benchmark.md).
 *
 * <p>Defaults: {@code seed} 0. Edge cases: an empty batch gets empty credit. Not group-local
 * (the fingerprint covers the whole batch). Thread-safety: stateless.
 */
public final class RandomEstimator implements Estimator {
    private static final Descriptor DESCRIPTOR = Descriptor.builder("random")
            .title("Random credit (benchmark reference floor)")
            .source("apportion benchmark protocol (docs/benchmark.md)")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.PAPER)
            .groupLocal(false)
            .parameters(ParamSpec.integer("seed", 0, null, null, "Seed mixed with the batch fingerprint."))
            .summary("A_t ~ N(0, 1) i.i.d. on policy tokens")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        long h = params.getInt("seed") * 0x9E3779B97F4A7C15L;
        h = mix(h ^ batch.tokenCount());
        h = mix(h ^ batch.trajectoryCount());
        float[] out = batch.outcome();
        for (int i = 0; i < batch.trajectoryCount(); i++) {
            h = mix(h ^ batch.trajectoryId(i).hashCode());
            if (out != null) h = mix(h ^ Float.floatToIntBits(out[i]));
        }
        float[] lp = batch.tokenSignal(Rollouts.LOGPROB);
        if (lp != null) {
            int bits = 0;
            for (float x : lp) bits = 31 * bits + Float.floatToIntBits(x);
            h = mix(h ^ bits);
        }
        SplittableRandom rng = new SplittableRandom(h);
        float[] adv = new float[batch.tokenCount()];
        byte[] mask = batch.mask();
        for (int t = 0; t < adv.length; t++) if (mask[t] == 1) adv[t] = (float) rng.nextGaussian();
        return Credit.of(adv);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
