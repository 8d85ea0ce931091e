package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.VerlLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TRL cases ({@code preset} = "trl", GOLDEN-CONTRACT.md): row {@code i} is trajectory
 * {@code row<i>} of group {@code index[i]}, spans by runs of {@code response_mask}, outcome
 * components {@code f0 .. f{K-1}} from {@code rewards_per_func[i]} (null → NaN component),
 * no scalar outcome. Params: {@code num_generations}, {@code mode} and {@code std_epsilon}
 * are dropped, {@code scale_rewards} and {@code multi_objective_aggregation} pass verbatim, and
 * {@code reward_weights} = {@code input.reward_weights} is added when the input has it.
 */
public final class TrlAdapter extends PresetAdapter {
    /** The preset name that selects this adapter. */
    public static final String PRESET = "trl";

    public TrlAdapter() {
        super(PRESET);
    }

    @Override
    public AdaptedCase adapt(GoldenCase c) {
        GoldenInputs.VerlRows rows = GoldenInputs.verlRows(c, false);
        float[][] perFunc = GoldenInputs.matrixWithNulls(c, "rewards_per_func");
        GoldenInputs.sameRows("rewards_per_func", perFunc.length, "response_mask", rows.count());
        int k = perFunc.length == 0 ? 0 : perFunc[0].length;
        VerlLayout layout = rows.layout();
        for (int f = 0; f < k; f++) {
            float[] comp = new float[perFunc.length];
            for (int i = 0; i < perFunc.length; i++) {
                if (perFunc[i].length != k) {
                    throw new IllegalArgumentException("input.rewards_per_func[" + i + "] has " + perFunc[i].length
                            + " values but row 0 has " + k);
                }
                comp[i] = perFunc[i][f];
            }
            layout.outcomeComponent("f" + f, comp);
        }
        Rollouts batch = layout.toRollouts();
        Map<String, Object> params =
                new LinkedHashMap<>(GoldenInputs.params(c, Set.of("num_generations", "mode", "std_epsilon"), Map.of()));
        if (GoldenInputs.has(c, "reward_weights")) {
            JsonNode w = c.input().get("reward_weights");
            if (!w.isArray()) throw new IllegalArgumentException("input.reward_weights must be an array of numbers");
            List<Double> weights = new ArrayList<>();
            for (int f = 0; f < w.size(); f++) {
                if (!w.get(f).isNumber()) {
                    throw new IllegalArgumentException(
                            "input.reward_weights[" + f + "] must be a number, got " + w.get(f));
                }
                weights.add(w.get(f).doubleValue());
            }
            params.put("reward_weights", weights);
        }
        return GoldenInputs.adapted(c, batch, Collections.unmodifiableMap(params));
    }
}
