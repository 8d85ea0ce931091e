package dev.apportion.io.importer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    /** Each format's record mapping, in the order {@code apportion import --help} lists the formats. */
    private static final Map<String, ConversationBatch.RecordMapper> MAPPERS = new LinkedHashMap<>();

    static {
        MAPPERS.put("chat", ChatImporter::conversation);
        MAPPERS.put("agentprocessbench", AgentProcessBenchImporter::conversation);
        MAPPERS.put("processbench", ProcessBenchImporter::conversation);
        MAPPERS.put("taubench", TauBenchImporter::conversation);
        MAPPERS.put("verl-dump", VerlDumpImporter::conversation);
        MAPPERS.put("trl", TrlImporter::conversation);
    }

    /** The format names, in the order {@code apportion import --help} lists them. */
    public static final List<String> FORMATS = List.copyOf(MAPPERS.keySet());

    private Importers() {}

    /**
     * Reads {@code in} in {@code format}.
     *
     * @throws IllegalArgumentException for an unknown format
     * @throws dev.apportion.io.InputException for a malformed file (file, line, trajectory, field, value)
     */
    public static Imported read(String format, Path in, ImportOptions options) throws IOException {
        ConversationBatch.RecordMapper mapper = MAPPERS.get(format);
        if (mapper == null)
            throw new IllegalArgumentException(
                    "unknown import format '" + format + "' (formats: " + String.join(", ", FORMATS) + ")");
        return ConversationBatch.read(in, options, mapper);
    }
}
