package dev.apportion.core.estimator.turn;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.testing.GoldenJson;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Test-only reader of the golden cases (the one test copy, apportion-io/src/test/resources/golden/, on the class path as /golden/): builds
 * the batch per the verl-layout adapter of the golden contract (row = trajectory {@code row<i>}
 * of group {@code index[i]}, spans = maximal runs of equal {@code response_mask},
 * {@code token_level_rewards} → token signal {@code reward}, {@code values} → {@code value},
 * {@code reward_baselines} → trajectory signal {@code reward_baseline}), plus this package's
 * mapping of {@code reward_components[key][i]} → outcome component {@code key} of row i.
 * Parameters pass verbatim except that a JSON {@code null} means "the estimator's default".
 */
final class TurnGoldenCases {
    private TurnGoldenCases() {}

    /** One golden case as read. */
    record Case(
            String name,
            String estimator,
            String preset,
            Map<String, Object> params,
            JsonNode input,
            JsonNode expected,
            double atol,
            double rtol) {}

    /** A built batch and the global token index of each padded position. */
    record Built(Rollouts batch, int[][] tokenIndex, double[][] mask) {}

    static List<Case> read(String resource) {
        return GoldenJson.read(
                "/golden/" + resource,
                (c, no) -> new Case(
                        c.path("case").asText(resource + ":" + no),
                        c.get("estimator").asText(),
                        c.hasNonNull("preset") ? c.get("preset").asText() : null,
                        GoldenJson.paramsWithoutNulls(c.path("params")),
                        c.get("input"),
                        c.get("expected"),
                        c.path("atol").asDouble(1e-5),
                        c.path("rtol").asDouble(1e-4)));
    }

    static Built build(JsonNode input) {
        JsonNode baselines = input.get("reward_baselines");
        JsonNode components = input.get("reward_components");
        GoldenJson.Padded p = GoldenJson.verl(input, "response_mask", (b, i) -> {
            if (baselines != null && !baselines.isNull())
                b.signal("reward_baseline", baselines.get(i).asDouble());
            if (components != null && !components.isNull()) {
                Iterator<Map.Entry<String, JsonNode>> it = components.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode v = e.getValue().get(i);
                    b.outcomeComponent(e.getKey(), v == null || v.isNull() ? Double.NaN : v.asDouble());
                }
            }
        });
        return new Built(p.batch(), p.tokenIndex(), p.mask());
    }

    /** Runs a case; returns null when it passes, else what went wrong. Skips are reported as failures. */
    static String check(Case c) {
        EstimatorRegistry reg = EstimatorRegistry.global();
        if (!reg.has(c.estimator())) return "estimator '" + c.estimator() + "' is not registered";
        Estimator e = reg.get(c.estimator());
        Params p = Params.resolve(e.descriptor(), c.preset(), c.params());
        Built built = build(c.input());
        if (c.expected().has("error")) {
            try {
                e.assign(built.batch(), p);
            } catch (IllegalArgumentException expected) {
                return null;
            }
            return "expected an error (" + c.expected().get("error").asText()
                    + ") but the estimator accepted the input";
        }
        Credit credit = e.assign(built.batch(), p);
        List<String> problems = new ArrayList<>();
        compare("advantages", c.expected().get("advantages"), credit.advantages(), built, c, true, problems);
        if (c.expected().hasNonNull("returns")) {
            if (credit.returns() == null) problems.add("the reference has returns, the estimator produced none");
            else compare("returns", c.expected().get("returns"), credit.returns(), built, c, false, problems);
        }
        if (c.expected().has("clip_scale")) {
            JsonNode want = c.expected().get("clip_scale");
            if (want.isNull()) {
                if (credit.clipScales() != null)
                    problems.add("the reference has no clip_scale, the estimator produced one");
            } else if (credit.clipScales() == null) {
                problems.add("the reference has clip_scale, the estimator produced none");
            } else {
                compare("clip_scale", want, credit.clipScales(), built, c, false, problems);
            }
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    private static void compare(
            String what, JsonNode want, float[] got, Built built, Case c, boolean zeroOffMask, List<String> problems) {
        float[][] w = GoldenJson.floatMatrix(want);
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            for (int t = 0; t < w[i].length; t++) {
                double g = got[built.tokenIndex()[i][t]];
                boolean ok;
                if (built.mask()[i][t] == 1f) ok = GoldenJson.close(w[i][t], g, c.atol(), c.rtol());
                else ok = !zeroOffMask || g == 0.0;
                if (!ok) {
                    if (bad++ == 0)
                        first.append(what)
                                .append("[")
                                .append(i)
                                .append("][")
                                .append(t)
                                .append("] want ")
                                .append(built.mask()[i][t] == 1f ? w[i][t] : 0f)
                                .append(" got ")
                                .append(g);
                }
            }
        }
        if (bad > 0) problems.add(bad + " " + what + " values off, first " + first);
    }
}
