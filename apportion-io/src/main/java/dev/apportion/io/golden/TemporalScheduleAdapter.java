package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.estimator.token.TemporalScheduleEstimator;
import dev.apportion.core.rollout.Rollouts;
import java.util.Map;
import java.util.Set;

/** The temporal-schedule layouts (`temporal_schedule`): TP (prompt and response lengths), forking (padded prompt, masks and entropies) and entropy-advantage (precomputed advantages and entropies). */
final class TemporalScheduleAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("temporal_schedule");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "prompt_lengths", "response_lengths")
                || has(c, "prompt_width", "attention_mask", "response_mask", "entropys")
                || has(c, "advantages", "response_mask", "entropys");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        params.remove("prompt_length");
        params.remove("response_length");
        if (GoldenInputs.has(c, "prompt_lengths")) return tp(c);
        if (GoldenInputs.has(c, "prompt_width")) return forking(c);
        float[][] mask = GoldenInputs.matrix(c, "response_mask");
        params.put("base_advantage", "token_signal");
        return byRuns(
                c,
                mask,
                rowKeys(mask.length),
                Map.of(
                        TemporalScheduleEstimator.ADVANTAGE_SIGNAL,
                        GoldenInputs.matrix(c, "advantages"),
                        Rollouts.ENTROPY,
                        GoldenInputs.matrix(c, "entropys")));
    }

    @Override
    public Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        return temporal(new Comparison.Tracker(c.atol(), c.rtol()), c, a, credit);
    }
}
