package dev.apportion.bench.run;

import dev.apportion.bench.metrics.Summary;
import java.util.List;
import java.util.Map;

/**
 * Everything a benchmark run measured, in the order the writers emit it. Deterministic for a
 * seed except {@link #timing()}. Collections are unmodifiable.
 *
 * @param suite the suite (after overrides)
 * @param rootSeed the root seed
 * @param estimators every estimator configuration used (suite and claims)
 * @param configs every task configuration run
 * @param credit credit-quality results by config id, then estimator label
 * @param learning learning results by config id, then estimator label
 * @param bsuite bsuite scores
 * @param claims claim verdicts
 * @param skipped estimator/config pairs not run or failed, with the reason
 * @param leaderboard leaderboard rows, best first
 * @param timing non-deterministic measurements (wall times)
 */
public record BenchResult(
        Suite suite,
        long rootSeed,
        List<EstimatorInfo> estimators,
        List<ConfigResult> configs,
        Map<String, Map<String, CreditOutcome>> credit,
        Map<String, Map<String, LearnOutcome>> learning,
        List<BsuiteScore> bsuite,
        List<ClaimOutcome> claims,
        List<Skip> skipped,
        List<LeaderRow> leaderboard,
        Timing timing) {

    /** An estimator configuration and its descriptor facts. */
    public record EstimatorInfo(
            EstimatorRef ref,
            String id,
            String title,
            String source,
            String granularity,
            String methodology,
            String fidelity,
            Map<String, Object> params,
            List<String> requires,
            String turnReward,
            String turnRewardWhy,
            boolean reference) {}

    /**
     * One task configuration.
     *
     * @param id config id
     * @param entry suite entry id (or claim id)
     * @param family family id
     * @param knobs all knob values
     * @param explicitKnobs the values set explicitly
     * @param inSuite whether it belongs to the suite (claims add others)
     * @param leaderboard counts in the leaderboard
     * @param bsuite bsuite experiment tag or null
     * @param metadata protocol metadata (seed 0 instance)
     * @param instances hidden instance description per seed
     * @param seeds derived seed per seed index
     * @param metrics credit-quality metric names computed on it
     * @param example heat-strip example (seed 0, batch 0), or null
     */
    public record ConfigResult(
            String id,
            String entry,
            String family,
            Map<String, Object> knobs,
            Map<String, Object> explicitKnobs,
            boolean inSuite,
            boolean leaderboard,
            String bsuite,
            Map<String, Object> metadata,
            List<Map<String, Object>> instances,
            List<Long> seeds,
            List<String> metrics,
            Example example) {}

    /** Credit quality of one estimator on one config. */
    public record CreditOutcome(String status, String reason, Map<String, Summary> metrics) {}

    /** Learning of one estimator on one config; {@code curve[u]} summarises the success after u updates. */
    public record LearnOutcome(
            String status,
            String reason,
            Map<String, Summary> metrics,
            List<Summary> curve,
            int episodesPerUpdate,
            double optimalSuccess,
            double learningRate,
            Map<Double, Double> tuning,
            Map<String, Object> rolloutCost) {}

    /** A bsuite experiment score of one estimator over a sweep. */
    public record BsuiteScore(
            String experiment,
            String entry,
            String estimator,
            double score,
            List<String> settings,
            List<Double> values,
            String formula) {}

    /** One verdict row of a claim. */
    public record ClaimRow(
            String label,
            String config,
            Summary difference,
            String verdict,
            Map<String, Double> means,
            double p,
            double pHolm) {
        /** This row with its Holm-adjusted p-value and the verdict it implies. */
        public ClaimRow withHolm(double adjusted, String newVerdict) {
            return new ClaimRow(label, config, difference, newVerdict, means, p, adjusted);
        }
    }

    /** A claim's verdict. */
    public record ClaimOutcome(Claim claim, String status, String reason, List<ClaimRow> rows) {}

    /** Why an estimator did not run (or failed) on a config. */
    public record Skip(String config, String estimator, String phase, String reason) {}

    /** A leaderboard row: mean over leaderboard configs of each metric's config mean. */
    public record LeaderRow(
            String estimator, String tier, int tasks, Map<String, Double> means, Map<String, double[]> ci) {}

    /** A heat-strip example: a few trajectories' turn credit next to the truth. */
    public record Example(List<ExampleTrajectory> trajectories) {}

    /** One example trajectory. */
    public record ExampleTrajectory(
            String id,
            boolean success,
            double outcome,
            double episodeReturn,
            List<String> states,
            List<String> actions,
            List<String> labels,
            List<Double> truth,
            Map<String, List<Double>> credit,
            boolean truncated) {}

    /**
     * Wall-clock measurements (excluded from the determinism guarantee).
     *
     * @param totalSeconds whole run
     * @param msPerBatch mean time of one credit assignment per estimator label (credit-quality batches)
     * @param batchesTimed batches timed per label
     * @param createdAt ISO-8601 time the run finished
     * @param threads worker threads
     * @param machine the machine and the process: processors, CPU model, memory, load average at
     *     start and end, process CPU seconds, peak resident memory, units run and read back from
     *     the journal (see {@link MachineInfo})
     */
    public record Timing(
            double totalSeconds,
            Map<String, Double> msPerBatch,
            Map<String, Long> batchesTimed,
            String createdAt,
            int threads,
            Map<String, Object> machine) {}
}
