package dev.apportion.server;

import dev.apportion.core.credit.EstimatorRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the Python client's tests ({@code clients/python/tests}, unittest) with the machine's
 * {@code python3} against a server started here on an ephemeral loopback port. Skipped (JUnit
 * assumption) when python3 (3.9 or newer) is absent; the numpy tests inside skip themselves when
 * numpy is absent.
 */
class PythonClientTest {
    static final Path CLIENT = Path.of("..", "clients", "python").toAbsolutePath().normalize();

    static boolean python39() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void pythonClientAndRecipeTestsPass() throws Exception {
        assumeTrue(Files.isDirectory(CLIENT.resolve("tests")), "clients/python/tests is absent");
        assumeTrue(python39(), "python3 >= 3.9 is not on PATH");
        try (CreditServer server = new CreditServer(ServerConfig.defaults().withPort(0).withRequestLog(false),
                EstimatorRegistry.global(), null).start()) {
            ProcessBuilder pb = new ProcessBuilder(List.of("python3", "-m", "unittest", "discover", "-v", "-s", "tests"))
                    .directory(CLIENT.toFile()).redirectErrorStream(true);
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
