package dev.apportion.io.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.apportion.core.credit.EstimatorRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code multi-agent.jsonl}, {@code at_grpo-pending.jsonl} (the shared {@code pending/at_grpo.jsonl},
 * copied under this name) and {@code agentic-turn.jsonl} through the real loader and
 * {@link Conformance}: every case is claimed by its adapter, none is skipped, all pass, with the
 * published counts per estimator; and the harness fails a case when a parameter is wrong.
 */
class MultiAgentAndTurnGoldenTest {
    private static Map<String, Integer> passAll(String file, Class<?> adapter) {
        return GoldenFiles.passCounts(
                file,
                GoldenCase::estimator,
                c -> assertSame(
                        adapter, GoldenAdapters.find(c, GoldenAdapters.all()).getClass(), c.name()));
    }

    @Test
    void multiAgentFamilyPasses() {
        assertEquals(Map.of("c3", 14, "ccpo", 8, "dr_mas", 15), passAll("multi-agent.jsonl", MultiAgentAdapter.class));
        assertEquals(Map.of("at_grpo", 14), passAll("at_grpo-pending.jsonl", MultiAgentAdapter.class));
    }

    @Test
    void agenticTurnFamilyPasses() {
        assertEquals(
                Map.of("mt_grpo", 16, "spa_rl", 16, "spa_rl_step_rewards", 8),
                passAll("agentic-turn.jsonl", MtGrpoSpaRlAdapter.class));
    }

    /** One case per estimator with a parameter changed must fail (the comparison is not vacuous). */
    @Test
    void wrongParametersFail() {
        Map<String, Map<String, Object>> change = new LinkedHashMap<>();
        change.put("public/at_grpo/singleton_groups_mixed_with_larger", Map.of("singleton", "raw"));
        change.put("public/dr_mas/math_2agents_2loops_byagent_True_norm_True", Map.of("group_by_agent_id", false));
        change.put("public/ccpo/lambda_0.2_groupsolo_True_event_True", Map.of("counterfactual_lambda", 0.3));
        change.put("public/c3/value_assisted_loo_fanout_2x4", Map.of("baseline_mode", "full_mean"));
        change.put("public/mt_grpo/coef_2", Map.of("turn_advantage_coef", 1.0));
        change.put("public/spa_rl/edge_hand_made_default_config", Map.of("lam", 0.9));
        change.put("public/spa_rl_step_rewards/random_00", Map.of("grounding_reward", 0.4));
        int seen = 0;
        for (String file : List.of("multi-agent.jsonl", "at_grpo-pending.jsonl", "agentic-turn.jsonl")) {
            for (GoldenCase c : GoldenFiles.load(file)) {
                Map<String, Object> delta = change.get(c.name());
                if (delta == null) continue;
                seen++;
                GoldenCase wrong = GoldenFiles.withChangedParams(c, delta);
                CaseResult r = Conformance.run(wrong, EstimatorRegistry.global());
                assertEquals(CaseResult.Status.FAILED, r.status(), c.name() + " with " + delta + ": " + r.detail());
            }
        }
        assertEquals(change.size(), seen);
    }
}
