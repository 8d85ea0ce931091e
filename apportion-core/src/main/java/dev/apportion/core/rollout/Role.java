package dev.apportion.core.rollout;

/** Who produced the tokens of a span: the trained policy, or the context around it. */
public enum Role {
    /** Tokens sampled from the policy; trainable ({@code mask = 1}). */
    POLICY,
    /** Prompt, tool output, observation, padding; never credited ({@code mask = 0}). */
    CONTEXT;

    /** Parses {@code "policy"} or {@code "context"} (case-insensitive). */
    public static Role parse(String s) {
        if (s != null) {
            switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "policy":
                    return POLICY;
                case "context":
                    return CONTEXT;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException(
                "role must be \"policy\" or \"context\", got " + (s == null ? "null" : "\"" + s + "\""));
    }

    /** Lower-case name used in files. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
