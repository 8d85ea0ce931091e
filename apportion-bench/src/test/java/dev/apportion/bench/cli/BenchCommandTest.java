package dev.apportion.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchCommandTest {
    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void runsASuiteFileAndPrintsTheLeaderboardAndPaths(@TempDir Path dir) throws Exception {
        Path suite = dir.resolve("tiny.json");
        try (InputStream in = BenchCommandTest.class.getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            Files.copy(in, suite);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(
                out,
                err,
                "--suite",
                suite.toString(),
                "--tasks",
                "bif",
                "--estimators",
                "oracle,random",
                "--no-claims",
                "--quiet",
                "--out",
                dir.resolve("o").toString());
        assertEquals(0, code, err.toString());
        String text = out.toString();
        assertTrue(text.contains("Leaderboard"), text);
        assertTrue(text.contains("oracle") && text.contains("random"), text);
        assertTrue(text.contains("results.json") && text.contains("results.csv") && text.contains("report.html"), text);
        assertTrue(Files.exists(dir.resolve("o").resolve("report.html")));
    }

    @Test
    void planCountsUnitsPerConfigurationAndRunsNothing(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(
                out,
                err,
                "--suite",
                "full",
                "--plan",
                "--threads",
                "2",
                "--out",
                dir.resolve("o").toString());
        assertEquals(0, code, err.toString());
        String text = out.toString();
        assertTrue(text.contains("umbrella_length[chain_length=100]"), text);
        assertTrue(text.contains("per entry"), text);
        assertTrue(
                text.matches("(?s).*suite 'full': \\d+ configurations, \\d+ task instances .*, \\d+ work units; "
                        + "estimated \\d+ core-seconds, about \\d+ min wall with 2 threads.*"),
                text);
        assertTrue(!Files.exists(dir.resolve("o")), "--plan writes nothing");
    }

    @Test
    void badInputExitsWithTwoAndOneLine(@TempDir Path dir) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(2, run(out, err, "--suite", "nosuch", "--out", dir.toString()));
        assertTrue(err.toString().startsWith("apportion bench: unknown suite 'nosuch'"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(out, err, "--estimators", "no_such_estimator", "--quiet", "--out", dir.toString()));
        assertTrue(err.toString().contains("unknown estimator 'no_such_estimator'"), err.toString());
        err = new StringWriter();
        assertEquals(2, run(out, err, "--seeds", "0", "--quiet", "--out", dir.toString()));
        assertTrue(err.toString().contains("--seeds"), err.toString());
    }
}
