package dev.apportion.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.rollout.Rollouts;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code apportion perf}: times one estimator on a synthetic batch ({@link SyntheticBatch}) and
 * compares its throughput with copying the batch's tokens ({@code System.arraycopy} of a
 * {@code float[]} as long as the batch), the floor any per-token method has to pay.
 *
 * <p>Each measurement runs {@code --warmup} times untimed, then {@code --runs} times timed; the
 * median is reported. Progress goes to stderr, the result to stdout. {@code --all --forks N} runs the
 * {@code --all} timing in N child JVMs and combines their lines ({@link PerfForks}).
 */
@Command(
        name = "perf",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        sortOptions = false,
        header = "Time an estimator on a synthetic batch.",
        description = "Builds a synthetic batch in memory that carries every signal the estimator requires "
                + "(groups of 8, deterministic from --seed), times the estimator (median of --runs after "
                + "--warmup runs) and System.arraycopy of as many floats as the batch has tokens, and prints "
                + "tokens/s, copy tokens/s and their ratio. Progress goes to stderr.")
final class PerfCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--estimator",
            paramLabel = "ID",
            description = "Estimator id or alias (see 'apportion estimators'); or --all.")
    private String estimatorId;

    @Option(
            names = "--preset",
            paramLabel = "P",
            description = "Parameter preset of the estimator (verl, openrlhf, trl, paper, ...).")
    private String preset;

    @Option(
            names = "--param",
            paramLabel = "KEY=VALUE",
            description = "Sets one parameter; repeatable. Applied after the preset.")
    private Map<String, String> paramValues = new LinkedHashMap<>();

    @Option(
            names = "--all",
            description =
                    "Time every registered estimator except the bench references (oracle, random) "
                            + "on each --shape, beside its memory-traffic floor; one line (JSON with --json) per estimator, shape and thread count.")
    private boolean all;

    @Option(
            names = "--scaling",
            description =
                    "Time and peak heap vs batch size (--min-tokens to --max-tokens, x10 steps) "
                            + "for --estimators; prints one line per size and a log-log slope per estimator; --plot writes a PNG.")
    private boolean scaling;

    @Option(
            names = "--shape",
            paramLabel = "S",
            defaultValue = "all",
            description =
                    "With --all: single (one 4096-token response), multiturn (16 short turns between observations), "
                            + "multiagent (8 turns of two agents) or all (default: ${DEFAULT-VALUE}).")
    private String shape;

    @Option(
            names = "--tokens",
            paramLabel = "N",
            defaultValue = "2e6",
            description = "With --all: tokens per batch, rounded to whole groups (default: ${DEFAULT-VALUE}).")
    private double allTokens;

    @Option(
            names = "--budget",
            paramLabel = "SECONDS",
            defaultValue = "3",
            description = "With --all/--scaling: stop timing an estimator after this many seconds of timed runs "
                    + "per thread count (at least 3 runs) (default: ${DEFAULT-VALUE}).")
    private double budget;

    @Option(
            names = "--estimators",
            paramLabel = "IDS",
            split = ",",
            description = "With --all or --scaling: only these estimators (default for --scaling: "
                    + PerfScaling.DEFAULT_ESTIMATORS + ").")
    private List<String> only;

    @Option(
            names = "--min-tokens",
            paramLabel = "N",
            defaultValue = "1e4",
            description = "With --scaling (default: ${DEFAULT-VALUE}).")
    private double minTokens;

    @Option(
            names = "--max-tokens",
            paramLabel = "N",
            defaultValue = "1e8",
            description =
                    "With --scaling; 1e8 tokens needs about 12 GB of heap (JAVA_OPTS=-Xmx12g) (default: ${DEFAULT-VALUE}).")
    private double maxTokens;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "With --scaling: writes the plot there (PNG).")
    private java.nio.file.Path plot;

    @Option(
            names = "--markdown",
            description = "With --all: print the README table (Markdown) instead of one line per measurement.")
    private boolean markdown;

    @Option(
            names = "--markdown-from",
            paramLabel = "FILE.jsonl",
            description =
                    "Render the README table from the JSON lines of an earlier 'perf --all --json' run (no timing).")
    private java.nio.file.Path markdownFrom;

    @Option(names = "--machine", paramLabel = "TEXT", description = "Machine named under the Markdown table.")
    private String machine;

    @Option(
            names = "--floors",
            description = "Print the floor declaration of every estimator as a Markdown table (no timing).")
    private boolean floors;

    @Option(
            names = "--trajectories",
            paramLabel = "N",
            defaultValue = "2048",
            description = "Trajectories in the batch, in groups of 8 (default: ${DEFAULT-VALUE}).")
    private int trajectories;

    @Option(
            names = "--tokens-per-trajectory",
            paramLabel = "N",
            defaultValue = "5000",
            description = "Tokens per trajectory (default: ${DEFAULT-VALUE}).")
    private int tokensPerTrajectory;

    @Option(
            names = "--steps-per-trajectory",
            paramLabel = "N",
            description =
                    "Policy spans per trajectory (default: 10 for step/turn/segment/agent-level estimators, else 1).")
    private Integer stepsPerTrajectory;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "1",
            split = ",",
            description =
                    "Threads the estimator may use; with --all a list (1,2) times each (default: ${DEFAULT-VALUE}).")
    private List<Integer> threadList;

    private int threads;

    @Option(
            names = "--runs",
            paramLabel = "N",
            description = "Timed runs; the median is reported (default: 5; with --all and --scaling at most " + ALL_RUNS
                    + ", fewer when --budget runs out, at least 3).")
    private Integer runsOption;

    /** Most timed repetitions per row of {@code --all}: enough pairs for the bootstrap interval of the 2/1-thread ratio. */
    static final int ALL_RUNS = 21;

    private int runs;

    @Option(
            names = "--warmup",
            paramLabel = "N",
            defaultValue = "3",
            description = "Untimed warm-up runs before the timed ones (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(
            names = "--warmup-seconds",
            paramLabel = "S",
            defaultValue = "1",
            description = "With --all: keep warming up (estimator and floor alternating) until this many seconds have "
                    + "passed and no JIT compilation finished during the last warm-up run, at most half of --budget, "
                    + "so estimators are timed after JIT compilation (default: ${DEFAULT-VALUE}).")
    private double warmupSeconds;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "42",
            description = "Seed of the synthetic batch (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(
            names = "--forks",
            paramLabel = "N",
            defaultValue = "1",
            description =
                    "With --all: time in N child JVMs, one after another (each with this JVM's java, JVM options "
                            + "and class path, the estimators in another order), and print one line per estimator, shape and "
                            + "thread count combined across them: medians across the forks, the forks' range of the floor "
                            + "ratios, and the two-thread verdict from a 95 %% t interval over the forks' paired ratios (use 3 "
                            + "or more). Takes about N times as long as one run. With 1, times in this JVM (default: ${DEFAULT-VALUE}).")
    private int forks;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    /** Keeps results observable so the JIT cannot drop the timed work. */
    private static volatile float sink;

    @Override
    public Integer call() throws Exception {
        for (int t : threadList) check(t >= 1, "--threads must be >= 1, got " + t);
        threads = threadList.get(0);
        PerfModes modes = new PerfModes(
                main.registry(), spec.commandLine().getOut(), spec.commandLine().getErr());
        if (floors) return modes.floors();
        if (markdownFrom != null) return modes.markdownFrom(markdownFrom, machine);
        runs = runsOption != null ? runsOption : all || scaling ? ALL_RUNS : 5;
        check(runs >= 1, "--runs must be >= 1, got " + runs);
        check(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        check(warmupSeconds >= 0, "--warmup-seconds must be >= 0, got " + warmupSeconds);
        check(budget > 0, "--budget must be > 0, got " + budget);
        PerfSuite.Settings settings = new PerfSuite.Settings(warmup, warmupSeconds, runs, budget, seed);
        if (all) {
            check(!scaling && estimatorId == null, "--all takes no --estimator and no --scaling");
            check(allTokens >= 1, "--tokens must be >= 1, got " + allTokens);
            List<PerfSuite.Shape> shapes;
            try {
                shapes = PerfSuite.Shape.parse(shape);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            check(forks >= 1, "--forks must be >= 1, got " + forks);
            if (forks > 1) return forked(shapes);
            return modes.all(settings, shapes, (long) allTokens, threadList, only, json, markdown, machine);
        }
        check(forks == 1, "--forks needs --all");
        if (scaling) {
            check(estimatorId == null, "--scaling takes --estimators, not --estimator");
            check(minTokens >= 1 && maxTokens >= minTokens, "--min-tokens must be >= 1 and <= --max-tokens");
            return PerfScaling.run(
                    main.registry(),
                    settings,
                    only,
                    (long) minTokens,
                    (long) maxTokens,
                    threadList,
                    json,
                    plot,
                    spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        check(estimatorId != null, "give --estimator ID, --all or --scaling");
        EstimatorOptions estimator = new EstimatorOptions();
        estimator.id = estimatorId;
        estimator.preset = preset;
        estimator.params = paramValues;
        check(trajectories >= 1, "--trajectories must be >= 1, got " + trajectories);
        check(tokensPerTrajectory >= 1, "--tokens-per-trajectory must be >= 1, got " + tokensPerTrajectory);
        check(
                stepsPerTrajectory == null || stepsPerTrajectory >= 1,
                "--steps-per-trajectory must be >= 1, got " + stepsPerTrajectory);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        EstimatorOptions.Resolved est = estimator.resolve(main.registry());
        Descriptor d = est.estimator().descriptor();
        SyntheticBatch.Spec batchSpec = SyntheticBatch.forEstimator(
                d, trajectories, tokensPerTrajectory, stepsPerTrajectory == null ? 0 : stepsPerTrajectory, seed);
        err.println("perf: building synthetic batch for " + d.id() + ": " + batchSpec.describe());
        err.flush();
        long t0 = System.nanoTime();
        Rollouts batch = SyntheticBatch.build(batchSpec, SyntheticBatch.extrasFor(d), (done, total) -> {
            err.printf(Locale.ROOT, "perf:   %3d%% (%d/%d trajectories)%n", 100L * done / total, done, total);
            err.flush();
        });
        err.printf(
                Locale.ROOT,
                "perf: built in %s; signals: %s%n",
                Fmt.seconds((System.nanoTime() - t0) / 1e9),
                signals(batchSpec));

        double[] estimatorSeconds = new double[runs];
        // output arrays are reused across runs (estimators that support it write into them), so the
        // timing is of the estimator, not of allocating and zeroing fresh 40 MB arrays and the GC after
        Credit.Buffers buffers = new Credit.Buffers();
        try (Execution exec = Execution.threads(threads).start()) {
            for (int i = 0; i < warmup + runs; i++) {
                long s = System.nanoTime();
                Credit c = est.estimator().assign(batch, est.params(), exec, buffers);
                double sec = (System.nanoTime() - s) / 1e9;
                consume(c.advantages());
                boolean timed = i >= warmup;
                if (timed) estimatorSeconds[i - warmup] = sec;
                err.printf(
                        Locale.ROOT,
                        "perf: %s %d/%d: %s%n",
                        timed ? "run" : "warm-up",
                        timed ? i - warmup + 1 : i + 1,
                        timed ? runs : warmup,
                        Fmt.seconds(sec));
                err.flush();
            }
        }
        double seconds = median(estimatorSeconds);
        double copySeconds = median(timeCopy(batch.tokenCount()));
        int tokens = batch.tokenCount();
        double tokensPerSecond = tokens / seconds;
        double copyPerSecond = tokens / copySeconds;
        double ratio = tokensPerSecond / copyPerSecond;
        boolean steps = SyntheticBatch.stepLevel(d);
        int stepRows = 0;
        for (int s = 0; s < batch.spanCount(); s++) if (batch.isPolicySpan(s)) stepRows++;

        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimator", d.id());
            m.put("preset", est.params().preset());
            m.put("params", est.params().values());
            m.put("trajectories", batch.trajectoryCount());
            m.put("groups", batch.groupCount());
            m.put("tokens", tokens);
            m.put("tokens_per_trajectory", batchSpec.tokensPerTrajectory());
            m.put("steps_per_trajectory", batchSpec.stepsPerTrajectory());
            if (steps) m.put("step_rows", stepRows);
            m.put("threads", threads);
            m.put("warmup", warmup);
            m.put("runs", runs);
            m.put("seed", seed);
            m.put("seconds", seconds);
            m.put("seconds_min", Arrays.stream(estimatorSeconds).min().orElse(seconds));
            m.put("seconds_runs", estimatorSeconds);
            m.put("tokens_per_second", tokensPerSecond);
            if (steps) m.put("step_rows_per_second", stepRows / seconds);
            m.put("copy_seconds", copySeconds);
            m.put("copy_tokens_per_second", copyPerSecond);
            m.put("ratio_to_copy", ratio);
            m.put("version", new VersionInfo().describe());
            m.put("java", System.getProperty("java.version"));
            out.println(new ObjectMapper().writeValueAsString(m));
        } else {
            out.printf(Locale.ROOT, "estimator   %s%n", estimator.label(est));
            out.printf(
                    Locale.ROOT,
                    "batch       %d trajectories in %d groups, %d tokens, %d policy spans%n",
                    batch.trajectoryCount(),
                    batch.groupCount(),
                    tokens,
                    stepRows);
            out.printf(Locale.ROOT, "threads     %d%n", threads);
            out.printf(
                    Locale.ROOT,
                    "time        %s (median of %d runs after %d warm-up; fastest %s)%n",
                    Fmt.seconds(seconds),
                    runs,
                    warmup,
                    Fmt.seconds(Arrays.stream(estimatorSeconds).min().orElse(seconds)));
            out.printf(Locale.ROOT, "throughput  %stokens/s%n", Fmt.rate(tokensPerSecond));
            if (steps) out.printf(Locale.ROOT, "step rows   %sspans/s%n", Fmt.rate(stepRows / seconds));
            out.printf(
                    Locale.ROOT,
                    "copy        %stokens/s (System.arraycopy of %d floats, %s)%n",
                    Fmt.rate(copyPerSecond),
                    tokens,
                    Fmt.seconds(copySeconds));
            out.printf(Locale.ROOT, "ratio       %.4g of copy speed%n", ratio);
        }
        out.flush();
        err.flush();
        return ExitCodes.OK;
    }

    /** {@code --all --forks N}: N child JVMs time the rows, this one combines them ({@link PerfForks}). */
    private int forked(List<PerfSuite.Shape> shapes) throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        for (dev.apportion.core.credit.Estimator e : PerfModes.timed(main.registry(), only))
            ids.add(e.descriptor().id());
        List<String> shapeNames = new java.util.ArrayList<>();
        for (PerfSuite.Shape s : shapes) shapeNames.add(s.wire);
        List<String> pass = new java.util.ArrayList<>(List.of(
                "--shape",
                shape,
                "--tokens",
                Double.toString(allTokens),
                "--budget",
                Double.toString(budget),
                "--threads",
                String.join(",", threadList.stream().map(String::valueOf).toList()),
                "--warmup",
                Integer.toString(warmup),
                "--warmup-seconds",
                Double.toString(warmupSeconds),
                "--seed",
                Long.toString(seed)));
        if (runsOption != null) pass.addAll(List.of("--runs", Integer.toString(runsOption)));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Map<String, Object>> rows;
        try {
            rows = PerfForks.run(PerfForks.javaCommand(), forks, ids, shapeNames, threadList, seed, pass, err);
        } catch (PerfForks.ForkFailed e) {
            err.println("apportion perf: " + e.getMessage());
            err.flush();
            return ExitCodes.INTERNAL_ERROR;
        }
        if (markdown) {
            out.print(PerfModes.markdown(rows, machine));
        } else {
            ObjectMapper mapper = new ObjectMapper();
            for (Map<String, Object> r : rows) out.println(json ? mapper.writeValueAsString(r) : PerfForks.text(r));
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** Seconds per copy of {@code tokens} floats, one sample per run (each sample averages enough copies to last ~1 ms). */
    private double[] timeCopy(int tokens) {
        float[] src = new float[tokens];
        for (int i = 0; i < tokens; i++) src[i] = i;
        float[] dst = new float[tokens];
        int reps = (int) Math.max(1, Math.min(1_000_000, 250_000L / Math.max(1, tokens)));
        double[] samples = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            long s = System.nanoTime();
            for (int k = 0; k < reps; k++) {
                System.arraycopy(src, 0, dst, 0, tokens);
                src[k % tokens] = dst[(k + 1) % tokens];
            }
            double sec = (System.nanoTime() - s) / 1e9 / reps;
            if (i >= warmup) samples[i - warmup] = sec;
        }
        consume(dst);
        return samples;
    }

    private static void consume(float[] a) {
        if (a.length > 0) sink += a[a.length / 2];
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static String signals(SyntheticBatch.Spec s) {
        StringBuilder b = new StringBuilder("outcome");
        for (String n : s.tokenSignals()) b.append(", token:").append(n);
        for (String n : s.trajectorySignals()) b.append(", trajectory:").append(n);
        if (s.spanRewards()) b.append(", span:reward");
        if (s.states()) b.append(", span:state");
        if (s.agents()) b.append(", span:agent");
        for (String n : s.spanSignals()) b.append(", span:").append(n);
        return b.toString();
    }

    private void check(boolean ok, String message) {
        if (!ok) throw new ParameterException(spec.commandLine(), message);
    }
}
