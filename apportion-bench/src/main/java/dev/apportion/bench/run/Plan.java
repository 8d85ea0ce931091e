package dev.apportion.bench.run;

import dev.apportion.bench.task.Knobs;
import dev.apportion.bench.task.TaskFamily;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One task configuration to run, with the estimators each phase needs (built by {@link Planning}). */
final class Plan {
    final String id;
    final String entry;
    final TaskFamily family;
    final Knobs knobs;
    final boolean inSuite;
    final boolean leaderboard;
    final String bsuite;
    final Set<String> creditLabels = new LinkedHashSet<>();
    final Set<String> learnLabels = new LinkedHashSet<>();
    final Map<String, String> inapplicable = new LinkedHashMap<>();
    /** Signal tier of each applicable label on this config. */
    final Map<String, String> tiers = new LinkedHashMap<>();

    List<String> metrics;
    boolean tokenLevel;
    boolean agents;

    Plan(String id, String entry, TaskFamily family, Knobs knobs, boolean inSuite, boolean leaderboard, String bsuite) {
        this.id = id;
        this.entry = entry;
        this.family = family;
        this.knobs = knobs;
        this.inSuite = inSuite;
        this.leaderboard = leaderboard;
        this.bsuite = bsuite;
    }

    /**
     * Key of the random streams: the family alone, so every configuration of a family (every
     * sweep point, every claim variant) draws the same instances, policies and batches for the
     * same seed index — sweeps and claims are paired by seed.
     */
    String seedKey() {
        return family.id();
    }
}
