package dev.apportion.cli;

import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** {@code -o/--output HTML}: the optional static page of a report command (compare, evaluate). */
final class HtmlPageOption {
    @Option(
            names = {"-o", "--output"},
            paramLabel = "HTML",
            description = "Also write a static HTML page.")
    private Path html;

    /** Writes the page (rendered only when asked for) atomically to {@code --output}, if given. */
    void write(Supplier<String> page) throws IOException {
        if (html != null) AtomicFiles.write(html, w -> w.write(page.get()));
    }
}
