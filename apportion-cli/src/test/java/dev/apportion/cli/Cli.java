package dev.apportion.cli;

import dev.apportion.core.credit.EstimatorRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the command line in-process with captured stdout and stderr. */
final class Cli {
    private Cli() {}

    /** Exit code and output of one run. */
    record Result(int code, String out, String err) {
        /** The non-empty lines of stderr. */
        String[] errLines() {
            return err.isBlank() ? new String[0] : err.strip().split("\\R");
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(String... args) {
        return run(TestEstimators.registry(), args);
    }

    static Result run(EstimatorRegistry registry, String... args) {
        CommandLine cl = Main.commandLine(() -> registry);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
