package dev.apportion.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.learn.LearningConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark suite: the protocol constants and the task entries, read from JSON (the built-in
 * {@code quick} and {@code full} suites live in {@code dev/apportion/bench/suites/}).
 *
 * @param name suite name
 * @param description one line
 * @param seeds seeds for the credit-quality metrics
 * @param learningSeeds seeds for the learning comparison
 * @param learningRateGrid candidate learning rates (one value = no tuning)
 * @param tuningSeeds seeds per grid value for choosing each estimator's rate (disjoint from the reported ones)
 * @param batches resampled batches per seed (credit quality)
 * @param groups groups per batch
 * @param groupSize episodes per group
 * @param policyLogitScale credit quality is measured under a random tabular policy with logits ~ N(0, scale²)
 * @param learning the policy-gradient protocol
 * @param tasks task entries
 * @param notes remarks the report repeats (e.g. reduced seeds)
 */
public record Suite(
        String name,
        String description,
        int seeds,
        int learningSeeds,
        int batches,
        int groups,
        int groupSize,
        double policyLogitScale,
        LearningConfig learning,
        List<TaskEntry> tasks,
        List<String> notes,
        List<Double> learningRateGrid,
        int tuningSeeds) {

    /** A built-in suite by name ({@code quick} or {@code full}). */
    public static Suite builtIn(String name) {
        String res = "/dev/apportion/bench/suites/" + name + ".json";
        try (InputStream in = Suite.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalArgumentException("unknown suite '" + name + "' (built-in: quick, full)");
            return parse(new ObjectMapper().readTree(in), res);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in suite " + res + ": " + e.getMessage(), e);
        }
    }

    /** A suite from a JSON file. */
    public static Suite load(Path file) throws IOException {
        return parse(new ObjectMapper().readTree(Files.readAllBytes(file)), file.toString());
    }

    /** Parses a suite; {@code where} names the source in messages. */
    public static Suite parse(JsonNode n, String where) {
        Json j = new Json(n, where);
        JsonNode l = j.req("learning");
        Json lj = new Json(l, where + ": learning");
        LearningConfig lc = new LearningConfig(
                lj.intOr("groups", j.intOr("groups", 4)),
                lj.intOr("group_size", j.intOr("group_size", 8)),
                lj.reqInt("updates"),
                lj.reqDouble("learning_rate"),
                lj.doubleOr("success_threshold", 0.8));
        List<TaskEntry> tasks = new ArrayList<>();
        for (JsonNode t : j.req("tasks")) {
            Json tj = new Json(t, where + ": task " + t.path("id").asText("?"));
            String sweepKnob = null;
            List<Object> values = new ArrayList<>();
            if (t.has("sweep")) {
                JsonNode sw = t.get("sweep");
                Iterator<String> it = sw.fieldNames();
                if (!it.hasNext())
                    throw new IllegalArgumentException(
                            where + ": task " + t.path("id").asText() + ": empty sweep");
                sweepKnob = it.next();
                if (it.hasNext())
                    throw new IllegalArgumentException(
                            where + ": task " + t.path("id").asText() + ": sweep one knob at a time");
                for (JsonNode v : sw.get(sweepKnob)) values.add(Json.value(v));
            }
            tasks.add(new TaskEntry(
                    tj.reqText("id"),
                    tj.reqText("family"),
                    Json.map(t.get("knobs")),
                    sweepKnob,
                    values,
                    tj.boolOr("learning", true),
                    tj.boolOr("leaderboard", sweepKnob == null),
                    t.path("bsuite").asText(null)));
        }
        List<String> notes = new ArrayList<>();
        for (JsonNode x : n.path("notes")) notes.add(x.asText());
        return new Suite(
                j.reqText("name"),
                n.path("description").asText(""),
                j.reqInt("seeds"),
                j.intOr("learning_seeds", j.reqInt("seeds")),
                j.reqInt("batches"),
                j.intOr("groups", 4),
                j.intOr("group_size", 8),
                j.doubleOr("policy_logit_scale", 1.0),
                lc,
                tasks,
                notes,
                grid(l, lc.learningRate(), where),
                lj.intOr("tuning_seeds", 0));
    }

    /** {@code learning.learning_rate_grid}, or the single {@code learning_rate} when absent. */
    private static List<Double> grid(JsonNode l, double single, String where) {
        List<Double> g = new ArrayList<>();
        for (JsonNode v : l.path("learning_rate_grid")) {
            if (!v.isNumber() || !(v.asDouble() > 0)) {
                throw new IllegalArgumentException(
                        where + ": learning.learning_rate_grid: expected positive numbers, got " + v);
            }
            g.add(v.asDouble());
        }
        if (g.isEmpty()) g.add(single);
        return List.copyOf(g);
    }

    /** This suite with every seed count replaced. */
    public Suite withSeeds(int n) {
        if (n < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + n);
        List<String> nn = new ArrayList<>(notes);
        nn.add("seed counts overridden to " + n + " on the command line");
        return new Suite(
                name,
                description,
                n,
                n,
                batches,
                groups,
                groupSize,
                policyLogitScale,
                learning,
                tasks,
                nn,
                learningRateGrid,
                tuningSeeds);
    }

    /** JSON-ready form (for provenance). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("description", description);
        m.put("seeds", seeds);
        m.put("learning_seeds", learningSeeds);
        m.put("batches_per_seed", batches);
        m.put("groups", groups);
        m.put("group_size", groupSize);
        m.put("policy_logit_scale", policyLogitScale);
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("groups", learning.groups());
        l.put("group_size", learning.groupSize());
        l.put("updates", learning.updates());
        l.put("episodes_budget", learning.updates() * learning.episodesPerUpdate());
        l.put("learning_rate", learning.learningRate());
        l.put("learning_rate_grid", learningRateGrid);
        l.put("tuning_seeds", tuningSeeds);
        l.put(
                "tuning_note",
                "with a grid of several rates and tuning_seeds > 0, each estimator's rate on each task is the grid "
                        + "value with the best mean learn_auc over tuning_seeds seeds disjoint from the reported learning seeds");
        l.put("success_threshold", learning.successThreshold());
        m.put("learning", l);
        m.put("notes", notes);
        return m;
    }

    /** Small typed accessors with messages naming the file and the field. */
    static final class Json {
        private final JsonNode n;
        private final String where;

        Json(JsonNode n, String where) {
            this.n = n;
            this.where = where;
        }

        JsonNode req(String f) {
            JsonNode v = n.get(f);
            if (v == null || v.isNull()) throw new IllegalArgumentException(where + ": missing field '" + f + "'");
            return v;
        }

        String reqText(String f) {
            JsonNode v = req(f);
            if (!v.isTextual())
                throw new IllegalArgumentException(where + ": field '" + f + "' must be a string, got " + v);
            return v.asText();
        }

        int reqInt(String f) {
            JsonNode v = req(f);
            if (!v.canConvertToInt() || !v.isIntegralNumber())
                throw new IllegalArgumentException(where + ": field '" + f + "' must be an integer, got " + v);
            return v.asInt();
        }

        double reqDouble(String f) {
            JsonNode v = req(f);
            if (!v.isNumber())
                throw new IllegalArgumentException(where + ": field '" + f + "' must be a number, got " + v);
            return v.asDouble();
        }

        int intOr(String f, int def) {
            return n.has(f) ? reqInt(f) : def;
        }

        double doubleOr(String f, double def) {
            return n.has(f) ? reqDouble(f) : def;
        }

        boolean boolOr(String f, boolean def) {
            if (!n.has(f)) return def;
            JsonNode v = n.get(f);
            if (!v.isBoolean())
                throw new IllegalArgumentException(where + ": field '" + f + "' must be true or false, got " + v);
            return v.asBoolean();
        }

        static Map<String, Object> map(JsonNode o) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (o == null) return m;
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), value(e.getValue()));
            }
            return m;
        }

        static Object value(JsonNode v) {
            if (v.isBoolean()) return v.asBoolean();
            if (v.isIntegralNumber()) return v.asLong() == (int) v.asLong() ? (Object) v.asInt() : (Object) v.asLong();
            if (v.isNumber()) return v.asDouble();
            if (v.isArray()) {
                List<Object> l = new ArrayList<>();
                for (JsonNode x : v) l.add(value(x));
                return l;
            }
            if (v.isObject()) return map(v);
            return v.asText();
        }
    }
}
