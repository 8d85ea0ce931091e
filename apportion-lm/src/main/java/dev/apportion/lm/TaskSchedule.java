package dev.apportion.lm;

import picocli.CommandLine.Option;

/**
 * The RL schedule options whose 0 (or −1 for the warm-up) means "the task's default", shared by
 * {@code lm-train} and {@code lm-experiment} as a picocli mixin, and the per-task defaults they
 * resolve to. {@code lm-bench} keeps its own {@code --lr} and {@code --warmup-steps} (its help
 * words them differently) and hands them over to {@link Experiment}.
 */
final class TaskSchedule {
    @Option(
            names = "--lr",
            defaultValue = "0",
            description = "RL learning rate (0: the task's default, 1e-4 on addition, 3e-4 otherwise)")
    double lr;

    @Option(
            names = "--ppo-epochs",
            defaultValue = "0",
            description = "updates per batch (0: the task's default, 4 on addition, 1 otherwise)")
    int ppoEpochs;

    @Option(names = "--warmup-steps", defaultValue = "-1", description = "supervised steps (-1: the task's default)")
    int warmupSteps;

    /** The RL learning rate used on {@code task}: {@code --lr}, or the task's default when 0. */
    double lr(String task) {
        return lr > 0 ? lr : defaultLr(task);
    }

    /** The PPO epochs used on {@code task}: {@code --ppo-epochs}, or the task's default when 0. */
    int ppoEpochs(String task) {
        return ppoEpochs > 0 ? ppoEpochs : defaultPpoEpochs(task);
    }

    /** The supervised warm-up steps used on {@code task}: {@code --warmup-steps}, or the task's default when −1. */
    int warmupSteps(String task) {
        return warmupSteps >= 0 ? warmupSteps : defaultWarmup(task);
    }

    /**
     * Supervised warm-up steps per task. Addition: 800 (success about 0.7) — after 400 steps the
     * demonstrations' NLL is still falling (0.45) and success varies 0.07–0.35 between seeds, too
     * little signal for exact-match RL; 1,500 steps reach about 0.83, leaving less room (see
     * docs/lm-experiment/README.md, "Why addition did not move").
     */
    static int defaultWarmup(String task) {
        return switch (task) {
            case "tool" -> 600;
            case "countdown" -> 600;
            case "addition" -> 800;
            default -> 400;
        };
    }

    /**
     * RL learning rate per task. Addition: 1e-4 — with a fresh Adam, whose first updates move
     * every weight by about the learning rate whatever the gradient's size, 1e-3 and 3e-3 collapse
     * addition to 0.01 and 0 success within two steps, and 3e-4 drifts within noise.
     */
    static double defaultLr(String task) {
        return "addition".equals(task) ? 1e-4 : 3e-4;
    }

    /** PPO epochs per batch: 4 on addition (more movement per sample at the small learning rate), else 1. */
    static int defaultPpoEpochs(String task) {
        return "addition".equals(task) ? 4 : 1;
    }
}
