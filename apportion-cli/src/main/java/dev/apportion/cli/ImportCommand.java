package dev.apportion.cli;

import dev.apportion.io.RolloutJsonl;
import dev.apportion.io.importer.ApproximateTokens;
import dev.apportion.io.importer.ImportOptions;
import dev.apportion.io.importer.Imported;
import dev.apportion.io.importer.Importers;
import dev.apportion.io.importer.LabelsJsonl;
import dev.apportion.io.importer.TokenCounter;
import dev.apportion.tokenizer.HfTokenCounter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code apportion import}: trajectories in another format to rollout JSONL (and labels JSONL). */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Import chat, benchmark, verl or TRL trajectories as rollout JSONL.",
        description = {
            "Formats: chat (OpenAI messages, JSONL or a JSON array), agentprocessbench, processbench, taubench, "
                    + "verl-dump (trainer.rollout_data_dir JSONL), trl (GRPOTrainer completions with rewards per function). "
                    + "See docs/importers.md.",
            "Token counts come from --tokenizer (a HuggingFace tokenizer.json) or from a documented approximate "
                    + "split; every trajectory records which (signal tokens_approximate = 1 or 0)."
        },
        footer = {
            "",
            "Example:",
            "  apportion import agentprocessbench hotpotqa.jsonl -o rollouts.jsonl --labels-out labels.jsonl"
        })
final class ImportCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "FORMAT",
            description = "chat, agentprocessbench, processbench, taubench, verl-dump or trl.")
    private String format;

    @Parameters(index = "1", paramLabel = "IN", description = "The file to import.")
    private Path in;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "ROLLOUTS",
            description = "Rollout JSONL to write (atomically).")
    private Path out;

    @Option(
            names = "--labels-out",
            paramLabel = "LABELS",
            description = "Also write the turn labels (docs/labels-format.md).")
    private Path labelsOut;

    @Option(
            names = "--tokenizer",
            paramLabel = "FILE",
            description = "A HuggingFace tokenizer.json for exact token counts.")
    private Path tokenizer;

    @Option(
            names = "--state-from",
            paramLabel = "SOURCE",
            description =
                    "'observation': key each policy span's state by a hash of the observation it saw (for anchor-state estimators).")
    private String stateFrom;

    @Option(
            names = "--signals",
            paramLabel = "FILE",
            description =
                    "JSONL of extra per-span signals {\"group\",\"id\",\"span\"?,\"signals\":{...}} to join (a PRM's or judge's scores).")
    private Path signals;

    @Override
    public Integer call() throws IOException {
        if (!Importers.FORMATS.contains(format)) {
            throw new ParameterException(
                    spec.commandLine(),
                    "unknown format '" + format + "' (formats: " + String.join(", ", Importers.FORMATS) + ")");
        }
        if (stateFrom != null && !stateFrom.equals("observation")) {
            throw new ParameterException(
                    spec.commandLine(), "--state-from must be 'observation', got '" + stateFrom + "'");
        }
        for (Path p : new Path[] {out, labelsOut}) {
            if (p != null && Files.exists(p) && Files.exists(in) && Files.isSameFile(in, p)) {
                throw new IllegalArgumentException(
                        "refusing to overwrite the input '" + in + "'; choose another output");
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        TokenCounter tokens = ApproximateTokens.INSTANCE;
        HfTokenCounter hf = null;
        if (tokenizer != null) {
            hf = HfTokenCounter.load(tokenizer);
            tokens = hf;
        }
        Imported im;
        try {
            im = Importers.read(format, in, new ImportOptions(tokens, stateFrom != null, signals));
        } finally {
            if (hf != null) hf.close();
        }
        if (labelsOut != null && im.labels().isEmpty()) {
            throw new IllegalArgumentException(in + ": the input has no turn labels to write to " + labelsOut);
        }
        RolloutJsonl.write(out, im.rollouts());
        int turns = 0;
        for (int s = 0; s < im.rollouts().spanCount(); s++) if (im.rollouts().isPolicySpan(s)) turns++;
        err.printf(
                Locale.ROOT,
                "import: %s (%s): %d trajectories in %d groups, %d turns, %d tokens (%s)%n",
                in,
                format,
                im.rollouts().trajectoryCount(),
                im.rollouts().groupCount(),
                turns,
                im.rollouts().tokenCount(),
                tokens.exact() ? "tokenizer " + tokens.name() : "approximate token counts, see docs/importers.md");
        err.printf(Locale.ROOT, "import: wrote %s%n", out);
        if (labelsOut != null) {
            LabelsJsonl.write(labelsOut, im.labels());
            err.printf(
                    Locale.ROOT,
                    "import: wrote %s (%d trajectories)%n",
                    labelsOut,
                    im.labels().size());
        }
        err.flush();
        return ExitCodes.OK;
    }
}
