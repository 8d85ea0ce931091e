package dev.apportion.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.EstimatorRegistry;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A leaderboard row's tier comes from the configurations the row averages (the leaderboard tasks),
 * not from a sweep point elsewhere in the suite: the full suite's signal_noise 0 sweep (exact
 * signals, privileged) once labelled every critic reader's row privileged although its numbers came
 * from noisy (observable) signals.
 */
class LeaderboardTierTest {
    @Test
    void tierComesFromTheLeaderboardTasksNotFromASignalNoiseSweep() throws Exception {
        String json = """
                {"name": "tiers", "seeds": 2, "learning_seeds": 2, "batches": 1, "groups": 2, "group_size": 4,
                 "learning": {"updates": 2, "learning_rate": 1.0},
                 "tasks": [
                   {"id": "bif", "family": "bifurcation", "knobs": {"horizon": 4, "decisive": 1}, "learning": false},
                   {"id": "bif_noise", "family": "bifurcation", "knobs": {"horizon": 4, "decisive": 1},
                    "sweep": {"signal_noise": [0.0, 1.0]}, "learning": false}
                 ]}""";
        Suite suite = Suite.parse(new ObjectMapper().readTree(json), "tiers.json");
        BenchResult r = Runner.run(new Runner.Options(
                suite,
                null,
                List.of(EstimatorRef.parse("gae"), EstimatorRef.parse("grpo"), EstimatorRef.parse("oracle")),
                List.of(),
                1,
                1,
                Progress.NONE,
                EstimatorRegistry.global()));
        Map<String, String> tiers = r.leaderboard().stream()
                .collect(Collectors.toMap(BenchResult.LeaderRow::estimator, BenchResult.LeaderRow::tier));
        assertEquals("observable", tiers.get("gae"), "gae reads a noisy critic on the leaderboard task");
        assertEquals("outcome", tiers.get("grpo"));
        assertEquals("privileged", tiers.get("oracle"));
    }
}
