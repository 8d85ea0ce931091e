package dev.apportion.io.golden;

import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.VerlLayout;
import java.util.Map;
import java.util.Set;

/**
 * OpenRLHF cases ({@code preset} = "openrlhf", GOLDEN-CONTRACT.md): row {@code i} is
 * trajectory {@code row<i>} of group {@code index[i]}, spans by runs of
 * {@code response_mask}, outcome = {@code rewards[i]}, {@code logprobs} → token signal
 * {@code logprob}, {@code ref_logprobs} → {@code ref_logprob}, {@code values} → {@code value}.
 *
 * <p>Params: {@code estimator} and {@code n_samples_per_prompt} are dropped,
 * {@code init_kl_coef} becomes {@code kl_coef}; {@code lambd} becomes {@code lambda} for
 * {@code gae} and is dropped for the other estimators (OpenRLHF uses λ in GAE only, and the
 * contract requires {@code lambda} of gae alone); the rest ({@code gamma},
 * {@code kl_estimator}, {@code kl_use_loss}, {@code reward_clip_range}, {@code no_std_norm})
 * pass verbatim. {@code micro_batches} does not change the numbers and is ignored.
 */
public final class OpenRlhfAdapter extends PresetAdapter {
    /** The preset name that selects this adapter. */
    public static final String PRESET = "openrlhf";

    public OpenRlhfAdapter() {
        super(PRESET);
    }

    @Override
    public AdaptedCase adapt(GoldenCase c) {
        GoldenInputs.VerlRows rows = GoldenInputs.verlRows(c, false);
        float[] rewards = GoldenInputs.vector(c, "rewards");
        GoldenInputs.sameRows("rewards", rewards.length, "response_mask", rows.count());
        VerlLayout layout = rows.layout().outcome(rewards);
        if (GoldenInputs.has(c, "logprobs")) layout.tokenSignal(Rollouts.LOGPROB, GoldenInputs.matrix(c, "logprobs"));
        if (GoldenInputs.has(c, "ref_logprobs"))
            layout.tokenSignal(Rollouts.REF_LOGPROB, GoldenInputs.matrix(c, "ref_logprobs"));
        if (GoldenInputs.has(c, "values")) layout.values(GoldenInputs.matrix(c, "values"));
        Rollouts batch = layout.toRollouts();
        boolean gae = "gae".equals(c.estimator());
        Map<String, String> rename =
                gae ? Map.of("init_kl_coef", "kl_coef", "lambd", "lambda") : Map.of("init_kl_coef", "kl_coef");
        Set<String> drop = gae
                ? Set.of("estimator", "n_samples_per_prompt")
                : Set.of("estimator", "n_samples_per_prompt", "lambd");
        return GoldenInputs.adapted(c, batch, GoldenInputs.params(c, drop, rename));
    }
}
