package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    @Test
    void versionNamesVersionAndCommit() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().matches("(?s)apportion \\S+ \\(commit \\S+\\)\\R.*"), r::toString);
        VersionInfo v = new VersionInfo();
        assertFalse(v.version().contains("${"), v.version());
        assertFalse(v.commit().contains("${"), v.commit());
        assertTrue(r.out().contains(v.version()), r::toString);
    }

    @Test
    void everyCommandHasHelp() {
        Cli.Result top = Cli.run("--help");
        assertEquals(0, top.code(), top::toString);
        CommandLine cl = Main.commandLine(TestEstimators::registry);
        for (String name : cl.getSubcommands().keySet()) {
            assertTrue(top.out().contains(name), "top-level help lists " + name);
            if (name.equals("help")) continue;
            Cli.Result r = Cli.run(name, "--help");
            assertEquals(0, r.code(), () -> name + ": " + r);
            assertTrue(
                    r.out()
                            .startsWith(cl.getSubcommands()
                                    .get(name)
                                    .getCommandSpec()
                                    .usageMessage()
                                    .header()[0]),
                    () -> name + ": " + r);
            assertTrue(r.out().contains("Usage: apportion " + name), () -> name + ": " + r);
            Cli.Result viaHelp = Cli.run("help", name);
            assertEquals(r.out(), viaHelp.out(), name);
        }
    }

    @Test
    void noCommandPrintsUsageAndExits2() {
        Cli.Result r = Cli.run();
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains("Usage: apportion"), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void unknownCommandIsOneLineWithSuggestion() {
        Cli.Result r = Cli.run("asign", "x");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().contains("'asign'") && r.err().contains("did you mean assign"), r::toString);
    }

    @Test
    void missingRequiredOptionIsOneLine() {
        Cli.Result r = Cli.run("assign", "in.jsonl");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals(1, r.errLines().length, r::toString);
        assertTrue(r.err().contains("--output") && r.err().contains("apportion assign --help"), r::toString);
    }

    @Test
    void verboseAddsTheStackTraceBeforeOrAfterTheCommand() {
        Cli.Result quiet = Cli.run("perf", "--estimator", "nope");
        assertEquals(ExitCodes.BAD_INPUT, quiet.code());
        assertEquals(1, quiet.errLines().length, quiet::toString);
        assertTrue(quiet.err().startsWith("error: unknown estimator 'nope'"), quiet::toString);
        for (String[] args : new String[][] {
            {"--verbose", "perf", "--estimator", "nope"}, {"perf", "--estimator", "nope", "--verbose"}
        }) {
            Cli.Result loud = Cli.run(args);
            assertEquals(ExitCodes.BAD_INPUT, loud.code());
            assertTrue(loud.errLines().length > 2, loud::toString);
            assertTrue(loud.err().contains("\tat dev.apportion."), loud::toString);
        }
    }

    @Test
    void errorsMapToExitCodesAndOneLine() {
        assertEquals(ExitCodes.BAD_INPUT, Errors.exitCode(new IllegalArgumentException("x")));
        assertEquals(ExitCodes.BAD_INPUT, Errors.exitCode(new java.io.IOException("x")));
        assertEquals(
                ExitCodes.BAD_INPUT,
                Errors.exitCode(new dev.apportion.io.InputException("f.jsonl", 3, "outcome", "bad")));
        assertEquals(ExitCodes.INTERNAL_ERROR, Errors.exitCode(new IllegalStateException("x")));
        assertEquals(
                "no such file or directory: a/b.jsonl",
                Errors.message(new java.nio.file.NoSuchFileException("a/b.jsonl")));
        assertEquals("a b c", Errors.oneLine(" a\n  b\r\nc\n"));
        assertEquals("java.lang.NullPointerException", Errors.message(new NullPointerException()));
    }
}
