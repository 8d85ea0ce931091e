package dev.apportion.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lm-train}: supervised warm-up of a small transformer on a task, then RL with a registry
 * estimator; progress on stderr, a summary (or with {@code --json} one JSON line) on stdout.
 */
@Command(
        name = "lm-train",
        mixinStandardHelpOptions = true,
        description =
                "Warm up a small transformer on a verifiable task, then train it with RL using a credit estimator.")
public final class LmTrainCommand implements Callable<Integer> {
    @Option(
            names = "--task",
            defaultValue = "addition",
            description = "addition, reversal, countdown or tool (default ${DEFAULT-VALUE})")
    String task;

    @Option(
            names = "--difficulty",
            defaultValue = "0",
            description = "digits / length / numbers (0: the task's default)")
    int difficulty;

    @Option(names = "--estimator", defaultValue = "grpo", description = "registry id (default ${DEFAULT-VALUE})")
    String estimator;

    @Option(names = "--preset", description = "estimator preset")
    String preset;

    @Option(names = "--param", description = "estimator parameter override name=value (repeatable)")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--steps", defaultValue = "30", description = "RL steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--seed", defaultValue = "1", description = "seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--prompts", defaultValue = "8", description = "prompts per step (default ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--group", defaultValue = "8", description = "samples per prompt G (default ${DEFAULT-VALUE})")
    int group;

    /** --lr, --ppo-epochs, --warmup-steps and the task defaults they stand for. */
    @Mixin
    TaskSchedule schedule = new TaskSchedule();

    @Option(names = "--clip", defaultValue = "0.2", description = "PPO clip range (default ${DEFAULT-VALUE})")
    double clip;

    @Option(
            names = "--loss-agg",
            defaultValue = "token-mean",
            description = "token-mean, seq-mean-token-sum or seq-mean-token-mean (default ${DEFAULT-VALUE})")
    String lossAgg;

    @Option(
            names = "--kl",
            defaultValue = "0",
            description = "KL coefficient to the warm-up policy (default ${DEFAULT-VALUE})")
    double kl;

    @Option(
            names = "--mc-k",
            defaultValue = "8",
            description = "continuations per MC value (estimators that need mc_value)")
    int mcK;

    @Option(names = "--layers", defaultValue = "2")
    int layers;

    @Option(names = "--width", defaultValue = "64")
    int width;

    @Option(names = "--heads", defaultValue = "4")
    int heads;

    @Option(names = "--eval", defaultValue = "256", description = "evaluation problems (default ${DEFAULT-VALUE})")
    int eval;

    @Option(names = "--init", description = "start from this checkpoint instead of the warm-up")
    Path init;

    @Option(names = "--save", description = "write the final checkpoint here")
    Path save;

    @Option(
            names = "--json",
            description = "end with one JSON line {task, estimator, steps, success_before, success_after, seconds}")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        PrintStream err = System.err;
        Task t = Task.named(task, difficulty);
        EstimatorRegistry reg = EstimatorRegistry.global();
        if (!reg.has(estimator)) {
            err.println("error: unknown estimator '" + estimator + "' (see 'apportion estimators')");
            return 2;
        }
        Weights w;
        if (init != null) {
            if (!Files.isRegularFile(init)) {
                err.println("error: --init " + init + ": no such file");
                return 2;
            }
            w = Weights.load(init);
        } else {
            w = Weights.init(new ModelConfig(CharTokenizer.vocabSize(), layers, width, heads, 48), seed);
            int ws = schedule.warmupSteps(t.name());
            Trainer.warmup(w, t, ws, 64, 2e-3, seed, err::println);
        }
        Weights ref = w.copy();
        double before = Trainer.evaluate(w, t, eval, seed);
        err.printf("success before RL: %.3f%n", before);
        Trainer.RlConfig cfg = new Trainer.RlConfig(
                estimator,
                preset,
                overrides,
                prompts,
                group,
                schedule.lr(t.name()),
                clip,
                schedule.ppoEpochs(t.name()),
                Policy.Aggregation.of(lossAgg),
                kl,
                mcK);
        Trainer tr = new Trainer(t, w, ref, cfg, reg, seed);
        boolean tty = System.console() != null;
        for (int s = 0; s < steps; s++) {
            Trainer.StepStats st = tr.step();
            String bar = "#".repeat((s + 1) * 20 / steps) + ".".repeat(20 - (s + 1) * 20 / steps);
            String line = String.format(
                    "[%s] step %d/%d  batch success %.3f  loss %.4f  clip %.3f  %.2fs (credit %.1f%%)",
                    bar,
                    s + 1,
                    steps,
                    st.batchSuccess(),
                    st.loss(),
                    st.clipFraction(),
                    st.seconds(),
                    100 * st.creditSeconds() / st.seconds());
            if (tty) err.print("\r" + line);
            else err.println(line);
        }
        if (tty) err.println();
        double after = Trainer.evaluate(w, t, eval, seed);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (save != null) w.save(save);
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("task", t.name());
            o.put("estimator", estimator);
            o.put("steps", steps);
            o.put("success_before", before);
            o.put("success_after", after);
            o.put("seconds", Math.round(secs * 100) / 100.0);
            System.out.println(o.toString());
        } else {
            System.out.printf(
                    "task %s  estimator %s  steps %d  samples %d%nsuccess before %.3f  after %.3f  (%d evaluation problems)%n%.1f s%n",
                    t.name(), estimator, steps, tr.samples(), before, after, eval, secs);
        }
        return 0;
    }
}
