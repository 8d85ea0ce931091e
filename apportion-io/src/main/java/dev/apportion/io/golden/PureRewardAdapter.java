package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import java.util.Map;
import java.util.Set;

/** The PURE reward layout (`pure_reward`): step logits and a reward mask per row. */
final class PureRewardAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("pure_reward");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "logits", "reward_mask");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        params.remove("return_outcome_reward");
        return pureReward(c);
    }

    @Override
    public Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        return pureReward(new Comparison.Tracker(c.atol(), c.rtol()), c.expected(), a, credit);
    }
}
