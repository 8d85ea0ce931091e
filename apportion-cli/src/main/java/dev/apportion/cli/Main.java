package dev.apportion.cli;

import dev.apportion.core.credit.EstimatorRegistry;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code apportion} command: entry point of the runnable jar.
 *
 * <p>Exit codes ({@link ExitCodes}): 0 success, 1 a check failed, 2 bad usage or bad input
 * (one line on stderr naming file, line, field and value; the stack trace only with
 * {@code --verbose}), 3 an internal error.
 *
 * <p>Subcommands are plain picocli commands; those that need estimators reach the registry
 * through their {@code @ParentCommand Main} ({@link #registry()}), so tests can run them against
 * a registry of their own (see {@link #commandLine(Supplier)}).
 */
@Command(
        name = "apportion",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        header = "Credit assignment for reinforcement learning on language models and agents.",
        description = "Computes per-token credit (advantages, returns, loss weights) for rollout batches with the "
                + "published credit-assignment methods, and checks them against reference implementations.",
        synopsisSubcommandLabel = "COMMAND",
        footer = {
            "",
            "Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input, 3 internal error.",
            "Run 'apportion COMMAND --help' for the options of a command."
        })
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    private final Supplier<EstimatorRegistry> registry;
    private EstimatorRegistry resolved;
    private boolean verbose;

    private Main(Supplier<EstimatorRegistry> registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Option(
            names = "--verbose",
            scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error, not only its one-line message.")
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
    }

    /** True when {@code --verbose} was given (before or after the subcommand). */
    public boolean verbose() {
        return verbose;
    }

    /** The estimators the subcommands work with (the global registry unless a test supplied one). */
    public EstimatorRegistry registry() {
        if (resolved == null) resolved = registry.get();
        return resolved;
    }

    /** Without a command: the usage on stderr, exit code 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.BAD_INPUT;
    }

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (OutOfMemoryError e) {
            System.err.println("error: out of memory; give the JVM more heap, e.g. JAVA_OPTS=-Xmx8g ./apportion ...");
            code = ExitCodes.INTERNAL_ERROR;
        }
        System.exit(code);
    }

    /** Runs the command line against the global estimator registry and returns the exit code. */
    public static int run(String... args) {
        java.util.List<String> lmBench = LmDelegate.lmBenchArgs(args);
        if (lmBench != null) {
            try {
                return LmDelegate.delegate("lm-bench", lmBench);
            } catch (java.io.IOException | InterruptedException e) {
                System.err.println("error: bench --suite lm: " + e.getMessage());
                return ExitCodes.INTERNAL_ERROR;
            }
        }
        return commandLine(EstimatorRegistry::global).execute(args);
    }

    /**
     * The full command line: every subcommand, error handling and exit codes. Callers may
     * redirect output with {@link CommandLine#setOut(PrintWriter)} / {@link CommandLine#setErr}
     * and run it with {@link CommandLine#execute(String...)}.
     *
     * @param registry supplies the estimators (called at most once, on first use)
     */
    public static CommandLine commandLine(Supplier<EstimatorRegistry> registry) {
        Main main = new Main(registry);
        CommandLine cl = new CommandLine(main);
        cl.addSubcommand(new HelpCommand());
        cl.addSubcommand(new AssignCommand());
        cl.addSubcommand(new EstimatorsCommand());
        cl.addSubcommand(new ConformanceCommand());
        cl.addSubcommand(new PerfCommand());
        cl.addSubcommand(new ConvertCommand());
        cl.addSubcommand(new ServeCommand());
        cl.addSubcommand(new ServeBenchCommand());
        cl.addSubcommand(new ImportCommand());
        cl.addSubcommand(new EvaluateCommand());
        cl.addSubcommand(new DoctorCommand());
        cl.addSubcommand(new CompareCommand());
        cl.addSubcommand(new LmDelegate.Train());
        cl.addSubcommand(new LmDelegate.Experiment());
        cl.addSubcommand(new InspectCommand());

        // commands of the other modules, one line each; an exception thrown from a command's call()
        // becomes one line on stderr (exit 2 for IllegalArgumentException and IOException, 3
        // otherwise; the stack trace with --verbose), and every @Command sets
        // mixinStandardHelpOptions = true so that '--help' works on it
        cl.addSubcommand(new dev.apportion.bench.cli.BenchCommand());
        cl.addSubcommand(new dev.apportion.catalog.cli.RecommendCommand());
        cl.addSubcommand(new dev.apportion.catalog.cli.InventoryCommand());
        cl.addSubcommand(new dev.apportion.catalog.cli.ChecklistCommand());

        Errors errors = new Errors(main);
        cl.setExecutionExceptionHandler(errors);
        cl.setParameterExceptionHandler(errors);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        return cl;
    }
}
