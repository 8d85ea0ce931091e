package dev.apportion.cli;

import dev.apportion.io.RolloutFiles;
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

/**
 * {@code apportion convert IN OUT}: rollout JSONL ⇄ Parquet by extension, streamed chunk by
 * chunk (a file larger than the heap converts), written atomically.
 */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Convert a rollout file between JSONL and Parquet.",
        description = "The format of each side is chosen by its extension (.parquet is Parquet, anything else rollout "
                + "JSONL). The conversion is lossless and streams, so files larger than the heap convert; every rule of "
                + "the readers applies. The output is replaced atomically. The schema is in docs/rollout-format.md.",
        footer = {
            "",
            "Examples:",
            "  apportion convert rollouts.jsonl rollouts.parquet",
            "  apportion convert rollouts.parquet rollouts.jsonl"
        })
final class ConvertCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(
            names = "--chunk",
            paramLabel = "N",
            defaultValue = "" + RolloutFiles.CHUNK,
            description = "Trajectories held in memory at a time (default: ${DEFAULT-VALUE}).")
    private int chunk;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout file to read (.jsonl or .parquet).")
    private Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Rollout file to write (.jsonl or .parquet).")
    private Path out;

    @Override
    public Integer call() throws IOException {
        if (chunk < 1) throw new ParameterException(spec.commandLine(), "--chunk must be >= 1, got " + chunk);
        if (Files.isDirectory(out)) throw new IllegalArgumentException("cannot write '" + out + "': it is a directory");
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot write '" + out + "': directory '" + dir + "' does not exist");
        }
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("refusing to convert '" + in + "' onto itself; choose another OUT");
        }
        long t0 = System.nanoTime();
        long[] n = RolloutFiles.convert(in, out, chunk);
        double sec = (System.nanoTime() - t0) / 1e9;
        PrintWriter err = spec.commandLine().getErr();
        err.printf(
                Locale.ROOT,
                "convert: %s -> %s: %d trajectories, %d tokens (%s, %stokens/s)%n",
                in,
                out,
                n[0],
                n[1],
                Fmt.seconds(sec),
                Fmt.rate(n[1] / Math.max(sec, 1e-9)));
        err.flush();
        return ExitCodes.OK;
    }
}
