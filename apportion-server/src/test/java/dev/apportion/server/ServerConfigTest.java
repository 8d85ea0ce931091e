package dev.apportion.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ServerConfigTest {
    private static final ServerConfig BASE = ServerConfig.defaults();

    @Test
    void eachWitherChangesOnlyItsComponent() {
        assertEquals(
                new ServerConfig(
                        "0.0.0.0",
                        8080,
                        BASE.maxBodyBytes(),
                        BASE.maxTokens(),
                        BASE.timeoutMillis(),
                        BASE.computeThreads(),
                        256,
                        30_000,
                        true),
                BASE.withHost("0.0.0.0"));
        ServerConfig all = BASE.withPort(9)
                .withMaxBodyBytes(11)
                .withMaxTokens(12)
                .withTimeoutMillis(13)
                .withComputeThreads(14)
                .withMaxQueued(15)
                .withStopTimeoutMillis(16)
                .withRequestLog(false);
        assertEquals(new ServerConfig("127.0.0.1", 9, 11, 12, 13, 14, 15, 16, false), all);
    }

    @Test
    void withersValidateLikeTheConstructor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BASE.withPort(70_000));
        assertEquals("port must be in 0..65535, got 70000", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BASE.withComputeThreads(0));
        assertThrows(IllegalArgumentException.class, () -> BASE.withHost(" "));
    }
}
