package dev.apportion.bench.run;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.bench.learn.LearningRun;
import dev.apportion.bench.run.BenchResult.Example;
import dev.apportion.bench.run.BenchResult.ExampleTrajectory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes the outputs of work units as journal records and decodes them back exactly: doubles are
 * written in Java's shortest round-trip form (non-finite ones as the strings {@code NaN},
 * {@code Infinity}, {@code -Infinity}), so a decoded output equals the computed one bit for bit.
 */
final class UnitCodec {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper OM = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private UnitCodec() {}

    // ---- credit units -------------------------------------------------------------------------

    static ObjectNode credit(Units.CreditSeed cs) {
        ObjectNode n = F.objectNode();
        ObjectNode v = n.putObject("values");
        for (Map.Entry<String, double[]> e : cs.values.entrySet()) v.set(e.getKey(), doubles(e.getValue()));
        ObjectNode er = n.putObject("errors");
        for (Map.Entry<String, String> e : cs.errors.entrySet()) er.put(e.getKey(), e.getValue());
        ObjectNode na = n.putObject("nanos");
        for (Map.Entry<String, long[]> e : cs.nanos.entrySet()) {
            ArrayNode a = na.putArray(e.getKey());
            for (long x : e.getValue()) a.add(x);
        }
        n.set("instance", OM.valueToTree(cs.instance));
        n.set("metadata", OM.valueToTree(cs.metadata));
        if (cs.example != null) n.set("example", example(cs.example));
        return n;
    }

    static Units.CreditSeed credit(JsonNode n) {
        Units.CreditSeed cs = new Units.CreditSeed();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("values").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            cs.values.put(e.getKey(), doubles(e.getValue()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("errors").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            cs.errors.put(e.getKey(), e.getValue().asText());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("nanos").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            long[] a = new long[e.getValue().size()];
            for (int i = 0; i < a.length; i++) a[i] = e.getValue().get(i).asLong();
            cs.nanos.put(e.getKey(), a);
        }
        cs.instance = OM.convertValue(n.get("instance"), MAP);
        cs.metadata = OM.convertValue(n.get("metadata"), MAP);
        if (n.hasNonNull("example")) cs.example = example(n.get("example"));
        return cs;
    }

    private static ObjectNode example(Example ex) {
        ObjectNode n = F.objectNode();
        ArrayNode ts = n.putArray("trajectories");
        for (ExampleTrajectory t : ex.trajectories()) {
            ObjectNode o = ts.addObject();
            o.put("id", t.id());
            o.put("success", t.success());
            o.set("outcome", dbl(t.outcome()));
            o.set("return", dbl(t.episodeReturn()));
            o.set("states", OM.valueToTree(t.states()));
            o.set("actions", OM.valueToTree(t.actions()));
            o.set("labels", OM.valueToTree(t.labels()));
            o.set("truth", doubles(t.truth()));
            ObjectNode c = o.putObject("credit");
            for (Map.Entry<String, List<Double>> e : t.credit().entrySet()) c.set(e.getKey(), doubles(e.getValue()));
            o.put("truncated", t.truncated());
        }
        return n;
    }

    private static Example example(JsonNode n) {
        List<ExampleTrajectory> out = new ArrayList<>();
        for (JsonNode o : n.path("trajectories")) {
            Map<String, List<Double>> credit = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = o.path("credit").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                credit.put(e.getKey(), doubleList(e.getValue()));
            }
            out.add(new ExampleTrajectory(
                    o.get("id").asText(),
                    o.get("success").asBoolean(),
                    dbl(o.get("outcome")),
                    dbl(o.get("return")),
                    strings(o.get("states")),
                    strings(o.get("actions")),
                    strings(o.get("labels")),
                    doubleList(o.get("truth")),
                    credit,
                    o.get("truncated").asBoolean()));
        }
        return new Example(out);
    }

    // ---- learning units -----------------------------------------------------------------------

    static ObjectNode learning(LearningRun r, String error) {
        ObjectNode n = F.objectNode();
        if (error != null) {
            n.put("error", error);
            return n;
        }
        ObjectNode o = n.putObject("run");
        o.set("success", doubles(r.success()));
        o.put("episodes_per_update", r.episodesPerUpdate());
        o.set("optimal_success", dbl(r.optimalSuccess()));
        o.set("train_success_rate", dbl(r.trainSuccessRate()));
        o.set("train_average_return", dbl(r.trainAverageReturn()));
        o.set("threshold", dbl(r.threshold()));
        o.set("expected_return", doubles(r.expectedReturn()));
        o.put("updates_run", r.updatesRun());
        return n;
    }

    /** The error of a learning record, or null. */
    static String learningError(JsonNode n) {
        return n.hasNonNull("error") ? n.get("error").asText() : null;
    }

    static LearningRun learning(JsonNode n) {
        JsonNode o = n.get("run");
        return new LearningRun(
                doubles(o.get("success")),
                o.get("episodes_per_update").asInt(),
                dbl(o.get("optimal_success")),
                dbl(o.get("train_success_rate")),
                dbl(o.get("train_average_return")),
                dbl(o.get("threshold")),
                doubles(o.get("expected_return")),
                o.get("updates_run").asInt());
    }

    static ObjectNode tuning(double auc) {
        ObjectNode n = F.objectNode();
        n.set("auc", dbl(auc));
        return n;
    }

    static double tuning(JsonNode n) {
        return dbl(n.get("auc"));
    }

    // ---- exact doubles --------------------------------------------------------------------------

    static JsonNode dbl(double v) {
        if (Double.isFinite(v)) return F.numberNode(v);
        return F.textNode(Double.toString(v)); // NaN, Infinity, -Infinity
    }

    static double dbl(JsonNode n) {
        if (n == null || n.isNull()) throw new IllegalArgumentException("missing number");
        if (n.isTextual()) return Double.parseDouble(n.asText());
        return n.doubleValue();
    }

    private static ArrayNode doubles(double[] v) {
        ArrayNode a = F.arrayNode(v.length);
        for (double x : v) a.add(dbl(x));
        return a;
    }

    private static ArrayNode doubles(List<Double> v) {
        ArrayNode a = F.arrayNode(v.size());
        for (Double x : v) a.add(x == null ? F.nullNode() : dbl(x));
        return a;
    }

    private static double[] doubles(JsonNode n) {
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = dbl(n.get(i));
        return v;
    }

    private static List<Double> doubleList(JsonNode n) {
        List<Double> out = new ArrayList<>(n.size());
        for (JsonNode x : n) out.add(x.isNull() ? null : dbl(x));
        return out;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>(n.size());
        for (JsonNode x : n) out.add(x.asText());
        return out;
    }
}
