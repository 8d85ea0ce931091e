package dev.apportion.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code lm-train}, {@code lm-experiment} and {@code bench --suite lm}: thin delegations to the runnable jar of module
 * apportion-lm ({@code apportion-lm/target/apportion-lm.jar} with its {@code lib/}), which is
 * kept out of this jar because it carries the PyTorch CPU library (about 110 MB). The jar is
 * found through {@code APPORTION_LM_JAR} or beside this jar's module in the checkout; the
 * launcher script builds it on first use. Arguments and the exit code pass through unchanged.
 */
public abstract class LmDelegate implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @picocli.CommandLine.Option(
            names = "--lm-help",
            description = "Print every option of the command (runs apportion-lm.jar --help).")
    boolean lmHelp;

    abstract String command();

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(args);
        if (lmHelp) all.add("--help");
        return delegate(command(), all);
    }

    /** Runs {@code command} with {@code args} in apportion-lm.jar and returns its exit code. */
    static int delegate(String command, List<String> args) throws IOException, InterruptedException {
        Path jar = locate();
        if (jar == null || !Files.isRegularFile(jar)) {
            System.err.println("error: " + command + " runs in apportion-lm.jar, which was not found"
                    + (jar == null ? "" : " at " + jar)
                    + "; build it with: mvn -B -q -DskipTests package -pl apportion-lm -am"
                    + " (or set APPORTION_LM_JAR)");
            return ExitCodes.BAD_INPUT;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add(command);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /**
     * {@code bench --suite lm …}: the benchmark family {@code lm} runs in apportion-lm.jar (command
     * {@code lm-bench}), because the bench module cannot depend on the leaf module that carries
     * PyTorch. Returns the arguments for {@code lm-bench} (the rest of the command line without
     * {@code --suite lm}), or null when {@code args} is not a bench run of suite {@code lm}.
     */
    static List<String> lmBenchArgs(String... args) {
        if (args.length == 0 || !"bench".equals(args[0])) return null;
        List<String> rest = new ArrayList<>();
        boolean lm = false;
        for (int k = 1; k < args.length; k++) {
            String a = args[k];
            if (a.equals("--suite") && k + 1 < args.length && args[k + 1].equals("lm")) {
                lm = true;
                k++;
            } else if (a.equals("--suite=lm")) {
                lm = true;
            } else {
                rest.add(a);
            }
        }
        return lm ? rest : null;
    }

    static Path locate() {
        String env = System.getenv("APPORTION_LM_JAR");
        if (env != null && !env.isBlank()) return Path.of(env);
        try {
            Path self = Path.of(LmDelegate.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            // apportion-cli/target/apportion.jar (or target/classes) -> repository root
            Path root = self.getParent() == null ? null : self.getParent().getParent();
            if (root != null) root = root.getParent();
            return root == null
                    ? null
                    : root.resolve("apportion-lm").resolve("target").resolve("apportion-lm.jar");
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    /** {@code apportion lm-train …}. */
    @Command(
            name = "lm-train",
            mixinStandardHelpOptions = true,
            header = "Warm up a small transformer on a task, then train it with RL.",
            description = {
                "Runs in apportion-lm.jar (built on first use by the launcher). Main options, passed through:",
                "  --task addition|reversal|countdown|tool   --estimator ID (any registry estimator whose signals the loop records)",
                "  --steps N   --seed S   --json (ends with one line {task, estimator, steps, success_before, success_after, seconds})",
                "  --prompts P --group G --lr X --clip E --ppo-epochs K --loss-agg token-mean|seq-mean-token-sum|seq-mean-token-mean",
                "  --kl BETA --init FILE --save FILE --difficulty D --layers L --width W --heads H",
                "All options: apportion lm-train --lm-help."
            })
    public static final class Train extends LmDelegate {
        @Override
        String command() {
            return "lm-train";
        }
    }

    /** {@code apportion lm-experiment …}. */
    @Command(
            name = "lm-experiment",
            mixinStandardHelpOptions = true,
            header = "Compare estimators on the small transformer over seeds.",
            description = {
                "Runs in apportion-lm.jar. Main options, passed through: --tasks addition,tool --estimators a,b,c --seeds N",
                "--steps N --out DIR (results.json, summary.md); --merge a.json,b.json --out DIR. All options: apportion lm-experiment --lm-help."
            })
    public static final class Experiment extends LmDelegate {
        @Override
        String command() {
            return "lm-experiment";
        }
    }
}
