package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Mdp;
import java.util.Map;

/**
 * One task instance: its family, validated knobs, the compiled exact MDP, how its signals
 * are produced, and the metadata the benchmark protocol asks every task to record (horizon,
 * reward sparsity and timing, noise, stochasticity, observability, branching, verifier,
 * agents, decisive steps, distractor rewards). Immutable.
 *
 * @param family family id
 * @param knobs validated knob values
 * @param mdp the compiled MDP
 * @param signals signal noise settings
 * @param metadata protocol metadata (JSON-ready: strings, numbers, booleans, lists, maps)
 * @param instance description of the hidden instance (e.g. the correct actions), JSON-ready
 */
public record Task(
        String family,
        Knobs knobs,
        Mdp mdp,
        SignalModel signals,
        Map<String, Object> metadata,
        Map<String, Object> instance) {}
