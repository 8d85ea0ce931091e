package dev.apportion.bench.task;

import dev.apportion.core.credit.ParamSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Validated knob values of one task configuration: the family's declared defaults overlaid
 * by explicit values, each checked against its {@link ParamSpec} (type and range). Unknown
 * names are rejected with the list of known ones. Immutable.
 */
public final class Knobs {
    private final String family;
    private final Map<String, ParamSpec> specs;
    private final Map<String, Object> values;
    private final Map<String, Object> explicit;

    private Knobs(
            String family, Map<String, ParamSpec> specs, Map<String, Object> values, Map<String, Object> explicit) {
        this.family = family;
        this.specs = specs;
        this.values = Collections.unmodifiableMap(values);
        this.explicit = Collections.unmodifiableMap(explicit);
    }

    /**
     * Resolves {@code overrides} against {@code specs}.
     *
     * @throws IllegalArgumentException naming the family, the knob and the value
     */
    public static Knobs resolve(String family, List<ParamSpec> specs, Map<String, ?> overrides) {
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        for (ParamSpec p : specs) byName.put(p.name(), p);
        Map<String, Object> values = new TreeMap<>();
        for (ParamSpec p : specs) values.put(p.name(), p.defaultValue());
        Map<String, Object> explicit = new TreeMap<>();
        for (Map.Entry<String, ?> e : overrides.entrySet()) {
            ParamSpec spec = byName.get(e.getKey());
            if (spec == null) {
                throw new IllegalArgumentException("task '" + family + "' has no knob '" + e.getKey() + "' (knobs: "
                        + String.join(", ", byName.keySet()) + ")");
            }
            Object v;
            try {
                v = spec.coerce(e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(
                        "task '" + family + "': " + ex.getMessage().replace("parameter", "knob"), ex);
            }
            values.put(e.getKey(), v);
            explicit.put(e.getKey(), v);
        }
        return new Knobs(family, byName, values, explicit);
    }

    public String family() {
        return family;
    }

    /** Every knob value (sorted by name). */
    public Map<String, Object> values() {
        return values;
    }

    /** The values given explicitly (sorted by name). */
    public Map<String, Object> explicit() {
        return explicit;
    }

    public int getInt(String name) {
        return (Integer) get(name);
    }

    public double getDouble(String name) {
        return (Double) get(name);
    }

    public boolean getBoolean(String name) {
        return (Boolean) get(name);
    }

    public String getString(String name) {
        return (String) get(name);
    }

    @SuppressWarnings("unchecked")
    public double[] getDoubleList(String name) {
        List<Double> l = (List<Double>) get(name);
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = l.get(i);
        return out;
    }

    /**
     * The error for knob values a family cannot use together: {@code task '<family>': knob '<name>' <problem>}.
     * Checks {@code name} is a knob of the family.
     */
    public IllegalArgumentException invalid(String name, String problem) {
        get(name);
        return new IllegalArgumentException("task '" + family + "': knob '" + name + "' " + problem);
    }

    private Object get(String name) {
        if (!specs.containsKey(name))
            throw new IllegalArgumentException("task '" + family + "' declares no knob '" + name + "'");
        return values.get(name);
    }

    /** Stable text form: {@code family[k=v,...]} of the explicit values. */
    public String canonical() {
        StringBuilder b = new StringBuilder(family).append('[');
        boolean first = true;
        for (Map.Entry<String, Object> e : explicit.entrySet()) {
            if (!first) b.append(',');
            first = false;
            b.append(e.getKey()).append('=').append(format(e.getValue()));
        }
        return b.append(']').toString();
    }

    static String format(Object v) {
        if (v instanceof Double) {
            double d = (Double) v;
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
            return Double.toString(d);
        }
        if (v instanceof List) {
            StringBuilder b = new StringBuilder();
            for (Object o : (List<?>) v) {
                if (b.length() > 0) b.append(';');
                b.append(format(o));
            }
            return b.toString();
        }
        return String.valueOf(v);
    }

    @Override
    public String toString() {
        return canonical();
    }
}
