package dev.apportion.core.credit;

import java.util.Locale;

/**
 * The value a constant of a closed choice family is written as in parameters, presets and
 * {@code apportion estimators}, when that differs from the constant's lower-case name: values
 * that are not Java names ({@code token-mean}, {@code per-step-row}) or keep the reference's
 * capitals ({@code Memory_efficient}, {@code PRM}). An enum implements it to take such a choice
 * with {@link ParamSpec#choice(String, Enum, String)} and read it back with
 * {@link Params#getChoice}; an enum that does not implement it is written as its lower-case
 * constant names. Matching is exact (case-sensitive), as for every choice.
 */
public interface WireName {
    /** The value as written on the wire, exactly. */
    String wire();

    /**
     * The wire name of {@code constant}: its {@link #wire()} when it implements this interface,
     * else its constant name in lower case ({@code POLICY_SPANS} → {@code policy_spans}).
     */
    static String of(Enum<?> constant) {
        if (constant instanceof WireName w) return w.wire();
        return constant.name().toLowerCase(Locale.ROOT);
    }
}
