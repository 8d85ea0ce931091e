package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apportion.bench.metrics.Summary;
import dev.apportion.bench.run.BenchResult.ConfigResult;
import dev.apportion.bench.run.BenchResult.CreditOutcome;
import dev.apportion.bench.run.BenchResult.LeaderRow;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 7 §5: the leaderboard is ordered by the metric, so a row that ran on fewer tasks is never
 * placed below {@code random} because of its coverage (it is flagged by {@code tasks} instead).
 */
class LeaderboardOrderTest {
    private static ConfigResult config(String id) {
        return new ConfigResult(
                id,
                id,
                "bifurcation",
                Map.of(),
                Map.of(),
                true,
                true,
                null,
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                null);
    }

    private static CreditOutcome spearman(double... perSeed) {
        return new CreditOutcome("ok", null, Map.of("spearman", Summary.of(perSeed)));
    }

    @Test
    void aRowOnFewerTasksIsOrderedByItsMetricNotBelowRandom() {
        List<ConfigResult> configs = List.of(config("a"), config("b"));
        Map<String, Map<String, CreditOutcome>> credit = new HashMap<>();
        credit.put("a", Map.of("random", spearman(0.01, -0.01, 0.0), "grpo", spearman(0.3, 0.31, 0.29)));
        credit.put(
                "b",
                Map.of(
                        "random", spearman(0.0, 0.02, -0.02),
                        "grpo", spearman(0.2, 0.21, 0.19),
                        "vpr", spearman(0.45, 0.46, 0.44)));
        List<LeaderRow> rows = Leaderboard.rows(
                configs,
                credit,
                Map.of(),
                List.of(EstimatorRef.parse("random"), EstimatorRef.parse("grpo"), EstimatorRef.parse("vpr")),
                Map.of());
        assertEquals(
                List.of("vpr", "grpo", "random"),
                rows.stream().map(LeaderRow::estimator).toList());
        assertEquals(1, rows.get(0).tasks(), "vpr ran on one of two tasks and says so");
        assertEquals(2, rows.get(2).tasks());
    }
}
