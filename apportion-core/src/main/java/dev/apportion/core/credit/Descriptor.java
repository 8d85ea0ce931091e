package dev.apportion.core.credit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an estimator is: its id and aliases, its source, its place in the survey's taxonomy,
 * how faithful it is, what it needs and what it takes.
 *
 * @param id registry id (the framework's name where one exists, e.g. {@code grpo})
 * @param aliases other accepted names
 * @param title human name
 * @param source citation: paper (arXiv id) and, for reference fidelity, the code and commit
 * @param granularity credit unit
 * @param methodology how credit is computed
 * @param fidelity reference / paper / reconstructed
 * @param groupLocal true when a trajectory's credit depends only on its own group (so a batch
 *     split by group and concatenated gives identical credit)
 * @param requires signals it needs
 * @param parameters typed parameters with defaults
 * @param presets preset name ({@code verl}, {@code openrlhf}, {@code trl}, {@code paper}, …) →
 *     parameter values
 * @param summary one-line formula or description
 */
public record Descriptor(
        String id,
        List<String> aliases,
        String title,
        String source,
        Granularity granularity,
        Methodology methodology,
        Fidelity fidelity,
        boolean groupLocal,
        List<SignalRequirement> requires,
        List<ParamSpec> parameters,
        Map<String, Map<String, Object>> presets,
        String summary) {
    public Descriptor {
        aliases = List.copyOf(aliases);
        requires = List.copyOf(requires);
        parameters = List.copyOf(parameters);
        Map<String, Map<String, Object>> p = new LinkedHashMap<>();
        presets.forEach((k, v) -> p.put(k, java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(v))));
        presets = java.util.Collections.unmodifiableMap(p);
    }

    /** Starts a descriptor with the given id. */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** Fluent construction of a {@link Descriptor}. */
    public static final class Builder {
        private final String id;
        private List<String> aliases = List.of();
        private String title;
        private String source = "";
        private Granularity granularity = Granularity.TRAJECTORY;
        private Methodology methodology = Methodology.MONTE_CARLO;
        private Fidelity fidelity = Fidelity.PAPER;
        private boolean groupLocal = true;
        private List<SignalRequirement> requires = List.of();
        private List<ParamSpec> parameters = List.of();
        private final Map<String, Map<String, Object>> presets = new LinkedHashMap<>();
        private String summary = "";

        private Builder(String id) {
            this.id = id;
            this.title = id;
        }

        public Builder aliases(String... a) {
            this.aliases = List.of(a);
            return this;
        }

        public Builder title(String t) {
            this.title = t;
            return this;
        }

        public Builder source(String s) {
            this.source = s;
            return this;
        }

        public Builder granularity(Granularity g) {
            this.granularity = g;
            return this;
        }

        public Builder methodology(Methodology m) {
            this.methodology = m;
            return this;
        }

        public Builder fidelity(Fidelity f) {
            this.fidelity = f;
            return this;
        }

        public Builder groupLocal(boolean b) {
            this.groupLocal = b;
            return this;
        }

        public Builder requires(SignalRequirement... r) {
            this.requires = List.of(r);
            return this;
        }

        public Builder parameters(ParamSpec... p) {
            this.parameters = List.of(p);
            return this;
        }

        public Builder preset(String name, Map<String, Object> values) {
            presets.put(name, values);
            return this;
        }

        public Builder summary(String s) {
            this.summary = s;
            return this;
        }

        public Descriptor build() {
            Descriptor d = new Descriptor(
                    id,
                    aliases,
                    title,
                    source,
                    granularity,
                    methodology,
                    fidelity,
                    groupLocal,
                    requires,
                    parameters,
                    presets,
                    summary);
            // validate presets eagerly so a typo in a preset fails at registration, not at use
            for (String p : d.presets().keySet()) Params.resolve(d, p, Map.of());
            return d;
        }
    }
}
