package dev.apportion.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine loads offline from the native jar on the class path. With {@code ai.djl.offline=true}
 * (set by the surefire configuration and by {@link LmEngine}) DJL throws instead of downloading,
 * so a load that needed a download fails this test.
 */
class EngineOfflineTest {
    @Test
    void loadsPyTorchCpuFromTheClassPathJarWithoutDownloading() throws Exception {
        Engine e = LmEngine.get();
        assertEquals("true", System.getProperty("ai.djl.offline"));
        assertEquals("PyTorch", e.getEngineName());
        assertEquals("2.7.1", e.getVersion());
        assertNotNull(
                Engine.class.getClassLoader().getResource("native/lib/pytorch.properties"),
                "pytorch-native-cpu jar on the class path");
        Path cache = Utils.getEngineCacheDir("pytorch");
        try (Stream<Path> s = Files.list(cache)) {
            assertTrue(
                    s.anyMatch(p -> p.getFileName().toString().startsWith("2.7.1-")
                            && p.getFileName().toString().endsWith("cpu-linux-x86_64")),
                    "the library extracted from the jar is in " + cache);
        }
        assertEquals("cpu()", e.defaultDevice().toString());
    }
}
