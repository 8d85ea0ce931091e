package dev.apportion.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code lm-train} and {@code lm-experiment}: thin delegations to the runnable jar of module
 * apportion-lm ({@code apportion-lm/target/apportion-lm.jar} with its {@code lib/}), which is
 * kept out of this jar because it carries the PyTorch CPU library (about 110 MB). The jar is
 * found through {@code APPORTION_LM_JAR} or beside this jar's module in the checkout; the
 * launcher script builds it on first use. Arguments and the exit code pass through unchanged.
 */
public abstract class LmDelegate implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    abstract String command();

    @Override
    public Integer call() throws Exception {
        Path jar = locate();
        if (jar == null || !Files.isRegularFile(jar)) {
            System.err.println("error: " + command() + " runs in apportion-lm.jar, which was not found"
                    + (jar == null ? "" : " at " + jar) + "; build it with: mvn -B -q -DskipTests package -pl apportion-lm -am"
                    + " (or set APPORTION_LM_JAR)");
            return ExitCodes.BAD_INPUT;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add(command());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    static Path locate() {
        String env = System.getenv("APPORTION_LM_JAR");
        if (env != null && !env.isBlank()) return Path.of(env);
        try {
            Path self = Path.of(LmDelegate.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // apportion-cli/target/apportion.jar (or target/classes) -> repository root
            Path root = self.getParent() == null ? null : self.getParent().getParent();
            if (root != null) root = root.getParent();
            return root == null ? null : root.resolve("apportion-lm").resolve("target").resolve("apportion-lm.jar");
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    /** {@code apportion lm-train …}. */
    @Command(name = "lm-train", description = "RL on a small transformer (module apportion-lm): "
            + "--task addition|reversal|countdown|tool --estimator ID [--steps N] [--seed S] [--json]; --help for all options.")
    public static final class Train extends LmDelegate {
        @Override
        String command() {
            return "lm-train";
        }
    }

    /** {@code apportion lm-experiment …}. */
    @Command(name = "lm-experiment", description = "Estimators compared on the small transformer over seeds "
            + "(module apportion-lm); --help for all options.")
    public static final class Experiment extends LmDelegate {
        @Override
        String command() {
            return "lm-experiment";
        }
    }
}
