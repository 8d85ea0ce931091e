package dev.apportion.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The reporting checklist for credit-assignment papers and benchmark reports, and its validator.
 * An item is covered when the report has the item's id as a key with a non-empty value (not null,
 * not a blank string or a placeholder like {@code unknown}, not an empty array or object) at top level or inside a top-level
 * {@code report} object. Immutable and thread-safe.
 */
public final class Checklist {
    /** Class-path location of the bundled checklist. */
    public static final String RESOURCE = "/dev/apportion/catalog/checklist.json";

    public static final int FORMAT_VERSION = 1;

    private static final CatalogFile.Bundled<Checklist> BUNDLED =
            new CatalogFile.Bundled<>(RESOURCE, "checklist.json", "checklist", Checklist::parse);

    private final String version;
    private final List<ChecklistItem> items;

    private Checklist(String version, List<ChecklistItem> items) {
        this.version = version;
        this.items = List.copyOf(items);
    }

    /** The bundled checklist (parsed once). */
    public static Checklist load() {
        return BUNDLED.get();
    }

    /** Parses and validates a checklist file. */
    public static Checklist parse(InputStream in, String source) throws IOException {
        JsonNode root = CatalogFile.readObject(in, source);
        JsonFields f = new JsonFields(source);
        if (!f.text(root, "format").equals("apportion-checklist"))
            throw f.error("format", "must be 'apportion-checklist'");
        CatalogFile.formatVersion(root, f, source, FORMAT_VERSION);
        List<ChecklistItem> items = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int index = 0;
        for (JsonNode n : f.array(root, "items")) {
            JsonFields g = new JsonFields(source + ": items[" + index++ + "]");
            String id = g.text(n, "id");
            if (!ids.add(id)) throw g.error("id", "'" + id + "' appears twice");
            String level = g.text(n, "level");
            if (!level.equals("required") && !level.equals("recommended")) {
                throw g.error("level", "value '" + level + "' is not one of required, recommended");
            }
            items.add(new ChecklistItem(
                    id,
                    g.text(n, "title"),
                    g.text(n, "description"),
                    level.equals("required"),
                    g.text(n, "applies_when"),
                    g.text(n, "source")));
        }
        return new Checklist(f.text(root, "checklist_version"), items);
    }

    public String version() {
        return version;
    }

    public List<ChecklistItem> items() {
        return items;
    }

    /**
     * Checks a parsed report (JSON or YAML tree).
     *
     * @throws IllegalArgumentException when the report's top level is not an object
     */
    public ChecklistResult check(JsonNode report) {
        if (report == null || !report.isObject()) {
            throw new IllegalArgumentException(
                    "the report's top level must be an object (a mapping of item ids to values), got "
                            + (report == null
                                    ? "nothing"
                                    : report.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        JsonNode nested = report.get("report");
        List<ChecklistItem> covered = new ArrayList<>();
        List<ChecklistItem> missingRequired = new ArrayList<>();
        List<ChecklistItem> missingRecommended = new ArrayList<>();
        for (ChecklistItem item : items) {
            boolean ok = present(report.get(item.id()))
                    || (nested != null && nested.isObject() && present(nested.get(item.id())));
            if (ok) covered.add(item);
            else (item.required() ? missingRequired : missingRecommended).add(item);
        }
        missingRequired.addAll(missingRecommended);
        return new ChecklistResult(covered, missingRequired);
    }

    /** Texts that say an item was not reported; they do not satisfy it. */
    static final java.util.Set<String> PLACEHOLDERS =
            java.util.Set.of("unknown", "unk", "not reported", "tbd", "todo", "?", "unspecified");

    /**
     * Non-empty: not null, not a blank string or a placeholder such as {@code unknown} or
     * {@code tbd}, not an empty array or object. Numbers and booleans count.
     */
    static boolean present(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return false;
        if (v.isTextual())
            return !v.asText().isBlank()
                    && !PLACEHOLDERS.contains(v.asText().trim().toLowerCase(java.util.Locale.ROOT));
        if (v.isContainerNode()) return v.size() > 0;
        return true;
    }
}
