package dev.apportion.io.golden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.VerlLayout;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Verl-layout cases that also carry named reward dimensions ({@code a2tgpo-igpo-gdpo.jsonl},
 * GDPO's component path): everything as {@link VerlLayoutAdapter} (row {@code i} → trajectory
 * {@code row<i>} of group {@code index[i]}, spans by runs of {@code response_mask},
 * {@code token_level_rewards} → token signal {@code reward}, {@code values},
 * {@code reward_baselines}), plus {@code input.reward_components[key][i]} → outcome component
 * {@code key} of row {@code i}, in the object's key order (null → NaN, "no value"). The GDPO
 * estimator reads its {@code reward_keys} from these outcome components. Params verbatim, JSON
 * nulls left out (null means "the estimator's default").
 *
 * <p>Accepts exactly the cases the default verl adapter would accept that have a non-null
 * {@code reward_components} object.
 */
public final class RewardComponentsAdapter implements GoldenAdapter {
    /** The input field this adapter adds to the verl layout. */
    public static final String FIELD = "reward_components";

    private final VerlLayoutAdapter verl = new VerlLayoutAdapter();

    @Override
    public String name() {
        return "verl layout + reward components";
    }

    @Override
    public boolean accepts(GoldenCase c) {
        return GoldenInputs.has(c, FIELD) && verl.accepts(c);
    }

    @Override
    public AdaptedCase adapt(GoldenCase c) {
        GoldenInputs.VerlRows rows = GoldenInputs.verlRows(c, false);
        VerlLayout layout = VerlLayoutAdapter.layout(rows);
        JsonNode comps = GoldenInputs.require(c, FIELD);
        if (!comps.isObject()) {
            throw new IllegalArgumentException(
                    "input." + FIELD + " must be an object of key → one number per row, got " + comps);
        }
        Iterator<Map.Entry<String, JsonNode>> it = comps.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            String where = "input." + FIELD + "." + e.getKey();
            if (!v.isArray())
                throw new IllegalArgumentException(where + " must be an array with one number per row, got " + v);
            GoldenInputs.sameRows(FIELD + "." + e.getKey(), v.size(), "response_mask", rows.count());
            float[] col = new float[v.size()];
            for (int i = 0; i < col.length; i++) {
                JsonNode x = v.get(i);
                if (x.isNull()) col[i] = Float.NaN;
                else if (x.isNumber()) col[i] = (float) x.doubleValue();
                else throw new IllegalArgumentException(where + "[" + i + "] must be a number or null, got " + x);
            }
            layout.outcomeComponent(e.getKey(), col);
        }
        Rollouts batch = layout.toRollouts();
        return GoldenInputs.adapted(c, batch, GoldenInputs.params(c, Set.of(), Map.of()));
    }
}
