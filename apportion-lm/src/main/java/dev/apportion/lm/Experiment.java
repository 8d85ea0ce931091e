package dev.apportion.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.Rollouts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lm-experiment}: for each task and seed, one supervised warm-up; on a batch sampled from
 * the warmed-up policy, the branching oracle and every estimator's credit quality against it;
 * then RL from the same warm-up with each estimator for the same sample budget. Writes
 * {@code results.json} (every run) and {@code summary.md} (means with 95 % t intervals over
 * seeds) into {@code --out}, rewriting both atomically after every run.
 */
@Command(
        name = "lm-experiment",
        mixinStandardHelpOptions = true,
        description =
                "Success after a fixed sample budget and credit quality vs the branching oracle, per estimator, over seeds.")
public final class Experiment implements Callable<Integer> {
    @Option(names = "--tasks", split = ",", defaultValue = "addition,tool")
    List<String> tasks;

    @Option(names = "--estimators", split = ",", defaultValue = "grpo,dr_grpo,rloo,reinforce_plus_plus,gigpo")
    List<String> estimators;

    /** --lr, --ppo-epochs, --warmup-steps and the task defaults they stand for. */
    @Mixin
    TaskSchedule schedule = new TaskSchedule();

    @Option(names = "--seeds", defaultValue = "5")
    int seeds;

    @Option(names = "--seed-start", defaultValue = "1")
    int seedStart;

    @Option(names = "--steps", defaultValue = "30")
    int steps;

    @Option(names = "--prompts", defaultValue = "8")
    int prompts;

    @Option(names = "--group", defaultValue = "8")
    int group;

    @Option(
            names = "--difficulty",
            defaultValue = "0",
            description = "the tasks' difficulty knob (0: each task's default)")
    int difficulty;

    @Option(names = "--oracle-prompts", defaultValue = "4")
    int oraclePrompts;

    @Option(names = "--oracle-k", defaultValue = "16")
    int oracleK;

    @Option(names = "--eval", defaultValue = "256")
    int eval;

    @Option(names = "--out", defaultValue = "lm-experiment")
    Path out;

    @Option(names = "--merge", split = ",", description = "no training: merge these results.json files into --out")
    List<Path> merge;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        if (merge != null && !merge.isEmpty()) return merge();
        EstimatorRegistry reg = EstimatorRegistry.global();
        for (String id : estimators)
            if (!reg.has(id)) throw new IllegalArgumentException("unknown estimator '" + id + "'");
        List<Map<String, Object>> runs = new ArrayList<>();
        List<Map<String, Object>> quality = new ArrayList<>();
        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("model", ModelConfig.defaults().toString());
        setup.put("steps", steps);
        setup.put("prompts", prompts);
        setup.put("group", group);
        setup.put("samples_per_run", (long) steps * prompts * group);
        // 0 (or -1 for warm-up) means "the task's default"; record the values each task really used
        Map<String, Object> lrs = new LinkedHashMap<>();
        Map<String, Object> epochs = new LinkedHashMap<>();
        Map<String, Object> warmups = new LinkedHashMap<>();
        for (String taskName : tasks) {
            String t = Task.named(taskName, difficulty).name();
            lrs.put(t, schedule.lr(t));
            epochs.put(t, schedule.ppoEpochs(t));
            warmups.put(t, schedule.warmupSteps(t));
        }
        setup.put("lr", lrs);
        setup.put("ppo_epochs", epochs);
        setup.put("oracle_prompts", oraclePrompts);
        setup.put("oracle_k", oracleK);
        setup.put("eval_problems", eval);
        setup.put("difficulty", difficulty);
        setup.put("warmup_steps", warmups);
        setup.put("processors", Runtime.getRuntime().availableProcessors());
        for (String taskName : tasks) {
            Task task = Task.named(taskName, difficulty);
            double taskLr = schedule.lr(task.name());
            int taskEpochs = schedule.ppoEpochs(task.name());
            int taskWarmup = schedule.warmupSteps(task.name());
            for (int seed = seedStart; seed < seedStart + seeds; seed++) {
                long t0 = System.nanoTime();
                Weights w0 = Weights.init(ModelConfig.defaults(), seed);
                Trainer.warmup(w0, task, taskWarmup, 64, 2e-3, seed, null);
                double before = Trainer.evaluate(w0, task, eval, seed);
                double warmSecs = (System.nanoTime() - t0) / 1e9;
                System.err.printf("%s seed %d: warm-up %.0fs, success %.3f%n", taskName, seed, warmSecs, before);
                // credit quality on one batch of the warmed-up policy
                SplittableRandom qr = new SplittableRandom(seed * 7919L + 17);
                List<Episode> eps = new ArrayList<>();
                for (int j = 0; j < oraclePrompts; j++) {
                    Task.Problem p = task.sample(qr);
                    for (int g = 0; g < group; g++)
                        eps.add(Episode.start(j, p, w0.config().maxLen()));
                }
                Policy.generate(w0, task, eps, qr);
                long o0 = System.nanoTime();
                CreditQuality.Oracle oracle = CreditQuality.oracle(w0, task, eps, oracleK, qr);
                double oracleSecs = (System.nanoTime() - o0) / 1e9;
                Policy.Scores cur = Policy.score(w0, eps, true);
                for (String id : estimators) {
                    Estimator est = reg.get(id);
                    double[][] mc = null;
                    for (SignalRequirement r : est.descriptor().requires()) {
                        if (r.name().equals("mc_value")) mc = BranchingOracle.turnValues(w0, task, eps, 8, qr, null);
                    }
                    Rollouts batch = Recorder.record("q-p", eps, cur, cur, mc);
                    Credit c = est.assign(batch, Params.defaults(est.descriptor()));
                    Map<String, Object> q = new LinkedHashMap<>();
                    q.put("task", taskName);
                    q.put("seed", seed);
                    q.put("estimator", id);
                    q.putAll(CreditQuality.evaluate(oracle, batch, c));
                    q.put("credit_diagnostics", new java.util.TreeMap<>(c.diagnostics()));
                    q.put("oracle_samples", oracle.samples());
                    q.put("oracle_seconds", oracleSecs);
                    quality.add(q);
                }
                for (String id : estimators) {
                    Weights w = w0.copy();
                    Trainer.RlConfig cfg = new Trainer.RlConfig(
                            id,
                            null,
                            Map.of(),
                            prompts,
                            group,
                            taskLr,
                            0.2,
                            taskEpochs,
                            Policy.Aggregation.TOKEN_MEAN,
                            0.0,
                            8);
                    Trainer tr = new Trainer(task, w, w0, cfg, reg, seed);
                    double stepSecs = 0, creditSecs = 0, cpuSecs = 0, creditCpuSecs = 0;
                    List<Double> curve = new ArrayList<>();
                    List<Long> curveSamples = new ArrayList<>();
                    curve.add(before);
                    curveSamples.add(0L);
                    double load0 = loadAverage();
                    Map<String, Double> diag = new java.util.TreeMap<>();
                    long r0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        Trainer.StepStats st = tr.step();
                        stepSecs += st.seconds();
                        creditSecs += st.creditSeconds();
                        cpuSecs += st.cpuSeconds();
                        creditCpuSecs += st.creditCpuSeconds();
                        for (var d : tr.lastDiagnostics().entrySet())
                            diag.merge(d.getKey(), d.getValue() / steps, Double::sum);
                        if ((s + 1) % Math.max(1, steps / 4) == 0 && s + 1 < steps) {
                            curve.add(Trainer.evaluate(w, task, eval / 4, seed));
                            curveSamples.add(tr.samples());
                        }
                    }
                    double after = Trainer.evaluate(w, task, eval, seed);
                    curve.add(after);
                    curveSamples.add(tr.samples());
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("task", taskName);
                    r.put("seed", seed);
                    r.put("estimator", id);
                    r.put("samples", tr.samples());
                    r.put("warmup_steps", taskWarmup);
                    r.put("lr", taskLr);
                    r.put("ppo_epochs", taskEpochs);
                    r.put("success_before", before);
                    r.put("success_after", after);
                    r.put("curve", curve);
                    r.put("curve_samples", curveSamples);
                    r.put("load_average", (load0 + loadAverage()) / 2);
                    r.put("credit_diagnostics_mean", diag);
                    r.put("seconds_per_step", stepSecs / steps);
                    r.put("credit_share", creditSecs / stepSecs);
                    r.put("cpu_seconds_per_step", cpuSecs / steps);
                    r.put("credit_cpu_share", creditCpuSecs / cpuSecs);
                    r.put("seconds", (System.nanoTime() - r0) / 1e9);
                    runs.add(r);
                    System.err.printf(
                            "  %-22s after %.3f  %.3fs/step  credit %.2f%%%n",
                            id, after, stepSecs / steps, 100 * creditSecs / stepSecs);
                    write(setup, runs, quality);
                }
            }
        }
        write(setup, runs, quality);
        System.out.println(Files.readString(out.resolve("summary.md")));
        return 0;
    }

    /** One-minute load average of the machine ({@code /proc/loadavg}; NaN where it is not available). */
    static double loadAverage() {
        try {
            return Double.parseDouble(
                    Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    @SuppressWarnings("unchecked")
    private int merge() throws IOException {
        ObjectMapper om = new ObjectMapper();
        Map<String, Object> setup = null;
        List<Map<String, Object>> runs = new ArrayList<>(), quality = new ArrayList<>();
        for (Path p : merge) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--merge " + p + ": no such file");
            Map<String, Object> m = om.readValue(p.toFile(), Map.class);
            if (setup == null) setup = (Map<String, Object>) m.get("setup");
            runs.addAll((List<Map<String, Object>>) m.get("runs"));
            quality.addAll((List<Map<String, Object>>) m.get("credit_quality"));
        }
        write(setup, runs, quality);
        System.out.println(Files.readString(out.resolve("summary.md")));
        return 0;
    }

    private void write(Map<String, Object> setup, List<Map<String, Object>> runs, List<Map<String, Object>> quality)
            throws IOException {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("setup", setup);
        all.put("runs", runs);
        all.put("credit_quality", quality);
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        atomic(out.resolve("results.json"), om.writeValueAsString(all));
        atomic(out.resolve("summary.md"), summary(setup, runs, quality));
    }

    private static void atomic(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(
                file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String summary(
            Map<String, Object> setup, List<Map<String, Object>> runs, List<Map<String, Object>> quality) {
        StringBuilder sb =
                new StringBuilder("# lm experiment\n\nsetup: ").append(setup).append("\n\n");
        sb.append(
                "| task | estimator | seeds | success before | success after (95% CI) | gain (95% CI) | spearman vs oracle (95% CI) | sign agreement | oracle SE | s/step | credit share | CPU s/step | credit CPU share | load |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<Map<String, Object>>> byKey = new LinkedHashMap<>();
        for (Map<String, Object> r : runs)
            byKey.computeIfAbsent(r.get("task") + "|" + r.get("estimator"), k -> new ArrayList<>())
                    .add(r);
        for (var en : byKey.entrySet()) {
            String[] k = en.getKey().split("\\|");
            List<Map<String, Object>> rs = en.getValue();
            double[] before = col(rs, "success_before"), after = col(rs, "success_after");
            double[] gain = new double[rs.size()];
            for (int i = 0; i < gain.length; i++) gain[i] = after[i] - before[i];
            List<Map<String, Object>> qs = new ArrayList<>();
            for (Map<String, Object> q : quality)
                if (q.get("task").equals(k[0]) && q.get("estimator").equals(k[1])) qs.add(q);
            sb.append(String.format(
                    "| %s | %s | %d | %.3f | %s | %s | %s | %s | %.3f | %.3f | %.2f%% | %.3f | %.2f%% | %.1f |%n",
                    k[0],
                    k[1],
                    rs.size(),
                    mean(before),
                    ci(after),
                    ci(gain),
                    ci(col(qs, "spearman")),
                    ci(col(qs, "sign_agreement")),
                    mean(col(qs, "oracle_se_mean")),
                    mean(col(rs, "seconds_per_step")),
                    100 * mean(col(rs, "credit_share")),
                    mean(col(rs, "cpu_seconds_per_step")),
                    100 * mean(col(rs, "credit_cpu_share")),
                    mean(col(rs, "load_average"))));
        }
        sb.append("\nOracle: mean standard error of the step advantages ");
        sb.append(String.format("%.3f", mean(col(quality, "oracle_se_mean"))));
        sb.append(", decisive steps per batch ").append(String.format("%.1f", mean(col(quality, "decisive_steps"))));
        sb.append(" of ")
                .append(String.format("%.1f", mean(col(quality, "steps"))))
                .append(".\n");
        return sb.toString();
    }

    private static double[] col(List<Map<String, Object>> rs, String key) {
        return rs.stream()
                .filter(r -> r.get(key) instanceof Number)
                .mapToDouble(r -> ((Number) r.get(key)).doubleValue())
                .filter(Double::isFinite)
                .toArray();
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? Double.NaN : s / x.length;
    }

    /** "mean ± half-width" of a 95 % Student-t interval. */
    static String ci(double[] x) {
        if (x.length == 0) return "n/a";
        double m = mean(x);
        if (x.length < 2) return String.format("%.3f", m);
        double ss = 0;
        for (double v : x) ss += (v - m) * (v - m);
        double sd = Math.sqrt(ss / (x.length - 1));
        return String.format("%.3f ± %.3f", m, tQuantile(x.length - 1) * sd / Math.sqrt(x.length));
    }

    /** Two-sided 97.5 % quantile of Student's t. */
    static double tQuantile(int df) {
        double[] t = {
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042
        };
        return df <= 30 ? t[df - 1] : 1.96;
    }
}
