package dev.apportion.cli;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;
import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.evaluate.Comparison;
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

/** {@code apportion compare}: where estimators agree and disagree on one batch. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Compare the turn credit of several estimators on one batch.",
        description = {
            "For every pair: Spearman rank agreement of turn credit, the share of policy tokens whose advantage "
                    + "sign differs, and the trajectories and turns whose percentile ranks differ most."
        },
        footer = {"", "Example:", "  apportion compare rollouts.jsonl --estimators grpo,gigpo,matchtir -o compare.html"
        })
final class CompareCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout JSONL.")
    private Path in;

    @Option(
            names = "--estimators",
            required = true,
            paramLabel = "IDS",
            description = "Comma-separated estimator ids (two or more), or 'all'.")
    private String estimators;

    @Option(names = "--json", description = "Print JSON instead of text.")
    private boolean json;

    @Mixin
    private HtmlPageOption html = new HtmlPageOption();

    @Option(
            names = "--top",
            paramLabel = "N",
            defaultValue = "5",
            description = "Trajectories and turns listed per pair (default: ${DEFAULT-VALUE}).")
    private int top;

    @Override
    public Integer call() throws IOException {
        List<Estimator> chosen = EvaluateCommand.select(main.registry(), estimators, spec);
        Rollouts batch = RolloutJsonl.read(in);
        List<String> ids = new ArrayList<>();
        List<Credit> credits = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Estimator e : chosen) {
            try {
                credits.add(e.assign(batch));
                ids.add(e.id());
            } catch (IllegalArgumentException ex) {
                skipped.add(e.id() + ": " + ex.getMessage());
            }
        }
        if (ids.size() < 2) {
            throw new ParameterException(
                    spec.commandLine(),
                    "compare needs two estimators that can run on " + in + "; " + ids.size() + " can"
                            + (skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")"));
        }
        List<Comparison.Pair> pairs = new ArrayList<>();
        for (int a = 0; a < ids.size(); a++) {
            for (int b = a + 1; b < ids.size(); b++) {
                pairs.add(Comparison.compare(batch, ids.get(a), credits.get(a), ids.get(b), credits.get(b), top));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rollouts", in.toString());
            m.put("estimators", ids);
            m.put("skipped", skipped);
            List<Map<String, Object>> ps = new ArrayList<>();
            for (Comparison.Pair p : pairs) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("a", p.a());
                o.put("b", p.b());
                o.put("spearman", Pages.json(p.spearman()));
                o.put("sign_disagreement", Pages.json(p.signDisagreement()));
                o.put("turns", p.turns());
                List<Map<String, Object>> tt = new ArrayList<>();
                for (Comparison.Trajectory t : p.topTrajectories()) {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("group", t.group());
                    x.put("id", t.id());
                    x.put("mean_rank_gap", t.meanRankGap());
                    x.put("turns", t.turns());
                    tt.add(x);
                }
                o.put("top_trajectories", tt);
                List<Map<String, Object>> tu = new ArrayList<>();
                for (Comparison.Turn t : p.topTurns()) {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("group", t.group());
                    x.put("id", t.id());
                    x.put("policy_span", t.policySpan());
                    x.put("credit_a", t.creditA());
                    x.put("credit_b", t.creditB());
                    x.put("rank_gap", t.rankGap());
                    tu.add(x);
                }
                o.put("top_turns", tu);
                ps.add(o);
            }
            m.put("pairs", ps);
            Pages.printJson(out, m);
        } else {
            for (Comparison.Pair p : pairs) {
                out.printf(
                        Locale.ROOT,
                        "%s vs %s: Spearman %s over %d turns, sign differs on %s of policy tokens%n",
                        p.a(),
                        p.b(),
                        Numbers.fixed(p.spearman(), 3),
                        p.turns(),
                        pct(p.signDisagreement()));
                for (Comparison.Turn t : p.topTurns()) {
                    out.printf(
                            Locale.ROOT,
                            "  turn %d of '%s' (group '%s'): %.4g vs %.4g, rank gap %.2f%n",
                            t.policySpan(),
                            t.id(),
                            t.group(),
                            t.creditA(),
                            t.creditB(),
                            t.rankGap());
                }
            }
            for (String s : skipped) out.println("cannot run: " + s);
        }
        out.flush();
        html.write(() -> page(pairs, skipped));
        return ExitCodes.OK;
    }

    static String pct(double d) {
        return Double.isNaN(d) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * d);
    }

    String page(List<Comparison.Pair> pairs, List<String> skipped) {
        StringBuilder b = Pages.start("apportion compare: " + in.getFileName());
        List<List<String>> rows = new ArrayList<>();
        for (Comparison.Pair p : pairs)
            rows.add(List.of(
                    p.a() + " vs " + p.b(),
                    Numbers.fixed(p.spearman(), 3),
                    pct(p.signDisagreement()),
                    Integer.toString(p.turns())));
        List<String> names = new ArrayList<>();
        double[] rho = new double[pairs.size()];
        double[] sign = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            names.add(pairs.get(i).a() + " vs " + pairs.get(i).b());
            rho[i] = pairs.get(i).spearman();
            sign[i] = pairs.get(i).signDisagreement();
        }
        java.util.Map<String, double[]> series = new java.util.LinkedHashMap<>();
        series.put("Spearman", rho);
        series.put("share of tokens with different sign", sign);
        Pages.chart(b, "Agreement of turn credit", "", names, series);
        Pages.table(
                b,
                "Agreement of turn credit",
                List.of("pair", "Spearman", "tokens with different sign", "turns"),
                rows);
        for (Comparison.Pair p : pairs) {
            List<List<String>> t = new ArrayList<>();
            for (Comparison.Turn x : p.topTurns()) {
                t.add(List.of(
                        x.group() + " / " + x.id(),
                        Integer.toString(x.policySpan()),
                        String.format(Locale.ROOT, "%.4g", x.creditA()),
                        String.format(Locale.ROOT, "%.4g", x.creditB()),
                        String.format(Locale.ROOT, "%.2f", x.rankGap())));
            }
            Pages.table(
                    b,
                    p.a() + " vs " + p.b() + ": turns that disagree most",
                    List.of("trajectory", "turn", p.a(), p.b(), "rank gap"),
                    t);
            List<List<String>> tr = new ArrayList<>();
            for (Comparison.Trajectory x : p.topTrajectories()) {
                tr.add(List.of(
                        x.group() + " / " + x.id(),
                        Integer.toString(x.turns()),
                        String.format(Locale.ROOT, "%.2f", x.meanRankGap())));
            }
            Pages.table(
                    b,
                    p.a() + " vs " + p.b() + ": trajectories that disagree most",
                    List.of("trajectory", "turns", "mean rank gap"),
                    tr);
        }
        if (!skipped.isEmpty()) {
            List<List<String>> rows2 = new ArrayList<>();
            for (String s : skipped) rows2.add(List.of(s));
            Pages.table(b, "Cannot run on this batch", List.of("estimator: reason"), rows2);
        }
        return Pages.end(b);
    }
}
