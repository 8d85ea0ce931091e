package dev.apportion.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.batch.TurnReward;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which quantity the span rewards carry for each estimator (configuration file
 * {@code dev/apportion/bench/inputs.json}): an estimator whose method defines its own turn reward
 * (IGPO, A²TGPO, SIOP, MatchTIR, VPR) gets the task's exact version of it; every other estimator
 * gets the environment's step rewards; SPO-tree gets the group's prefix tree as its state keys.
 * Estimators whose inputs have no honest counterpart in a tabular task are listed as unavailable,
 * with the reason. Immutable.
 */
public final class EstimatorInputs {
    /** One entry: the source and why. */
    public record Entry(TurnReward source, String why) {}

    private final Map<String, Entry> byId;
    private final Map<String, String> unavailable;

    private EstimatorInputs(Map<String, Entry> byId, Map<String, String> unavailable) {
        this.byId = Map.copyOf(byId);
        this.unavailable = Map.copyOf(unavailable);
    }

    /** The built-in configuration. */
    public static EstimatorInputs builtIn() {
        String res = "/dev/apportion/bench/inputs.json";
        try (InputStream in = EstimatorInputs.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("missing resource " + res);
            return parse(new ObjectMapper().readTree(in), res);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + res + ": " + e.getMessage(), e);
        }
    }

    static EstimatorInputs parse(JsonNode root, String where) {
        Map<String, Entry> m = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.path("turn_rewards").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                m.put(
                        e.getKey(),
                        new Entry(
                                TurnReward.parse(e.getValue().path("source").asText()),
                                e.getValue().path("why").asText("")));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(where + ": turn_rewards." + e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        Map<String, String> u = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> ut = root.path("unavailable").fields();
        while (ut.hasNext()) {
            Map.Entry<String, JsonNode> e = ut.next();
            u.put(e.getKey(), e.getValue().asText());
        }
        return new EstimatorInputs(m, u);
    }

    /**
     * Why the bench does not feed registry id {@code id} (no honest mapping of its inputs onto a
     * tabular task), or null when it does.
     */
    public String unavailable(String id) {
        return unavailable.get(id);
    }

    /** The entry for registry id {@code id}, or the environment default. */
    public Entry of(String id) {
        Entry e = byId.get(id);
        return e != null ? e : new Entry(TurnReward.ENV, "the environment's step rewards");
    }
}
