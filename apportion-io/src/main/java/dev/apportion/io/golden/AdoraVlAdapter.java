package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import java.util.Map;
import java.util.Set;

/** The ADORA-VL layout (`adora_vl`): one reward and one response length per row. */
final class AdoraVlAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("adora_vl");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "reward", "response_length");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        return adoraVl(c, groupSize(params.remove("n_samples_per_prompt")));
    }

    @Override
    public Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        return adoraVl(new Comparison.Tracker(c.atol(), c.rtol()), c.expected(), a, credit);
    }
}
