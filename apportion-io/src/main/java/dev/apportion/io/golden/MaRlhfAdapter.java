package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import java.util.Map;
import java.util.Set;

/** The MA-RLHF layout (`ma_rlhf`): prompt length, attention mask, log-probs, values, reward score; compares token advantages and returns. */
final class MaRlhfAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("ma_rlhf");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "prompt_length", "attention_mask", "logprobs", "ref_logprobs", "values", "reward_score");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        return maRlhf(c);
    }

    @Override
    public Comparison.Result compare(GoldenCase c, AdaptedCase a, Credit credit) {
        Comparison.Tracker tr = new Comparison.Tracker(c.atol(), c.rtol());
        if (credit.returns() == null)
            return tr.problem("the case expects token returns but the estimator produced none");
        tokens(tr, "token_advantages", c.expected().get("token_advantages"), credit.advantages(), a, true);
        tokens(tr, "token_returns", c.expected().get("token_returns"), credit.returns(), a, false);
        return tr.result();
    }
}
