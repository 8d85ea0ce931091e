package dev.apportion.io.importer;

import dev.apportion.core.rollout.Rollouts;
import java.util.List;

/**
 * The result of an import.
 *
 * @param rollouts the batch (one trajectory per source record, in source order)
 * @param labels the turn labels, one per trajectory in batch order; empty when the format has none
 * @param tokenizer what counted the tokens ({@link TokenCounter#name()})
 */
public record Imported(Rollouts rollouts, List<TrajectoryLabels> labels, String tokenizer) {
    public Imported {
        labels = List.copyOf(labels);
    }
}
