package dev.apportion.core.estimator.trajectory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-only reader of the golden cases copied into {@code src/test/resources/golden/}, building
 * each case's batch exactly as GOLDEN-CONTRACT.md says (verl layout, openrlhf and trl adapters).
 * Stands in for the io module's loader until it is on main. The gigpo "one row per step" layout
 * is not handled (no estimator of this package uses it): such cases come back unsupported.
 */
final class GoldenCases {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenCases() {
    }

    /** One case, adapted. {@code batch} is null when the layout is not supported here. */
    record Case(String name, String estimator, String preset, Map<String, Object> params, Rollouts batch,
                int[][] tokenIndex, byte[][] mask, double[][] advantages, double[][] returns, String error,
                double atol, double rtol) {
    }

    static List<Case> load(String resource) {
        List<Case> out = new ArrayList<>();
        try (InputStream in = GoldenCases.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                try {
                    out.add(adapt(JSON.readTree(line)));
                } catch (RuntimeException e) {
                    throw new IllegalStateException(resource + " line " + no + ": " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
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
        double[][] adv = exp.has("advantages") ? matrix(exp.get("advantages")) : null;
        double[][] ret = exp.has("returns") ? matrix(exp.get("returns")) : null;
        if (in.has("traj_index") || "one row per step".equals(in.path("layout").asText())) {
            return new Case(name, estimator, preset, params, null, null, null, adv, ret, error, atol, rtol);
        }
        double[][] maskIn = matrix(in.get("response_mask"));
        int rows = maskIn.length;
        byte[][] mask = new byte[rows][];
        int[][] tokenIndex = new int[rows][];
        RolloutsBuilder b = Rollouts.builder();
        int global = 0;
        for (int i = 0; i < rows; i++) {
            int len = maskIn[i].length;
            mask[i] = new byte[len];
            tokenIndex[i] = new int[len];
            for (int t = 0; t < len; t++) {
                mask[i][t] = (byte) (maskIn[i][t] != 0 ? 1 : 0);
                tokenIndex[i][t] = global++;
            }
            b.trajectory(in.has("index") ? in.get("index").get(i).asText() : "row" + i, "row" + i);
            if ("openrlhf".equals(preset)) {
                b.outcome(in.get("rewards").get(i).asDouble());
            } else if ("trl".equals(preset)) {
                JsonNode f = in.get("rewards_per_func").get(i);
                for (int k = 0; k < f.size(); k++) b.outcomeComponent("f" + k, f.get(k).isNull() ? Double.NaN : f.get(k).asDouble());
            } else if (in.has("reward_baselines")) {
                b.signal("reward_baseline", in.get("reward_baselines").get(i).asDouble());
            }
            int t = 0;
            while (t < len) {
                int e = t;
                while (e < len && mask[i][e] == mask[i][t]) e++;
                b.span(mask[i][t] == 1 ? Role.POLICY : Role.CONTEXT, e - t);
                t = e;
            }
            tokenRow(b, in, "token_level_rewards", Rollouts.REWARD, i);
            tokenRow(b, in, "values", Rollouts.VALUE, i);
            tokenRow(b, in, "logprobs", Rollouts.LOGPROB, i);
            tokenRow(b, in, "ref_logprobs", Rollouts.REF_LOGPROB, i);
        }
        return new Case(name, estimator, preset, params, b.build(), tokenIndex, mask, adv, ret, error, atol, rtol);
    }

    private static void tokenRow(RolloutsBuilder b, JsonNode in, String key, String signal, int row) {
        if (in.has(key)) b.tokenSignal(signal, matrix(in.get(key))[row]);
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
            out.put(k, JSON.convertValue(e.getValue(), Object.class));
        }
        if ("trl".equals(preset) && in.has("reward_weights")) {
            out.put("reward_weights", JSON.convertValue(in.get("reward_weights"), Object.class));
        }
        return out;
    }

    private static double[][] matrix(JsonNode m) {
        double[][] out = new double[m.size()][];
        for (int i = 0; i < m.size(); i++) {
            JsonNode row = m.get(i);
            out[i] = new double[row.size()];
            for (int t = 0; t < row.size(); t++) out[i][t] = row.get(t).asDouble();
        }
        return out;
    }
}
