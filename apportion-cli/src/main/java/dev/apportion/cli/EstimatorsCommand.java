package dev.apportion.cli;

import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.io.EstimatorCatalogJson;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code apportion estimators}: every registered estimator with its taxonomy, needs and parameters. */
@Command(
        name = "estimators",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        header = "List the registered estimators.",
        description = "Prints every registered estimator: id, aliases, granularity, methodology, fidelity, "
                + "required signals, presets, and parameters with their defaults.")
final class EstimatorsCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @ArgGroup(exclusive = true)
    private Format format = new Format();

    static final class Format {
        @Option(names = "--json", description = "Print a JSON array, one object per estimator.")
        boolean json;

        @Option(
                names = "--markdown",
                description = "Print the Markdown table of README.md (id, granularity, fidelity, source).")
        boolean markdown;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Descriptor> all =
                main.registry().all().stream().map(Estimator::descriptor).collect(Collectors.toList());
        if (format.json) {
            out.println(EstimatorCatalogJson.render(main.registry().all()));
        } else if (format.markdown) {
            out.print(markdown(all));
        } else {
            out.print(table(all));
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The text table: one row per estimator, its parameters on the line below. */
    static String table(List<Descriptor> all) {
        String[] head = {"ID", "ALIASES", "GRANULARITY", "METHODOLOGY", "FIDELITY", "REQUIRES", "PRESETS"};
        List<String[]> rows = new ArrayList<>();
        for (Descriptor d : all) {
            rows.add(new String[] {
                d.id(),
                orDash(String.join(",", d.aliases())),
                d.granularity().wireName(),
                d.methodology().wireName(),
                d.fidelity().wireName(),
                orDash(d.requires().stream().map(SignalRequirement::toString).collect(Collectors.joining(","))),
                orDash(String.join(",", d.presets().keySet()))
            });
        }
        int[] w = new int[head.length];
        for (int c = 0; c < head.length; c++) {
            w[c] = head[c].length();
            for (String[] r : rows) w[c] = Math.max(w[c], r[c].length());
        }
        StringBuilder b = new StringBuilder();
        appendRow(b, head, w);
        for (int i = 0; i < rows.size(); i++) {
            appendRow(b, rows.get(i), w);
            Descriptor d = all.get(i);
            String params = d.parameters().stream()
                    .map(p -> p.name() + "=" + Fmt.value(p.defaultValue()))
                    .collect(Collectors.joining(" "));
            b.append("    parameters: ")
                    .append(params.isEmpty() ? "none" : params)
                    .append('\n');
        }
        b.append(all.size())
                .append(all.size() == 1 ? " estimator" : " estimators")
                .append('\n');
        return b.toString();
    }

    private static void appendRow(StringBuilder b, String[] cells, int[] w) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            line.append(cells[c]);
            if (c < cells.length - 1) line.append(" ".repeat(w[c] - cells[c].length() + 2));
        }
        b.append(line.toString().stripTrailing()).append('\n');
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    /** The README's estimator table (header included). */
    static String markdown(List<Descriptor> all) {
        StringBuilder b = new StringBuilder();
        b.append("| id | granularity | fidelity | source |\n");
        b.append("|---|---|---|---|\n");
        for (Descriptor d : all) {
            b.append("| `")
                    .append(d.id())
                    .append("` | ")
                    .append(d.granularity().wireName())
                    .append(" | ")
                    .append(d.fidelity().wireName())
                    .append(" | ")
                    .append(Errors.oneLine(d.source()).replace("|", "\\|"))
                    .append(" |\n");
        }
        return b.toString();
    }
}
