package dev.apportion.bench.task;

import dev.apportion.bench.mdp.Mdp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the per-task metadata the benchmark protocol asks for (survey protocol, reconstructed
 * in benchmarks-and-survey.md §1.8 (c)): horizon, reward sparsity and timing, reward noise,
 * stochasticity, observability, branching, verifier, agents, decisive steps, distractor rewards.
 * Generic fields are derived from the compiled MDP; families add the descriptive ones.
 */
public final class Metadata {
    private final Map<String, Object> m = new LinkedHashMap<>();

    private Metadata() {}

    /** Starts with the fields derived from the MDP. */
    public static Metadata of(Mdp mdp, SignalModel signals) {
        Metadata md = new Metadata();
        int turns = 0;
        for (int s = 0; s < mdp.stateCount(); s++) if (mdp.terminal(s)) turns = Math.max(turns, mdp.turn(s));
        int tpt = mdp.tokensPerTurn();
        md.section(
                "horizon",
                "max_turns",
                turns,
                "policy_tokens_per_turn",
                tpt,
                "context_tokens_per_turn",
                signals.obsTokens(),
                "max_total_tokens",
                turns * (tpt + signals.obsTokens()));
        boolean stochastic = false;
        for (int sa = 0; sa < mdp.pairCount() && !stochastic; sa++) {
            stochastic = mdp.transitionEnd(sa) - mdp.transitionStart(sa) > 1;
        }
        md.m.put("stochastic_transitions", stochastic);
        md.m.put("start_states", mdp.startStates().length);
        md.m.put("states", mdp.stateCount());
        md.m.put("policy_rows", mdp.featureCount());
        md.m.put(
                "branching",
                "exact: every state can be saved and restored; the oracle solves the MDP by backward induction");
        md.m.put("step_rewards", mdp.hasStepRewards());
        return md;
    }

    public Metadata put(String key, Object value) {
        m.put(key, value);
        return this;
    }

    /** Decisive steps: how many and at which turns. */
    public Metadata decisive(int count, List<Integer> turns, String rule) {
        return section("decisive_steps", "count", count, "turns", turns, "rule", rule);
    }

    /** Reward sparsity, timing and noise. */
    public Metadata reward(String sparsity, String timing, String noise) {
        return section("reward", "sparsity", sparsity, "timing", timing, "noise", noise);
    }

    /** Distractor rewards: magnitude (mean absolute value) and variance per distractor step. */
    public Metadata distractors(String where, double magnitude, double variance) {
        return section("distractor_rewards", "where", where, "mean_abs", magnitude, "variance", variance);
    }

    public Metadata agents(int count, boolean shared) {
        return section("agents", "count", count, "shared_reward", shared);
    }

    /** Puts {@code name} → an ordered object of the given key, value pairs. */
    private Metadata section(String name, Object... keysAndValues) {
        Map<String, Object> d = new LinkedHashMap<>();
        for (int k = 0; k < keysAndValues.length; k += 2) d.put((String) keysAndValues[k], keysAndValues[k + 1]);
        m.put(name, d);
        return this;
    }

    public Map<String, Object> build() {
        for (String required :
                List.of("reward", "observability", "verifier", "agents", "decisive_steps", "distractor_rewards")) {
            if (!m.containsKey(required)) throw new IllegalStateException("task metadata lacks '" + required + "'");
        }
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
