package dev.apportion.cli;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options that choose an estimator and its parameters (shared by assign and perf). */
final class EstimatorOptions {
    @Option(
            names = "--estimator",
            required = true,
            paramLabel = "ID",
            description = "Estimator id or alias (see 'apportion estimators').")
    String id;

    @Option(
            names = "--preset",
            paramLabel = "P",
            description = "Parameter preset of the estimator (verl, openrlhf, trl, paper, ...).")
    String preset;

    @Option(
            names = "--param",
            paramLabel = "KEY=VALUE",
            description = "Sets one parameter; repeatable. Applied after the preset.")
    Map<String, String> params = new LinkedHashMap<>();

    /** An estimator with validated parameters. */
    record Resolved(Estimator estimator, Params params) {
        /** {@code grpo}, {@code grpo [preset verl]}, with any explicit parameters. */
        String label(Map<String, String> explicit) {
            StringBuilder b = new StringBuilder(estimator.id());
            if (params.preset() != null)
                b.append(" [preset ").append(params.preset()).append(']');
            explicit.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            return b.toString();
        }
    }

    /**
     * Looks the estimator up and resolves its parameters.
     *
     * @throws IllegalArgumentException for an unknown estimator, preset or parameter, or a bad value
     */
    Resolved resolve(EstimatorRegistry registry) {
        Estimator e = registry.get(id);
        return new Resolved(e, Params.resolve(e.descriptor(), preset, params));
    }

    String label(Resolved r) {
        return r.label(params);
    }
}
