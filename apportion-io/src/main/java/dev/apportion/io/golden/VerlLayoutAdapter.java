package dev.apportion.io.golden;

import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.VerlLayout;
import java.util.Map;
import java.util.Set;

/**
 * The default layout (GOLDEN-CONTRACT.md, "verl layout"): row {@code i} is trajectory
 * {@code row<i>} of group {@code index[i]}; its L positions are cut into spans at every change
 * of {@code response_mask} (1 → policy span, 0 → context span); {@code token_level_rewards} →
 * token signal {@code reward} at all positions, {@code values} → {@code value},
 * {@code reward_baselines[i]} → trajectory signal {@code reward_baseline}. Params verbatim
 * (JSON nulls left out). Cases without {@code index} (batch-level estimators such as gae,
 * reinforce_plus_plus, remax) put every row in its own group, named like the row's id.
 * Accepts cases with {@code token_level_rewards} and {@code response_mask} whose comparison is
 * "where response_mask == 1" (or unstated) and whose layout is not "one row per step".
 */
public final class VerlLayoutAdapter implements GoldenAdapter {
    /** The comparison text of the standard cases. */
    public static final String STANDARD_COMPARE = "where response_mask == 1";

    @Override
    public String name() {
        return "verl layout";
    }

    @Override
    public boolean accepts(GoldenCase c) {
        return GoldenInputs.has(c, "token_level_rewards")
                && GoldenInputs.has(c, "response_mask")
                && !GigpoStepAdapter.LAYOUT.equals(c.input().path("layout").asText(null))
                && (c.compare() == null || STANDARD_COMPARE.equals(c.compare()));
    }

    @Override
    public AdaptedCase adapt(GoldenCase c) {
        Rollouts batch = layout(GoldenInputs.verlRows(c, true)).toRollouts();
        return GoldenInputs.adapted(c, batch, GoldenInputs.params(c, Set.of(), Map.of()));
    }

    /** The layout's rows with {@code token_level_rewards}, and {@code values} and {@code reward_baselines} when given. */
    static VerlLayout layout(GoldenInputs.VerlRows rows) {
        GoldenCase c = rows.source();
        VerlLayout layout = rows.layout().tokenLevelRewards(GoldenInputs.matrix(c, "token_level_rewards"));
        if (GoldenInputs.has(c, "values")) layout.values(GoldenInputs.matrix(c, "values"));
        if (GoldenInputs.has(c, "reward_baselines")) layout.rewardBaselines(GoldenInputs.vector(c, "reward_baselines"));
        return layout;
    }
}
