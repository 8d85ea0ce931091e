package dev.apportion.lm;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the runnable {@code apportion-lm.jar}: {@code lm-train}, {@code lm-experiment}, {@code lm-bench}. */
@Command(
        name = "apportion-lm",
        mixinStandardHelpOptions = true,
        subcommands = {LmTrainCommand.class, Experiment.class, LmBench.class},
        description = "RL with verifiable rewards on a small transformer (DJL, PyTorch CPU).")
public final class LmMain implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new LmMain());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (ex instanceof IllegalArgumentException) {
                System.err.println("error: " + ex.getMessage());
                return 2;
            }
            System.err.println("internal error: " + ex);
            return 3;
        });
        System.exit(cl.execute(args));
    }
}
