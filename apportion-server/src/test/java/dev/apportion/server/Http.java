package dev.apportion.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apportion.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small blocking HTTP client over the JDK's, for the loopback tests. */
final class Http {
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String base;

    Http(String base) {
        this.base = base;
    }

    record Reply(int status, String contentType, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return Json.mapper().readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        @Override
        public String toString() {
            return status + " " + contentType + " "
                    + (contentType != null && contentType.contains("padded") ? body.length + " bytes" : text());
        }
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Reply post(String pathAndQuery, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Reply postJsonl(String pathAndQuery, String body) {
        return post(pathAndQuery, "application/x-ndjson", body.getBytes(StandardCharsets.UTF_8));
    }

    Reply postBinary(String pathAndQuery, byte[] body) {
        return post(pathAndQuery, PaddedBinary.MEDIA_TYPE, body);
    }

    private Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<byte[]> r =
                    client.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(
                    r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
