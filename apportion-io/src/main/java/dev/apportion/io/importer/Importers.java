package dev.apportion.io.importer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Imports trajectories in the formats people have into apportion's rollout model, with their
 * turn labels when the format has them ({@code apportion import}; docs/importers.md).
 *
 * <pre>{@code
 * Imported im = Importers.read("agentprocessbench", Path.of("hotpotqa.jsonl"), ImportOptions.defaults());
 * RolloutJsonl.write(Path.of("rollouts.jsonl"), im.rollouts());
 * LabelsJsonl.write(Path.of("labels.jsonl"), im.labels());
 * }</pre>
 */
public final class Importers {
    /** The format names, in the order {@code apportion import --help} lists them. */
    public static final List<String> FORMATS =
            List.of("chat", "agentprocessbench", "processbench", "taubench", "verl-dump", "trl");

    private Importers() {}

    /**
     * Reads {@code in} in {@code format}.
     *
     * @throws IllegalArgumentException for an unknown format
     * @throws dev.apportion.io.InputException for a malformed file (file, line, trajectory, field, value)
     */
    public static Imported read(String format, Path in, ImportOptions options) throws IOException {
        switch (format) {
            case "chat":
                return ChatImporter.read(in, options);
            case "agentprocessbench":
                return AgentProcessBenchImporter.read(in, options);
            case "processbench":
                return ProcessBenchImporter.read(in, options);
            case "taubench":
                return TauBenchImporter.read(in, options);
            case "verl-dump":
                return VerlDumpImporter.read(in, options);
            case "trl":
                return TrlImporter.read(in, options);
            default:
                throw new IllegalArgumentException(
                        "unknown import format '" + format + "' (formats: " + String.join(", ", FORMATS) + ")");
        }
    }
}
