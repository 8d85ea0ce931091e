package dev.apportion.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.importer.ImportOptions;
import dev.apportion.io.importer.Imported;
import dev.apportion.io.importer.Importers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hand-written WordLevel tokenizer.json (lower-casing, whitespace/punctuation pre-tokenizer), loaded offline. */
class HfTokenCounterTest {
    @TempDir
    Path tmp;

    static Path tokenizer() throws Exception {
        return Path.of(HfTokenCounterTest.class.getResource("/tokenizer.json").toURI());
    }

    @Test
    void countsWithTheTokenizerFile() throws Exception {
        try (HfTokenCounter t = HfTokenCounter.load(tokenizer())) {
            assertEquals(4, t.count("It is 5."));
            assertEquals(3, t.count("Hello  world!"));
            assertEquals(2, t.count("unknown words"), "unknown words are [UNK] tokens, still counted");
            assertEquals(0, t.count(""));
            assertTrue(t.exact());
            assertEquals("tokenizer.json", t.name());
        }
    }

    @Test
    void importerRecordsTheTokenizer() throws Exception {
        Path chat = tmp.resolve("c.jsonl");
        Files.writeString(
                chat,
                "{\"group\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Hello world!\"}]}\n");
        try (HfTokenCounter t = HfTokenCounter.load(tokenizer())) {
            Imported im = Importers.read("chat", chat, new ImportOptions(t, false, null));
            Rollouts b = im.rollouts();
            assertEquals(4, b.tokenCount());
            assertEquals(0f, b.trajectorySignal("tokens_approximate")[0]);
            assertEquals("tokenizer.json", im.tokenizer());
        }
    }

    @Test
    void badFilesAreRefused() throws Exception {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> HfTokenCounter.load(tmp.resolve("none.json")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"model\": 3}");
        e = assertThrows(IllegalArgumentException.class, () -> HfTokenCounter.load(bad));
        assertTrue(e.getMessage().startsWith("cannot load tokenizer"), e.getMessage());
    }
}
