package dev.apportion.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file atomically: the content goes to a temporary file in the target's directory
 * (so that the rename stays on one file system), is forced to disk, and is renamed onto the
 * target with {@link StandardCopyOption#ATOMIC_MOVE}. On any failure the temporary file is
 * deleted and the target is left as it was (absent, or its previous content). The one
 * atomic-file utility of the project (the CLI, the bench and the writers of this module use it).
 */
public final class AtomicFiles {
    /** Writes text to a writer; may throw anything. */
    @FunctionalInterface
    public interface Body {
        void write(Writer w) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes {@code content} (UTF-8) to {@code target} atomically, creating missing parent directories. */
    public static void writeString(Path target, String content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        write(target, w -> w.write(content));
    }

    /** Writes what {@code body} writes (UTF-8) to {@code target} atomically; the directory must exist. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        FileChannel ch = null;
        Path tmp = null;
        for (int attempt = 0; ch == null; attempt++) {
            tmp = dir.resolve("." + name + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
            try {
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 16) throw e;
            }
        }
        boolean done = false;
        try {
            try (FileChannel c = ch;
                    Writer w = new BufferedWriter(
                            new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8), 1 << 16)) {
                body.write(w);
                w.flush();
                c.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    // the original failure matters more; a stray temporary file is named .<target>.*.tmp
                }
            }
        }
    }
}
