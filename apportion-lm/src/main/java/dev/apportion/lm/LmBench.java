package dev.apportion.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.view.ViewAssets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lm-bench} (reached as {@code apportion bench --suite lm}): the benchmark family
 * {@code lm}. Per task and seed, one supervised warm-up; credit quality of every estimator
 * against the branching oracle on one batch of the warmed-up policy (Spearman, sign agreement
 * on decisive steps, the oracle's standard error); then RL with each estimator for the same
 * sample budget, with success measured along the way (learning curves of success vs samples).
 * Writes {@code results.json}, {@code summary.md} ({@link Experiment}) and {@code report.html}
 * (apportion-view's shared components: styles, Chart.js, declared charts) into {@code --out}.
 * The defaults run in about 10 minutes on two idle cores.
 */
@Command(
        name = "lm-bench",
        mixinStandardHelpOptions = true,
        description =
                "Benchmark family lm: learning curves (success vs samples) per estimator over seeds and credit quality vs "
                        + "the branching oracle, on a small transformer. Writes results.json, summary.md, report.html.")
public final class LmBench implements Callable<Integer> {
    @Option(names = "--tasks", split = ",", defaultValue = "tool", description = "default ${DEFAULT-VALUE}")
    List<String> tasks;

    @Option(
            names = "--estimators",
            split = ",",
            defaultValue = "grpo,rloo,gigpo,delta",
            description = "default ${DEFAULT-VALUE}")
    List<String> estimators;

    @Option(names = "--seeds", defaultValue = "3", description = "seeds 1..N (default ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--seed", defaultValue = "1", description = "first seed (default ${DEFAULT-VALUE})")
    int seedStart;

    @Option(names = "--steps", defaultValue = "12", description = "RL steps per run (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--prompts", defaultValue = "8")
    int prompts;

    @Option(names = "--group", defaultValue = "8")
    int group;

    @Option(names = "--lr", defaultValue = "0", description = "0: the task's default")
    double lr;

    @Option(names = "--warmup-steps", defaultValue = "-1", description = "supervised steps (-1: the task's default)")
    int warmupSteps;

    @Option(names = "--difficulty", defaultValue = "0")
    int difficulty;

    @Option(names = "--oracle-prompts", defaultValue = "2")
    int oraclePrompts;

    @Option(names = "--oracle-k", defaultValue = "8")
    int oracleK;

    @Option(names = "--eval", defaultValue = "128", description = "evaluation problems (default ${DEFAULT-VALUE})")
    int eval;

    @Option(names = "--out", defaultValue = "bench-out-lm", description = "default ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--quiet", description = "accepted for symmetry with bench (progress goes to stderr)")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        Experiment e = new Experiment();
        e.tasks = tasks;
        e.estimators = estimators;
        e.seeds = seeds;
        e.seedStart = seedStart;
        e.schedule.ppoEpochs = 0;
        e.steps = steps;
        e.prompts = prompts;
        e.group = group;
        e.schedule.lr = lr;
        e.schedule.warmupSteps = warmupSteps;
        e.difficulty = difficulty;
        e.oraclePrompts = oraclePrompts;
        e.oracleK = oracleK;
        e.eval = eval;
        e.out = out;
        long t0 = System.nanoTime();
        double load0 = Experiment.loadAverage();
        int code = e.call();
        if (code != 0) return code;
        Path results = out.resolve("results.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> all = new ObjectMapper().readValue(results.toFile(), Map.class);
        String cmd = "apportion bench --suite lm --tasks " + String.join(",", tasks) + " --estimators "
                + String.join(",", estimators) + " --seeds " + seeds + " --steps " + steps;
        String html = report(
                all,
                cmd,
                String.format(
                        Locale.ROOT,
                        "%.0f s on %d processors, load average %.1f at the start, %.1f at the end",
                        (System.nanoTime() - t0) / 1e9,
                        Runtime.getRuntime().availableProcessors(),
                        load0,
                        Experiment.loadAverage()));
        Path tmp = Files.createTempFile(out.toAbsolutePath(), "report.html", ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(
                tmp, out.resolve("report.html"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + results);
        System.out.println("wrote " + out.resolve("summary.md"));
        System.out.println("wrote " + out.resolve("report.html"));
        return 0;
    }

    /** The HTML report of an lm results document (public for tests). */
    @SuppressWarnings("unchecked")
    public static String report(Map<String, Object> all, String command, String machine) {
        List<Map<String, Object>> runs = (List<Map<String, Object>>) all.get("runs");
        List<Map<String, Object>> quality = (List<Map<String, Object>>) all.get("credit_quality");
        Map<String, Object> setup = (Map<String, Object>) all.get("setup");
        ObjectMapper om = new ObjectMapper();
        StringBuilder b = new StringBuilder(300_000);
        b.append("<!doctype html>\n<html lang=\"en\"><head>\n")
                .append(ViewAssets.head("apportion bench — lm", ".ap-chart.lm { height: 280px; }\n"))
                .append("</head><body>\n<header class=\"ap-header\"><h1>Benchmark family <code>lm</code></h1>")
                .append("<div class=\"ap-sub\">RL with verifiable rewards on a small transformer (DJL, PyTorch CPU) · ")
                .append(ViewAssets.esc(machine))
                .append("</div></header>\n<main class=\"ap-wrap\">\n");
        b.append("<p class=\"ap-muted\">Command: <code>")
                .append(ViewAssets.esc(command))
                .append("</code>. Setup: <code>")
                .append(ViewAssets.esc(String.valueOf(setup)))
                .append("</code>. Intervals are 95 % Student-t over seeds. Credit quality is measured on one batch"
                        + " of the warmed-up policy against the branching oracle (K continuations per distinct prefix):"
                        + " Spearman of step credit vs V(after) − V(before) over all steps; sign agreement on the steps"
                        + " whose oracle advantage exceeds twice its standard error.</p>\n");
        List<String> taskNames = new ArrayList<>();
        for (Map<String, Object> r : runs)
            if (!taskNames.contains((String) r.get("task"))) taskNames.add((String) r.get("task"));
        for (String task : taskNames) {
            b.append("<h2>Task <code>").append(ViewAssets.esc(task)).append("</code></h2>\n");
            // learning curves: mean success over seeds at each sample count, per estimator
            Map<String, TreeMap<Long, double[]>> curves = new LinkedHashMap<>();
            for (Map<String, Object> r : runs) {
                if (!task.equals(r.get("task")) || !(r.get("curve_samples") instanceof List)) continue;
                List<Number> ys = (List<Number>) r.get("curve");
                List<Number> xs = (List<Number>) r.get("curve_samples");
                TreeMap<Long, double[]> c = curves.computeIfAbsent((String) r.get("estimator"), k -> new TreeMap<>());
                for (int k = 0; k < Math.min(xs.size(), ys.size()); k++) {
                    double[] acc = c.computeIfAbsent(xs.get(k).longValue(), x -> new double[2]);
                    acc[0] += ys.get(k).doubleValue();
                    acc[1]++;
                }
            }
            if (!curves.isEmpty()) {
                TreeMap<Long, Boolean> xsAll = new TreeMap<>();
                for (TreeMap<Long, double[]> c : curves.values()) for (Long x : c.keySet()) xsAll.put(x, true);
                List<Long> labels = new ArrayList<>(xsAll.keySet());
                List<Map<String, Object>> series = new ArrayList<>();
                for (var en : curves.entrySet()) {
                    List<Double> data = new ArrayList<>();
                    for (Long x : labels) {
                        double[] acc = en.getValue().get(x);
                        data.add(acc == null ? null : acc[0] / acc[1]);
                    }
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("label", en.getKey());
                    s.put("data", data);
                    series.add(s);
                }
                Map<String, Object> spec = new LinkedHashMap<>();
                spec.put("type", "line");
                spec.put(
                        "title",
                        "success vs samples (mean over seeds; intermediate points on a quarter of the evaluation set)");
                spec.put("labels", labels);
                spec.put("series", series);
                spec.put("y", "success");
                try {
                    b.append("<div class=\"ap-chart lm\" data-ap-chart=\"")
                            .append(ViewAssets.esc(om.writeValueAsString(spec)))
                            .append("\"></div>\n");
                } catch (IOException ex) {
                    throw new IllegalStateException(ex);
                }
            }
            b.append("<div class=\"ap-scroll\"><table class=\"ap-table\"><thead><tr><th>estimator</th>"
                    + "<th class=\"num\">seeds</th><th class=\"num\">samples</th><th class=\"num\">success before</th>"
                    + "<th class=\"num\">success after</th><th class=\"num\">gain</th><th class=\"num\">Spearman vs oracle</th>"
                    + "<th class=\"num\">sign agreement</th><th class=\"num\">oracle SE</th><th class=\"num\">s / step</th>"
                    + "<th class=\"num\">credit share</th><th class=\"num\">CPU s / step</th>"
                    + "<th class=\"num\">credit CPU share</th></tr></thead><tbody>\n");
            Map<String, List<Map<String, Object>>> byEst = new LinkedHashMap<>();
            for (Map<String, Object> r : runs)
                if (task.equals(r.get("task")))
                    byEst.computeIfAbsent((String) r.get("estimator"), k -> new ArrayList<>())
                            .add(r);
            for (var en : byEst.entrySet()) {
                List<Map<String, Object>> rs = en.getValue();
                List<Map<String, Object>> qs = new ArrayList<>();
                for (Map<String, Object> q : quality)
                    if (task.equals(q.get("task")) && en.getKey().equals(q.get("estimator"))) qs.add(q);
                double[] before = col(rs, "success_before"), after = col(rs, "success_after");
                double[] gain = new double[Math.min(before.length, after.length)];
                for (int i = 0; i < gain.length; i++) gain[i] = after[i] - before[i];
                b.append("<tr><td><code>")
                        .append(ViewAssets.esc(en.getKey()))
                        .append("</code></td>")
                        .append(num(String.valueOf(rs.size())))
                        .append(num(String.format(Locale.ROOT, "%.0f", Experiment.mean(col(rs, "samples")))))
                        .append(num(String.format(Locale.ROOT, "%.3f", Experiment.mean(before))))
                        .append(num(Experiment.ci(after)))
                        .append(num(Experiment.ci(gain)))
                        .append(num(Experiment.ci(col(qs, "spearman"))))
                        .append(num(Experiment.ci(col(qs, "sign_agreement"))))
                        .append(num(String.format(Locale.ROOT, "%.3f", Experiment.mean(col(qs, "oracle_se_mean")))))
                        .append(num(String.format(Locale.ROOT, "%.3f", Experiment.mean(col(rs, "seconds_per_step")))))
                        .append(num(
                                String.format(Locale.ROOT, "%.2f %%", 100 * Experiment.mean(col(rs, "credit_share")))))
                        .append(num(
                                String.format(Locale.ROOT, "%.3f", Experiment.mean(col(rs, "cpu_seconds_per_step")))))
                        .append(num(String.format(
                                Locale.ROOT, "%.2f %%", 100 * Experiment.mean(col(rs, "credit_cpu_share")))))
                        .append("</tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append(
                        "<p class=\"ap-muted\">Every run and every credit-quality measurement is in results.json"
                                + " (runs[].curve / curve_samples are the learning curves; credit_quality[] the oracle comparison).</p>\n")
                .append("</main></body></html>\n");
        return b.toString();
    }

    private static String num(String s) {
        return "<td class=\"num\">" + ViewAssets.esc(s) + "</td>";
    }

    private static double[] col(List<Map<String, Object>> rs, String key) {
        return rs.stream()
                .filter(r -> r.get(key) instanceof Number)
                .mapToDouble(r -> ((Number) r.get(key)).doubleValue())
                .filter(Double::isFinite)
                .toArray();
    }
}
