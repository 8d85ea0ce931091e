package dev.apportion.core.credit;

import dev.apportion.core.text.Numbers;
import java.util.List;
import java.util.Locale;

/**
 * One typed, documented estimator parameter with its default and its valid range.
 *
 * @param name wire name, snake_case (as the frameworks spell it where they have it)
 * @param type value type
 * @param defaultValue default ({@link Double}, {@link Integer}, {@link Boolean} or {@link String})
 * @param min smallest allowed value for numbers (inclusive), or null
 * @param max largest allowed value for numbers (inclusive), or null
 * @param choices allowed values for {@link Type#CHOICE}, else empty
 * @param doc one sentence for {@code apportion estimators} and the docs
 */
public record ParamSpec(
        String name, Type type, Object defaultValue, Double min, Double max, List<String> choices, String doc) {

    /** Parameter value types. */
    public enum Type {
        DOUBLE,
        INT,
        BOOLEAN,
        CHOICE,
        STRING,
        DOUBLE_LIST
    }

    public ParamSpec {
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (defaultValue != null) defaultValue = coerce(name, type, defaultValue, min, max, choices, "default of ");
    }

    public static ParamSpec real(String name, double def, Double min, Double max, String doc) {
        return new ParamSpec(name, Type.DOUBLE, def, min, max, List.of(), doc);
    }

    public static ParamSpec integer(String name, int def, Integer min, Integer max, String doc) {
        return new ParamSpec(
                name,
                Type.INT,
                def,
                min == null ? null : min.doubleValue(),
                max == null ? null : max.doubleValue(),
                List.of(),
                doc);
    }

    public static ParamSpec bool(String name, boolean def, String doc) {
        return new ParamSpec(name, Type.BOOLEAN, def, null, null, List.of(), doc);
    }

    public static ParamSpec choice(String name, String def, List<String> choices, String doc) {
        return new ParamSpec(name, Type.CHOICE, def, null, null, choices, doc);
    }

    /**
     * A choice among the constants of an enum, in declaration order, each written as its
     * {@link WireName#of wire name} (its lower-case name unless the enum implements
     * {@link WireName}); read it back with {@link Params#getChoice}.
     *
     * @throws IllegalArgumentException when two constants share a wire name or one is empty
     */
    public static <E extends Enum<E>> ParamSpec choice(String name, E def, String doc) {
        List<String> names = new java.util.ArrayList<>();
        for (E e : def.getDeclaringClass().getEnumConstants()) {
            String wire = WireName.of(e);
            if (wire == null || wire.isEmpty() || names.contains(wire)) {
                throw new IllegalArgumentException(
                        "parameter '" + name + "': " + e.getDeclaringClass().getSimpleName()
                                + "." + e.name() + " has " + (names.contains(wire) ? "the duplicate" : "an empty")
                                + " wire name '" + wire + "'");
            }
            names.add(wire);
        }
        return choice(name, WireName.of(def), names, doc);
    }

    /** A list of numbers: given as a JSON array or as comma-separated text ("-10,10"). */
    public static ParamSpec realList(String name, List<Double> def, String doc) {
        return new ParamSpec(name, Type.DOUBLE_LIST, def, null, null, List.of(), doc);
    }

    public static ParamSpec string(String name, String def, String doc) {
        return new ParamSpec(name, Type.STRING, def, null, null, List.of(), doc);
    }

    /** Checks and converts a raw value (a string from the command line, or a JSON number/boolean). */
    public Object coerce(Object raw) {
        return coerce(name, type, raw, min, max, choices, "");
    }

    private static Object coerce(
            String name, Type type, Object raw, Double min, Double max, List<String> choices, String what) {
        String label = what + "parameter '" + name + "'";
        if (raw == null) throw new IllegalArgumentException(label + " must not be null");
        switch (type) {
            case DOUBLE: {
                double v;
                if (raw instanceof Number) v = ((Number) raw).doubleValue();
                else {
                    try {
                        v = Double.parseDouble(raw.toString().trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(label + " must be a number, got '" + raw + "'");
                    }
                }
                if (!Double.isFinite(v)) throw new IllegalArgumentException(label + " must be finite, got " + raw);
                checkRange(label, v, min, max, raw);
                return v;
            }
            case INT: {
                long v;
                if (raw instanceof Integer || raw instanceof Long || raw instanceof Short)
                    v = ((Number) raw).longValue();
                else if (raw instanceof Number) {
                    double d = ((Number) raw).doubleValue();
                    if (d != Math.rint(d))
                        throw new IllegalArgumentException(label + " must be a whole number, got " + raw);
                    v = (long) d;
                } else {
                    try {
                        v = Long.parseLong(raw.toString().trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(label + " must be a whole number, got '" + raw + "'");
                    }
                }
                if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE)
                    throw new IllegalArgumentException(label + " is out of range: " + raw);
                checkRange(label, v, min, max, raw);
                return (int) v;
            }
            case BOOLEAN: {
                if (raw instanceof Boolean) return raw;
                String s = raw.toString().trim().toLowerCase(Locale.ROOT);
                if (s.equals("true")) return Boolean.TRUE;
                if (s.equals("false")) return Boolean.FALSE;
                throw new IllegalArgumentException(label + " must be true or false, got '" + raw + "'");
            }
            case CHOICE: {
                String s = raw.toString();
                if (!choices.contains(s))
                    throw new IllegalArgumentException(label + " must be one of " + choices + ", got '" + raw + "'");
                return s;
            }
            case DOUBLE_LIST: {
                List<?> items;
                if (raw instanceof List) items = (List<?>) raw;
                else if (raw instanceof double[]) {
                    java.util.List<Double> l = new java.util.ArrayList<>();
                    for (double d : (double[]) raw) l.add(d);
                    items = l;
                } else {
                    String t = raw.toString().trim();
                    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
                    items = t.isEmpty() ? List.of() : java.util.Arrays.asList(t.split(","));
                }
                java.util.List<Double> out = new java.util.ArrayList<>();
                for (Object o : items) {
                    double v;
                    if (o instanceof Number) v = ((Number) o).doubleValue();
                    else {
                        try {
                            v = Double.parseDouble(String.valueOf(o).trim());
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(label + " must be a list of numbers, got '" + raw + "'");
                        }
                    }
                    if (!Double.isFinite(v))
                        throw new IllegalArgumentException(label + " must hold finite numbers, got " + raw);
                    out.add(v);
                }
                return List.copyOf(out);
            }
            case STRING:
            default:
                return raw.toString();
        }
    }

    private static void checkRange(String label, double v, Double min, Double max, Object raw) {
        if (min != null && v < min)
            throw new IllegalArgumentException(label + " must be >= " + Numbers.exact(min) + ", got " + raw);
        if (max != null && v > max)
            throw new IllegalArgumentException(label + " must be <= " + Numbers.exact(max) + ", got " + raw);
    }
}
