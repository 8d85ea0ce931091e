package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the Python client's tests ({@code clients/python/tests}, unittest) with the machine's
 * {@code python3} against a server started here on an ephemeral loopback port. Skipped (JUnit
 * assumption) when python3 (3.9 or newer) is absent; the numpy tests inside skip themselves when
 * numpy is absent.
 */
class PythonClientTest {
    static final Path CLIENT =
            Path.of("..", "clients", "python").toAbsolutePath().normalize();

    static boolean python39() {
        try {
            Process p = new ProcessBuilder(
                            "python3", "-c", "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static boolean numpy() throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import numpy")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** The README's "From Python" example runs as printed and prints what its comments say. */
    @Test
    void readmeFromPythonExampleRuns() throws Exception {
        Path root = CLIENT.getParent().getParent();
        assumeTrue(python39(), "python3 >= 3.9 is not on PATH");
        assumeTrue(numpy(), "numpy is not installed (the README example uses it)");
        String readme = Files.readString(root.resolve("README.md"));
        int section = readme.indexOf("\n## From Python\n");
        assertTrue(section >= 0, "README.md has a section '## From Python'");
        int start = readme.indexOf("```python\n", section) + "```python\n".length();
        String code = readme.substring(start, readme.indexOf("\n```", start) + 1);
        try (CreditServer server = new CreditServer(
                        ServerConfig.defaults().withPort(0).withRequestLog(false), EstimatorRegistry.global(), null)
                .start()) {
            ProcessBuilder pb =
                    new ProcessBuilder("python3", "-").directory(root.toFile()).redirectErrorStream(true);
            pb.environment().put("APPORTION_URL", server.url());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process p = pb.start();
            p.getOutputStream().write(code.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES));
            assertEquals(0, p.exitValue(), out);
            String[] lines = out.strip().split("\\R");
            assertEquals(3, lines.length, out);
            assertEquals("a 0.57734925", lines[0]);
            assertTrue(lines[1].matches("\\[0\\.707105\\d* 0\\.707105\\d* 0\\.707105\\d* 0\\.\\s*\\]"), lines[1]);
            assertEquals("True []", lines[2]);
        }
    }

    @Test
    void pythonClientAndRecipeTestsPass() throws Exception {
        assumeTrue(Files.isDirectory(CLIENT.resolve("tests")), "clients/python/tests is absent");
        assumeTrue(python39(), "python3 >= 3.9 is not on PATH");
        try (CreditServer server = new CreditServer(
                        ServerConfig.defaults().withPort(0).withRequestLog(false), EstimatorRegistry.global(), null)
                .start()) {
            ProcessBuilder pb = new ProcessBuilder(
                            List.of("python3", "-m", "unittest", "discover", "-v", "-s", "tests"))
                    .directory(CLIENT.toFile())
                    .redirectErrorStream(true);
            pb.environment().put("APPORTION_URL", server.url());
            pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.MINUTES), "python tests did not finish");
            assertEquals(0, p.exitValue(), out);
            Matcher m = Pattern.compile("Ran (\\d+) tests?").matcher(out);
            assertTrue(m.find(), out);
            assertTrue(Integer.parseInt(m.group(1)) >= 10, "too few Python tests ran:\n" + out);
            System.out.println(out);
        }
    }
}
