package dev.apportion.io.golden;

import java.util.Map;
import java.util.Set;

/** The PURE pipeline layout (`pure`): action and separator masks, step logits, solved flags. */
final class PureAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("pure");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "action_mask", "separator_mask", "step_logits", "solved");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        Built b = pure(c, groupSize(params.remove("n_samples_per_prompt")));
        params.remove("micro_rollout_batch_size");
        return b;
    }
}
