package dev.apportion.catalog;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Descriptor-only estimators for registry tests. */
public final class FakeEstimators {
    /** The estimator ids the inventory claims (planned registry contents), with their claimed fidelity. */
    public static final Map<String, Fidelity> PLANNED = planned();

    private FakeEstimators() {}

    private static Map<String, Fidelity> planned() {
        Map<String, Fidelity> m = new LinkedHashMap<>();
        for (String id : List.of(
                "grpo",
                "dr_grpo",
                "rloo",
                "opo",
                "gpg",
                "grpo_passk",
                "reinforce_plus_plus_baseline",
                "reinforce_plus_plus",
                "remax",
                "gae",
                "gigpo",
                "matchtir",
                "siop",
                "igpo",
                "gdpo",
                "a2tgpo",
                "vpr",
                "r3l",
                "a3",
                "ma_rlhf",
                "pure",
                "pure_reward",
                "a_grae",
                "adora",
                "adora_vl",
                "temporal_schedule",
                "spo_chain",
                "spo_tree",
                "prl",
                "poad",
                "itpo",
                "at_grpo",
                "dr_mas",
                "ccpo",
                "c3",
                "mt_grpo",
                "spa_rl",
                "spa_rl_step_rewards",
                "delta",
                "at2po",
                "archer")) {
            m.put(id, Fidelity.REFERENCE);
        }
        m.put("dapo", Fidelity.PAPER);
        for (String id : List.of("optimal_token_baseline", "tir_optimal_token_baseline")) m.put(id, Fidelity.PORT);
        m.put("implicit_token_reward", Fidelity.PAPER);
        m.put("grpo_process", Fidelity.PAPER);
        m.put("capo", Fidelity.RECONSTRUCTED);
        m.put("scrl", Fidelity.RECONSTRUCTED);
        m.put("spae", Fidelity.RECONSTRUCTED);
        m.put("vineppo", Fidelity.PAPER);
        m.put("genac", Fidelity.RECONSTRUCTED);
        // seed methods of issue 12 §2 (branch seed)
        for (String id : List.of("tp_grpo", "int", "graph_grpo", "appo")) m.put(id, Fidelity.RECONSTRUCTED);
        m.put("target_decoupled_gae", Fidelity.PAPER);
        m.put("lsc", Fidelity.PAPER);
        m.put("euphonium", Fidelity.RECONSTRUCTED);
        m.put("coma", Fidelity.PAPER);
        m.put("coma_critic", Fidelity.RECONSTRUCTED);
        m.put("agent_shapley", Fidelity.RECONSTRUCTED);
        m.put("agent_shapley_ig", Fidelity.RECONSTRUCTED);
        m.put("malt", Fidelity.RECONSTRUCTED);
        m.put("oprl", Fidelity.PORT);
        m.put("pbsd", Fidelity.RECONSTRUCTED);
        m.put("mapo_turn", Fidelity.RECONSTRUCTED);
        m.put("aem", Fidelity.RECONSTRUCTED);
        m.put("f_grpo", Fidelity.RECONSTRUCTED);
        m.put("calm", Fidelity.RECONSTRUCTED);
        m.put("lare", Fidelity.RECONSTRUCTED);
        m.put("habc", Fidelity.RECONSTRUCTED);
        m.put("duration_aware", Fidelity.RECONSTRUCTED);
        m.put("flowtracer", Fidelity.RECONSTRUCTED);
        return Map.copyOf(m);
    }

    public static Estimator fake(String id, Fidelity fidelity) {
        Descriptor d = Descriptor.builder(id)
                .title("fake " + id)
                .source("test")
                .fidelity(fidelity)
                .build();
        return new Estimator() {
            @Override
            public Descriptor descriptor() {
                return d;
            }

            @Override
            public Credit assign(Rollouts batch, Params params, Execution execution) {
                throw new UnsupportedOperationException("descriptor-only test estimator");
            }
        };
    }

    public static EstimatorRegistry registry(Map<String, Fidelity> estimators) {
        List<Estimator> list = new ArrayList<>();
        estimators.forEach((id, f) -> list.add(fake(id, f)));
        return EstimatorRegistry.of(list);
    }

    public static EstimatorRegistry plannedRegistry() {
        return registry(PLANNED);
    }

    public static EstimatorRegistry empty() {
        return EstimatorRegistry.of(List.of());
    }
}
