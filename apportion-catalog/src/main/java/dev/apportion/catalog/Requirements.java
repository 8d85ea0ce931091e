package dev.apportion.catalog;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The requirements of one method (see {@link Requirement}).
 *
 * @param needed what the method needs; empty when it needs only rollouts with outcome rewards
 */
public record Requirements(Set<Requirement> needed) {
    public Requirements {
        needed = needed.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(needed));
    }

    public boolean has(Requirement r) {
        return needed.contains(r);
    }
}
