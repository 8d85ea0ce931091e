package dev.apportion.catalog;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Wire names of the catalog's enums: lower case with underscores ({@code multi_agent}). */
final class WireEnum {
    private WireEnum() {}

    static String wire(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant whose wire name is {@code text}; hyphens and case are forgiven
     * ({@code Multi-Agent} finds {@code MULTI_AGENT}).
     *
     * @throws IllegalArgumentException naming {@code what}, the value and the valid values
     */
    static <E extends Enum<E>> E parse(Class<E> type, String text, String what) {
        if (text != null) {
            String key = text.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(key)) return e;
            }
        }
        throw new IllegalArgumentException(what + ": '" + text + "' is not one of " + choices(type));
    }

    static <E extends Enum<E>> String choices(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(WireEnum::wire).collect(Collectors.joining(", "));
    }
}
