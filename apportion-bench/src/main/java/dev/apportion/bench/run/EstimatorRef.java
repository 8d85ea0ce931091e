package dev.apportion.bench.run;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A reference to an estimator configuration: registry id (or alias), optional preset, optional
 * parameter values, and the label results use. Text form {@code id} or {@code id@preset}.
 *
 * @param label name in results (defaults to the text form)
 * @param id registry id or alias
 * @param preset preset name or null
 * @param params explicit parameter values (may be empty)
 */
public record EstimatorRef(String label, String id, String preset, Map<String, Object> params) {
    public EstimatorRef {
        params = java.util.Collections.unmodifiableMap(new TreeMap<>(params));
    }

    /** Parses {@code id} or {@code id@preset}. */
    public static EstimatorRef parse(String text) {
        String t = text.trim();
        if (t.isEmpty()) throw new IllegalArgumentException("empty estimator name");
        int at = t.indexOf('@');
        if (at < 0) return new EstimatorRef(t, t, null, Map.of());
        String id = t.substring(0, at);
        String preset = t.substring(at + 1);
        if (id.isEmpty() || preset.isEmpty())
            throw new IllegalArgumentException("estimator '" + t + "' must be id or id@preset");
        return new EstimatorRef(t, id, preset, Map.of());
    }

    /** An estimator resolved against a registry, with validated parameters. */
    public record Resolved(EstimatorRef ref, Estimator estimator, Params params) {
        public String label() {
            return ref.label();
        }
    }

    /**
     * Resolves against {@code registry}.
     *
     * @throws IllegalArgumentException unknown id (with the closest known name), preset or parameter
     */
    public Resolved resolve(EstimatorRegistry registry) {
        Estimator e = registry.get(id);
        Params p = Params.resolve(e.descriptor(), preset, params);
        return new Resolved(this, e, p);
    }

    /** JSON-ready description. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("id", id);
        if (preset != null) m.put("preset", preset);
        if (!params.isEmpty()) m.put("params", params);
        return m;
    }
}
