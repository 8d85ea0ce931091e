package dev.apportion.core.estimator.trajectory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.GoldenJson;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-only reader of the golden cases (the one test copy, apportion-io/src/test/resources/golden/, on the class path as /golden/), building
 * each case's batch exactly as GOLDEN-CONTRACT.md says (verl layout, openrlhf and trl adapters).
 * The padded layout and the JSON come from {@link GoldenJson}; the io module's
 * {@code GoldenConformanceTest} checks the same cases through the real adapters. The gigpo "one row per step" layout
 * is not handled (no estimator of this package uses it): such cases come back unsupported.
 */
final class GoldenCases {
    private GoldenCases() {}

    /** One case, adapted. {@code batch} is null when the layout is not supported here. */
    record Case(
            String name,
            String estimator,
            String preset,
            Map<String, Object> params,
            Rollouts batch,
            int[][] tokenIndex,
            double[][] mask,
            double[][] advantages,
            double[][] returns,
            String error,
            double atol,
            double rtol) {}

    static List<Case> load(String resource) {
        return GoldenJson.read(resource, (c, lineNo) -> adapt(c));
    }

    private static Case adapt(JsonNode c) {
        String name = c.get("case").asText();
        String estimator = c.get("estimator").asText();
        String preset = c.hasNonNull("preset") ? c.get("preset").asText() : null;
        JsonNode in = c.get("input");
        JsonNode exp = c.get("expected");
        double atol = c.has("atol") ? c.get("atol").asDouble() : 1e-5;
        double rtol = c.has("rtol") ? c.get("rtol").asDouble() : 1e-4;
        Map<String, Object> params = params(c.get("params"), preset, in);
        String error = exp.has("error") ? exp.get("error").asText() : null;
        double[][] adv = exp.has("advantages") ? GoldenJson.matrix(exp.get("advantages")) : null;
        double[][] ret = exp.has("returns") ? GoldenJson.matrix(exp.get("returns")) : null;
        if (in.has("traj_index") || "one row per step".equals(in.path("layout").asText())) {
            return new Case(name, estimator, preset, params, null, null, null, adv, ret, error, atol, rtol);
        }
        GoldenJson.Padded p = GoldenJson.verl(in, "response_mask", (b, i) -> {
            if ("openrlhf".equals(preset)) {
                b.outcome(in.get("rewards").get(i).asDouble());
            } else if ("trl".equals(preset)) {
                JsonNode f = in.get("rewards_per_func").get(i);
                for (int k = 0; k < f.size(); k++)
                    b.outcomeComponent(
                            "f" + k, f.get(k).isNull() ? Double.NaN : f.get(k).asDouble());
            } else if (in.has("reward_baselines")) {
                b.signal("reward_baseline", in.get("reward_baselines").get(i).asDouble());
            }
        });
        return new Case(
                name, estimator, preset, params, p.batch(), p.tokenIndex(), p.mask(), adv, ret, error, atol, rtol);
    }

    private static final Set<String> OPENRLHF_DROP = Set.of("estimator", "n_samples_per_prompt");
    private static final Set<String> TRL_DROP = Set.of("num_generations", "mode", "std_epsilon");

    private static Map<String, Object> params(JsonNode p, String preset, JsonNode in) {
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = p.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if ("openrlhf".equals(preset)) {
                if (OPENRLHF_DROP.contains(k)) continue;
                if (k.equals("lambd")) k = "lambda";
                if (k.equals("init_kl_coef")) k = "kl_coef";
            } else if ("trl".equals(preset) && TRL_DROP.contains(k)) {
                continue;
            }
            out.put(k, GoldenJson.MAPPER.convertValue(e.getValue(), Object.class));
        }
        if ("trl".equals(preset) && in.has("reward_weights")) {
            out.put("reward_weights", GoldenJson.MAPPER.convertValue(in.get("reward_weights"), Object.class));
        }
        return out;
    }
}
