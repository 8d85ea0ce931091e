package dev.apportion.core.credit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Immutable, validated parameter values of one estimator: its declared defaults, overlaid by
 * a preset, overlaid by explicit values. Every name is checked against the estimator's
 * {@link ParamSpec}s and every value against its type and range.
 */
public final class Params {
    private final String estimator;
    private final String preset;
    private final Map<String, ParamSpec> specs;
    private final Map<String, Object> values;

    private Params(String estimator, String preset, Map<String, ParamSpec> specs, Map<String, Object> values) {
        this.estimator = estimator;
        this.preset = preset;
        this.specs = specs;
        this.values = Collections.unmodifiableMap(values);
    }

    /** The defaults of {@code d}. */
    public static Params defaults(Descriptor d) {
        return resolve(d, null, Map.of());
    }

    /**
     * Resolves parameters.
     *
     * @param preset a preset name of {@code d} or null for the estimator's defaults
     * @param overrides explicit values (strings are parsed, numbers and booleans taken as they are)
     * @throws IllegalArgumentException for an unknown preset or parameter, or a bad value
     */
    public static Params resolve(Descriptor d, String preset, Map<String, ?> overrides) {
        Map<String, ParamSpec> specs = new LinkedHashMap<>();
        for (ParamSpec p : d.parameters()) specs.put(p.name(), p);
        Map<String, Object> values = new TreeMap<>();
        for (ParamSpec p : d.parameters()) values.put(p.name(), p.defaultValue());
        if (preset != null) {
            Map<String, Object> pv = d.presets().get(preset);
            if (pv == null) {
                throw new IllegalArgumentException("estimator '" + d.id() + "' has no preset '" + preset + "'"
                        + (d.presets().isEmpty()
                                ? " (it has none)"
                                : " (presets: " + String.join(", ", d.presets().keySet()) + ")"));
            }
            for (Map.Entry<String, Object> e : pv.entrySet()) put(d, specs, values, e.getKey(), e.getValue());
        }
        for (Map.Entry<String, ?> e : overrides.entrySet()) put(d, specs, values, e.getKey(), e.getValue());
        return new Params(d.id(), preset, specs, values);
    }

    private static void put(
            Descriptor d, Map<String, ParamSpec> specs, Map<String, Object> values, String name, Object raw) {
        ParamSpec spec = specs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("estimator '" + d.id() + "' has no parameter '" + name + "'"
                    + (specs.isEmpty()
                            ? " (it takes none)"
                            : " (parameters: " + String.join(", ", specs.keySet()) + ")"));
        }
        try {
            values.put(name, spec.coerce(raw));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("estimator '" + d.id() + "': " + e.getMessage(), e);
        }
    }

    public String estimator() {
        return estimator;
    }

    /** The preset these values started from, or null. */
    public String preset() {
        return preset;
    }

    /** All values by name (sorted), for provenance. */
    public Map<String, Object> values() {
        return values;
    }

    private Object get(String name, ParamSpec.Type type) {
        ParamSpec spec = specs.get(name);
        if (spec == null)
            throw new IllegalArgumentException("estimator '" + estimator + "' declares no parameter '" + name + "'");
        if (spec.type() != type && !(type == ParamSpec.Type.STRING && spec.type() == ParamSpec.Type.CHOICE)) {
            throw new IllegalStateException("parameter '" + name + "' is " + spec.type() + ", not " + type);
        }
        return values.get(name);
    }

    public double getDouble(String name) {
        return (Double) get(name, ParamSpec.Type.DOUBLE);
    }

    public int getInt(String name) {
        return (Integer) get(name, ParamSpec.Type.INT);
    }

    public boolean getBoolean(String name) {
        return (Boolean) get(name, ParamSpec.Type.BOOLEAN);
    }

    /** A CHOICE or STRING parameter. */
    public String getString(String name) {
        return (String) get(name, ParamSpec.Type.STRING);
    }

    /**
     * A CHOICE parameter as a constant of a closed family: the constant whose {@link WireName#of
     * wire name} is exactly the chosen value ({@code "policy_spans"} → {@code POLICY_SPANS} by the
     * lower-case rule; {@code "token-mean"} → the constant whose {@link WireName#wire()} says so).
     * The string API stays: the descriptor lists the same values
     * ({@link ParamSpec#choice(String, Enum, String)} builds the list from the enum), so the
     * choice is validated once, when parameters are resolved.
     *
     * @throws IllegalStateException when the value names no constant of {@code type} (the
     *     descriptor and the enum disagree: a bug, not bad input)
     */
    public <E extends Enum<E>> E getChoice(String name, Class<E> type) {
        String v = getString(name);
        for (E e : type.getEnumConstants()) {
            if (WireName.of(e).equals(v)) return e;
        }
        throw new IllegalStateException(
                estimator + "." + name + " = '" + v + "' names no constant of " + type.getSimpleName());
    }

    /** A DOUBLE_LIST parameter as a fresh array. */
    @SuppressWarnings("unchecked")
    public double[] getDoubleList(String name) {
        java.util.List<Double> l = (java.util.List<Double>) get(name, ParamSpec.Type.DOUBLE_LIST);
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = l.get(i);
        return out;
    }

    /** The specs these values were checked against. */
    public List<ParamSpec> specs() {
        return List.copyOf(specs.values());
    }

    @Override
    public String toString() {
        return estimator + (preset == null ? "" : "[" + preset + "]") + values;
    }
}
