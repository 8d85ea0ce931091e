package dev.apportion.cli;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.CreditJsonl;
import dev.apportion.io.InputException;
import dev.apportion.io.RolloutFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion assign}: reads rollout JSONL, runs one estimator, writes credit JSONL.
 * The output is written atomically (a temporary file renamed into place), so a failed run
 * never leaves a partial or stale-looking output. Timing goes to stderr.
 */
@Command(
        name = "assign",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Assign credit to a rollout file with one estimator.",
        description = "Reads rollouts, runs the estimator on the whole batch and writes credit (one line or row per "
                + "trajectory; see docs/rollout-format.md). Files ending in .parquet are Parquet, others JSONL. The output is replaced atomically, so a "
                + "failed run leaves no partial file. Timing goes to stderr.",
        footer = {"", "Example:", "  apportion assign --estimator grpo --preset verl rollouts.jsonl -o credit.jsonl"})
final class AssignCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Mixin
    private EstimatorOptions estimator = new EstimatorOptions();

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "1",
            description = "Threads the estimator may use (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(
            names = "--engine",
            paramLabel = "E",
            defaultValue = "local",
            description =
                    "local (in this process, the default) or spark (the apportion-spark job; IN and OUT are Parquet, "
                            + "OUT a directory; group-local estimators only; see docs/spark.md).")
    private String engine;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description =
                    "With --engine spark: the Spark master, e.g. local[2], yarn, k8s://https://host:443 (default local[*]).")
    private String master;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "OUT",
            description = "Credit file to write, .jsonl or .parquet (replaced atomically).")
    private Path out;

    @Parameters(index = "0", paramLabel = "IN", description = "Rollout file to read, .jsonl or .parquet.")
    private Path in;

    @Override
    public Integer call() throws IOException {
        if (threads < 1) throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        if (!engine.equals("local") && !engine.equals("spark")) {
            throw new ParameterException(spec.commandLine(), "--engine must be local or spark, got '" + engine + "'");
        }
        if (master != null && !engine.equals("spark")) {
            throw new ParameterException(spec.commandLine(), "--master needs --engine spark");
        }
        if (engine.equals("spark")) return spark();
        PrintWriter err = spec.commandLine().getErr();
        // everything that can be checked before reading the input is checked first
        EstimatorOptions.Resolved est = estimator.resolve(main.registry());
        checkPaths();

        long t0 = System.nanoTime();
        Rollouts batch = RolloutFiles.read(in);
        long t1 = System.nanoTime();
        err.printf(
                Locale.ROOT,
                "assign: read %s: %d trajectories in %d groups, %d tokens (%s)%n",
                in,
                batch.trajectoryCount(),
                batch.groupCount(),
                batch.tokenCount(),
                Fmt.seconds((t1 - t0) / 1e9));
        err.flush();

        Credit credit;
        try (Execution exec = Execution.threads(threads)) {
            credit = est.estimator().assign(batch, est.params(), exec);
        } catch (InputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // the estimator refused the batch (missing signal, broken precondition): name the file
            throw new IllegalArgumentException(in + ": " + e.getMessage(), e);
        }
        long t2 = System.nanoTime();
        double sec = (t2 - t1) / 1e9;
        err.printf(
                Locale.ROOT,
                "assign: %s: %s (%stokens/s, %d thread%s)%n",
                estimator.label(est),
                Fmt.seconds(sec),
                Fmt.rate(batch.tokenCount() / Math.max(sec, 1e-9)),
                threads,
                threads == 1 ? "" : "s");
        err.flush();

        RolloutFiles.writeCredit(out, batch, credit, CreditJsonl.Provenance.of(est.params()), in.toString());
        err.printf(Locale.ROOT, "assign: wrote %s (%s)%n", out, Fmt.seconds((System.nanoTime() - t2) / 1e9));
        err.flush();
        return ExitCodes.OK;
    }

    /** Hands the job to the apportion-spark module in a child JVM (Spark is not in this jar). */
    private int spark() throws IOException {
        est(); // unknown estimator, preset or parameter: refused here, before a JVM starts
        if (!RolloutFiles.isParquet(in)) {
            throw new IllegalArgumentException(
                    "--engine spark reads Parquet; convert first: apportion convert " + in + " IN.parquet");
        }
        List<String> args = new ArrayList<>();
        args.add("--estimator");
        args.add(estimator.id);
        if (estimator.preset != null) {
            args.add("--preset");
            args.add(estimator.preset);
        }
        estimator.params.forEach((k, v) -> {
            args.add("--param");
            args.add(k + "=" + v);
        });
        if (master != null) {
            args.add("--master");
            args.add(master);
        }
        args.add("-o");
        args.add(out.toString());
        args.add(in.toString());
        try {
            return SparkEngine.run(args, System.getenv());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the Spark job ran", e);
        }
    }

    private EstimatorOptions.Resolved est() {
        return estimator.resolve(main.registry());
    }

    private void checkPaths() throws IOException {
        if (Files.isDirectory(out)) throw new IllegalArgumentException("cannot write '" + out + "': it is a directory");
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot write '" + out + "': directory '" + dir + "' does not exist");
        }
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException(
                    "refusing to overwrite the input '" + in + "' with credit; choose another -o");
        }
    }
}
