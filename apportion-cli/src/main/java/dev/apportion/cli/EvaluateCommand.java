package dev.apportion.cli;

import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.evaluate.Evaluation;
import dev.apportion.io.importer.LabelsJsonl;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code apportion evaluate}: which estimator's turn credit matches the human turn labels. */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Score estimators' turn credit against human turn labels.",
        description = {
            "Runs every requested estimator that can run on the batch (default parameters; the others are "
                    + "listed with the signal they lack) and compares its turn credit with the labels: AUROC of +1 vs -1 turns "
                    + "over all labelled turns and within failed trajectories, Spearman with the labels, and how often the most "
                    + "negative turn is the labelled first error. Ties count one half. 95% intervals: percentile bootstrap over "
                    + "trajectories with a fixed seed."
        },
        footer = {
            "",
            "Example:",
            "  apportion evaluate rollouts.jsonl --labels labels.jsonl --estimators grpo,gigpo,matchtir -o report.html"
        })
final class EvaluateCommand implements Callable<Integer> {
    static final String[] METRICS = {
        "auroc_all", "auroc_within_failed", "spearman", "first_error_accuracy", "auroc_within_trajectory"
    };

    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROLLOUTS", description = "Rollout JSONL.")
    private Path in;

    @Option(
            names = "--labels",
            required = true,
            paramLabel = "LABELS",
            description = "Labels JSONL (docs/labels-format.md).")
    private Path labels;

    @Option(
            names = "--estimators",
            paramLabel = "IDS",
            defaultValue = "all",
            description = "Comma-separated estimator ids, or 'all' (default).")
    private String estimators;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    private boolean json;

    @Mixin
    private HtmlPageOption html = new HtmlPageOption();

    @Option(
            names = "--bootstrap",
            paramLabel = "N",
            defaultValue = "1000",
            description = "Bootstrap resamples (default: ${DEFAULT-VALUE}; 0 = no intervals).")
    private int bootstrap;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "20261207",
            description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    static List<Estimator> select(EstimatorRegistry registry, String list, CommandSpec spec) {
        List<Estimator> out = new ArrayList<>();
        if (list.equals("all")) {
            for (String id : registry.ids()) out.add(registry.get(id));
            return out;
        }
        for (String id : list.split(",")) {
            String t = id.strip();
            if (t.isEmpty()) continue;
            if (!registry.has(t))
                throw new ParameterException(
                        spec.commandLine(), "unknown estimator '" + t + "' (see 'apportion estimators')");
            out.add(registry.get(t));
        }
        if (out.isEmpty()) throw new ParameterException(spec.commandLine(), "--estimators names no estimator");
        return out;
    }

    @Override
    public Integer call() throws IOException {
        if (bootstrap < 0)
            throw new ParameterException(spec.commandLine(), "--bootstrap must be >= 0, got " + bootstrap);
        List<Estimator> chosen = select(main.registry(), estimators, spec);
        Rollouts batch = RolloutJsonl.read(in);
        Evaluation.Aligned aligned = Evaluation.align(batch, LabelsJsonl.read(labels), labels.toString());
        Evaluation.Report r = Evaluation.run(batch, aligned, chosen, bootstrap, seed);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Pages.printJson(out, toJson(r));
        } else {
            out.print(table(r));
        }
        out.flush();
        html.write(() -> page(r));
        return ExitCodes.OK;
    }

    Map<String, Object> toJson(Evaluation.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rollouts", in.toString());
        m.put("labels", labels.toString());
        m.put("bootstrap", bootstrap);
        m.put("seed", seed);
        m.put("data", r.data());
        List<Map<String, Object>> est = new ArrayList<>();
        for (Evaluation.Result e : r.estimators()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", e.id());
            o.put("granularity", e.granularity());
            for (int k = 0; k < METRICS.length; k++)
                o.put(METRICS[k], Pages.json(e.metrics().get(k)));
            for (int k = 0; k < METRICS.length; k++) {
                List<Object> ci = new ArrayList<>();
                ci.add(Pages.json(e.ci95()[k][0]));
                ci.add(Pages.json(e.ci95()[k][1]));
                o.put(METRICS[k] + "_ci", ci);
            }
            est.add(o);
        }
        m.put("estimators", est);
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (Evaluation.Skipped s : r.skipped()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", s.id());
            o.put("reason", s.reason());
            skipped.add(o);
        }
        m.put("skipped", skipped);
        return m;
    }

    static List<List<String>> rows(Evaluation.Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (Evaluation.Result e : r.estimators()) {
            List<String> row = new ArrayList<>();
            row.add(e.id());
            row.add(e.granularity());
            for (int k = 0; k < METRICS.length; k++) {
                row.add(Numbers.fixed(e.metrics().get(k), 3));
                row.add(Pages.ci(e.ci95()[k]));
            }
            rows.add(row);
        }
        return rows;
    }

    static final List<String> HEAD = List.of(
            "estimator",
            "granularity",
            "AUROC all",
            "95% CI",
            "AUROC failed",
            "95% CI",
            "Spearman",
            "95% CI",
            "first error",
            "95% CI",
            "AUROC in-traj",
            "95% CI");

    String table(Evaluation.Report r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s with %s: %s%n", in, labels, r.data()));
        List<List<String>> rows = rows(r);
        int[] w = new int[HEAD.size()];
        for (int k = 0; k < w.length; k++) w[k] = HEAD.get(k).length();
        for (List<String> row : rows)
            for (int k = 0; k < w.length; k++) w[k] = Math.max(w[k], row.get(k).length());
        appendRow(b, HEAD, w);
        for (List<String> row : rows) appendRow(b, row, w);
        if (!r.skipped().isEmpty()) {
            b.append(String.format(
                    Locale.ROOT,
                    "%ncannot run on this batch (%d):%n",
                    r.skipped().size()));
            for (Evaluation.Skipped s : r.skipped())
                b.append("  ").append(s.id()).append(": ").append(s.reason()).append('\n');
        }
        return b.toString();
    }

    private static void appendRow(StringBuilder b, List<String> row, int[] w) {
        for (int k = 0; k < row.size(); k++) {
            String c = row.get(k);
            if (k == 0 || k == 1) b.append(c).append(" ".repeat(w[k] - c.length()));
            else b.append(" ".repeat(w[k] - c.length())).append(c);
            b.append(k + 1 < row.size() ? "  " : "\n");
        }
    }

    String page(Evaluation.Report r) {
        StringBuilder b = Pages.start("apportion evaluate: " + in.getFileName());
        Pages.para(
                b,
                "Rollouts " + in + ", labels " + labels + ". Data: " + r.data() + ". Bootstrap: " + bootstrap
                        + " resamples of trajectories, seed " + seed + ". Ties count one half.");
        List<String> ids = new ArrayList<>();
        java.util.Map<String, double[]> series = new java.util.LinkedHashMap<>();
        for (int k = 0; k < METRICS.length; k++)
            series.put(METRICS[k], new double[r.estimators().size()]);
        for (int i = 0; i < r.estimators().size(); i++) {
            Evaluation.Result e = r.estimators().get(i);
            ids.add(e.id());
            for (int k = 0; k < METRICS.length; k++)
                series.get(METRICS[k])[i] = e.metrics().get(k);
        }
        Pages.chart(b, "Turn credit against labels", "metric (0.5 = chance for AUROC)", ids, series);
        Pages.table(b, "Turn credit against labels (default parameters)", HEAD, rows(r));
        if (!r.skipped().isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (Evaluation.Skipped s : r.skipped()) rows.add(List.of(s.id(), s.reason()));
            Pages.table(b, "Cannot run on this batch", List.of("estimator", "reason"), rows);
        }
        return Pages.end(b);
    }
}
