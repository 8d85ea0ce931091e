package dev.apportion.io.golden;

import dev.apportion.core.rollout.Rollouts;
import java.util.Map;
import java.util.Set;

/** The verl outcome layout of A-GRAE and ADORA (`a_grae`, `adora`): token-level rewards, an EOS mask and a group index per row. */
final class GroupRunsAdapter extends ReasoningAdapter {
    @Override
    Set<String> estimators() {
        return Set.of("a_grae", "adora");
    }

    @Override
    boolean hasInputs(GoldenCase c) {
        return has(c, "token_level_rewards", "eos_mask", "index");
    }

    @Override
    Built build(GoldenCase c, Map<String, Object> params) {
        return byRuns(
                c,
                GoldenInputs.matrix(c, "eos_mask"),
                GoldenInputs.strings(c, "index"),
                Map.of(Rollouts.REWARD, GoldenInputs.matrix(c, "token_level_rewards")));
    }
}
