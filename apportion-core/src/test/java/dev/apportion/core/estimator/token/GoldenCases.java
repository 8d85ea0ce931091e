package dev.apportion.core.estimator.token;

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

/**
 * Test-only reader of golden cases (the files under {@code src/test/resources/golden}, copied
 * from {@code ../shared/golden}; format in its README), turning each case into a batch as
 * GOLDEN-CONTRACT.md says: verl layout (row = trajectory, spans = runs of equal mask value,
 * {@code token_level_rewards} → token {@code reward}, {@code values} → {@code value},
 * {@code reward_baselines} → trajectory signal {@code reward_baseline}), or the OpenRLHF layout
 * (outcome = {@code rewards[i]}, {@code logprobs} → {@code logprob}, {@code ref_logprobs} →
 * {@code ref_logprob}, parameters renamed). Replaced by the io module's loader once it is on main.
 */
final class GoldenCases {
    private GoldenCases() {}

    /** One case, ready to run. */
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

    /** Every case of {@code resource} whose estimator is one of {@code estimators}. */
    static List<Case> load(String resource, List<String> estimators) {
        ObjectMapper om = new ObjectMapper();
        List<Case> out = new ArrayList<>();
        InputStream in = GoldenCases.class.getResourceAsStream(resource);
        if (in == null) throw new IllegalStateException("missing test resource " + resource);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode c = om.readTree(line);
                if (!estimators.contains(c.get("estimator").asText())) continue;
                try {
                    out.add(toCase(c));
                } catch (RuntimeException e) {
                    throw new IllegalStateException(resource + " line " + no + ": " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Case toCase(JsonNode c) {
        String preset = c.hasNonNull("preset") ? c.get("preset").asText() : null;
        JsonNode in = c.get("input");
        double[][] mask = matrix(in.get("response_mask"));
        int rows = mask.length;
        RolloutsBuilder b = Rollouts.builder();
        int[][] index = new int[rows][];
        int next = 0;
        for (int i = 0; i < rows; i++) {
            int len = mask[i].length;
            // cases of estimators that ignore groups may have no index: each row is then its own group
            b.trajectory(in.has("index") ? in.get("index").get(i).asText() : "row" + i, "row" + i);
            if ("openrlhf".equals(preset)) {
                b.outcome(in.get("rewards").get(i).asDouble());
            }
            int k = 0;
            while (k < len) {
                int e = k;
                while (e < len && mask[i][e] == mask[i][k]) e++;
                b.span(mask[i][k] == 1 ? Role.POLICY : Role.CONTEXT, e - k);
                k = e;
            }
            tokenSignal(b, in, "token_level_rewards", Rollouts.REWARD, i);
            tokenSignal(b, in, "values", Rollouts.VALUE, i);
            tokenSignal(b, in, "logprobs", Rollouts.LOGPROB, i);
            tokenSignal(b, in, "ref_logprobs", Rollouts.REF_LOGPROB, i);
            if (in.has("reward_baselines"))
                b.signal("reward_baseline", in.get("reward_baselines").get(i).asDouble());
            index[i] = new int[len];
            for (int t = 0; t < len; t++) index[i][t] = next++;
        }
        Map<String, Object> params = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = c.get("params").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if ("openrlhf".equals(preset)) {
                if (name.equals("estimator") || name.equals("n_samples_per_prompt")) continue;
                if (name.equals("lambd")) name = "lambda";
                if (name.equals("init_kl_coef")) name = "kl_coef";
            }
            params.put(name, value(e.getValue()));
        }
        JsonNode exp = c.get("expected");
        return new Case(
                c.get("case").asText(),
                c.get("estimator").asText(),
                preset,
                params,
                b.build(),
                index,
                mask,
                exp.has("advantages") ? matrix(exp.get("advantages")) : null,
                exp.has("returns") ? matrix(exp.get("returns")) : null,
                exp.has("error") ? exp.get("error").asText() : null,
                c.path("atol").asDouble(1e-5),
                c.path("rtol").asDouble(1e-4));
    }

    private static void tokenSignal(RolloutsBuilder b, JsonNode in, String key, String name, int row) {
        if (!in.has(key)) return;
        JsonNode r = in.get(key).get(row);
        float[] v = new float[r.size()];
        for (int t = 0; t < v.length; t++) v[t] = (float) r.get(t).asDouble();
        b.tokenSignal(name, v);
    }

    private static Object value(JsonNode n) {
        if (n.isBoolean()) return n.asBoolean();
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            for (JsonNode x : n) l.add(value(x));
            return l;
        }
        return n.asText();
    }

    private static double[][] matrix(JsonNode n) {
        double[][] m = new double[n.size()][];
        for (int i = 0; i < m.length; i++) {
            JsonNode r = n.get(i);
            m[i] = new double[r.size()];
            for (int t = 0; t < m[i].length; t++) m[i][t] = r.get(t).asDouble();
        }
        return m;
    }
}
