package dev.apportion.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The method inventory: every paper of apportion's seed list and every entry of the survey's
 * companion catalog, merged by arXiv id, plus the classic estimators apportion implements. Each
 * entry carries its regime, granularity, methodology, baseline families, requirements, evidence
 * level on a documented rubric, code, scope and the apportion estimators implementing it.
 *
 * <p>The bundled file is {@code dev/apportion/catalog/inventory.json} (JSON Schema next to it,
 * field definitions in {@code docs/catalog.md}). Entries derived from the survey catalog keep its
 * MIT notice ({@code LICENSE-survey-catalog.txt}). Instances are immutable and thread-safe.
 */
public final class Inventory {
    /** Class-path location of the bundled inventory. */
    public static final String RESOURCE = "/dev/apportion/catalog/inventory.json";
    /** Class-path location of the inventory's JSON Schema. */
    public static final String SCHEMA_RESOURCE = "/dev/apportion/catalog/inventory.schema.json";
    /** Newest format version this reader understands. */
    public static final int FORMAT_VERSION = 1;

    private static final CatalogFile.Bundled<Inventory> BUNDLED =
            new CatalogFile.Bundled<>(RESOURCE, "inventory.json", "inventory", Inventory::parse);

    private final String source;
    private final String version;
    private final EvidenceRubric rubric;
    private final MergeStats merge;
    private final List<InventoryEntry> entries;
    private final Map<String, InventoryEntry> byId;
    private final Map<String, ObjectNode> raw;

    private Inventory(
            String source,
            String version,
            EvidenceRubric rubric,
            MergeStats merge,
            List<InventoryEntry> entries,
            Map<String, ObjectNode> raw) {
        this.source = source;
        this.version = version;
        this.rubric = rubric;
        this.merge = merge;
        this.entries = List.copyOf(entries);
        Map<String, InventoryEntry> ids = new LinkedHashMap<>();
        for (InventoryEntry e : entries) ids.put(e.id(), e);
        this.byId = Collections.unmodifiableMap(ids);
        this.raw = Collections.unmodifiableMap(raw);
    }

    /** The bundled inventory (parsed once). */
    public static Inventory load() {
        return BUNDLED.get();
    }

    /** Reads an inventory file. */
    public static Inventory read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        }
    }

    /**
     * Parses and validates an inventory.
     *
     * @param source file name used in messages
     * @throws IOException when the stream cannot be read or is not JSON (message with the line)
     * @throws CatalogFormatException when the content breaks the format (message names entry, field, value)
     */
    public static Inventory parse(InputStream in, String source) throws IOException {
        JsonNode root = CatalogFile.readObject(in, source);
        JsonFields top = new JsonFields(source);
        String format = top.text(root, "format");
        if (!format.equals("apportion-inventory")) {
            throw top.error("format", "is '" + format + "', expected 'apportion-inventory'");
        }
        CatalogFile.formatVersion(root, top, source, FORMAT_VERSION);
        String version = top.text(root, "inventory_version");
        EvidenceRubric rubric = parseRubric(new JsonFields(source + ": rubric"), top.object(root, "rubric"));
        MergeStats merge = parseMerge(new JsonFields(source + ": merge"), top.object(root, "merge"));
        List<InventoryEntry> entries = new ArrayList<>();
        Map<String, ObjectNode> raw = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode n : top.array(root, "entries")) {
            if (!n.isObject()) throw new CatalogFormatException(source + ": entries[" + index + "] must be an object");
            InventoryEntry e = parseEntry(source, index, n);
            if (raw.containsKey(e.id()))
                throw new CatalogFormatException(source + ": entry id '" + e.id() + "' appears twice");
            raw.put(e.id(), ((ObjectNode) n).deepCopy());
            entries.add(e);
            index++;
        }
        return new Inventory(source, version, rubric, merge, entries, raw);
    }

    private static EvidenceRubric parseRubric(JsonFields f, JsonNode r) {
        List<RubricLevel> levels = new ArrayList<>();
        for (JsonNode l : f.array(r, "levels")) {
            levels.add(new RubricLevel(
                    f.enumValue(EvidenceLevel.class, l, "level"), f.text(l, "summary"), f.texts(l, "criteria")));
        }
        for (int i = 0; i < EvidenceLevel.values().length; i++) {
            if (levels.size() <= i || levels.get(i).level() != EvidenceLevel.values()[i]) {
                throw f.error("levels", "must list E0 to E4 in order");
            }
        }
        if (levels.size() != EvidenceLevel.values().length) throw f.error("levels", "must list exactly E0 to E4");
        return new EvidenceRubric(levels, f.bool(r, "cumulative"), f.texts(r, "notes"));
    }

    private static MergeStats parseMerge(JsonFields f, JsonNode m) {
        return new MergeStats(
                f.integer(m, "seed_papers"),
                f.integer(m, "catalog_entries"),
                f.integer(m, "coinciding"),
                f.texts(m, "coinciding_by_title"),
                f.integer(m, "added_by_apportion"),
                f.integer(m, "entries"));
    }

    private static InventoryEntry parseEntry(String source, int index, JsonNode n) {
        JsonNode idNode = n.get("id");
        String label =
                idNode != null && idNode.isTextual() ? "entry '" + idNode.asText() + "'" : "entries[" + index + "]";
        JsonFields f = new JsonFields(source + ": " + label);
        String id = f.text(n, "id");
        Scope scope = f.enumValue(Scope.class, n, "scope");

        JsonNode m = f.object(n, "methodology");
        MethodTaxonomy methodology = new MethodTaxonomy(
                f.enums(Methodology.class, m, "axes"),
                f.bool(m, "llm_as_critic"),
                f.text(m, "label"),
                f.nullableText(m, "catalog_label"));

        JsonNode rq = f.nullableObject(n, "requirements");
        Requirements requirements = null;
        if (rq != null) {
            Set<Requirement> needed = EnumSet.noneOf(Requirement.class);
            for (Requirement r : Requirement.values()) {
                if (f.bool(rq, r.wireName())) needed.add(r);
            }
            requirements = new Requirements(needed);
        }
        JsonNode ev = f.nullableObject(n, "evidence");
        Evidence evidence = ev == null
                ? null
                : new Evidence(
                        f.enumValue(EvidenceLevel.class, ev, "level"),
                        f.enumValue(EvidenceBasis.class, ev, "basis"),
                        f.text(ev, "rationale"));
        if (scope == Scope.OUT_OF_SCOPE && (requirements != null || evidence != null)) {
            throw f.error(requirements != null ? "requirements" : "evidence", "must be null for an out-of-scope entry");
        }
        if (scope != Scope.OUT_OF_SCOPE && (requirements == null || evidence == null)) {
            throw f.error(
                    requirements == null ? "requirements" : "evidence",
                    "must be an object for a " + scope.wireName() + " entry");
        }

        List<Implementation> impl = new ArrayList<>();
        Set<String> estimators = new HashSet<>();
        for (JsonNode i : f.array(n, "implemented_by")) {
            String est = f.text(i, "estimator");
            if (!estimators.add(est)) throw f.error("implemented_by", "names estimator '" + est + "' twice");
            impl.add(new Implementation(est, f.enumValue(Fidelity.class, i, "fidelity")));
        }
        if (scope == Scope.OUT_OF_SCOPE && !impl.isEmpty())
            throw f.error("implemented_by", "must be empty for an out-of-scope entry");

        List<String> sources = f.texts(n, "sources");
        for (String s : sources) {
            if (!s.equals("seed") && !s.equals("survey_catalog") && !s.equals("apportion")) {
                throw f.error("sources", "value '" + s + "' is not one of seed, survey_catalog, apportion");
            }
        }
        if (sources.isEmpty()) throw f.error("sources", "must not be empty");
        String notRunnable = null;
        if (n.has("not_runnable_reason")) {
            notRunnable = f.text(n, "not_runnable_reason");
        }

        return new InventoryEntry(
                id,
                f.nullableText(n, "arxiv_id"),
                f.text(n, "short_name"),
                f.text(n, "title"),
                f.integer(n, "year"),
                f.nullableText(n, "url"),
                f.nullableText(n, "venue"),
                f.enumValue(Regime.class, n, "regime"),
                f.enums(Granularity.class, n, "granularity"),
                methodology,
                f.enums(BaselineFamily.class, n, "baseline_family"),
                requirements,
                evidence,
                f.nullableText(n, "code_url"),
                f.enumValue(CodeStatus.class, n, "code_status"),
                scope,
                f.text(n, "scope_reason"),
                f.text(n, "summary"),
                impl,
                sources,
                f.nullableText(n, "notes"),
                notRunnable);
    }

    /** File name or resource the inventory was read from. */
    public String source() {
        return source;
    }

    /** Data version, e.g. {@code 2026.07.1}. */
    public String version() {
        return version;
    }

    public EvidenceRubric rubric() {
        return rubric;
    }

    public MergeStats merge() {
        return merge;
    }

    /** Every entry, in file order (by year, then id). */
    public List<InventoryEntry> entries() {
        return entries;
    }

    public Optional<InventoryEntry> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The entry with this id; IllegalArgumentException naming the id when absent. */
    public InventoryEntry get(String id) {
        InventoryEntry e = byId.get(id);
        if (e == null) throw new IllegalArgumentException("no inventory entry with id '" + id + "'");
        return e;
    }

    /** The entry as stored in the file (a fresh copy, safe to modify). */
    public ObjectNode json(String id) {
        ObjectNode n = raw.get(id);
        if (n == null) throw new IllegalArgumentException("no inventory entry with id '" + id + "'");
        return n.deepCopy();
    }

    /** Estimator id to the entries claiming it, sorted by estimator id. */
    public Map<String, List<InventoryEntry>> claims() {
        Map<String, List<InventoryEntry>> out = new TreeMap<>();
        for (InventoryEntry e : entries) {
            for (Implementation i : e.implementedBy())
                out.computeIfAbsent(i.estimator(), k -> new ArrayList<>()).add(e);
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(out);
    }

    /** The first entry claiming this estimator (its paper), if any. */
    public Optional<InventoryEntry> paperOf(String estimator) {
        for (InventoryEntry e : entries) {
            for (Implementation i : e.implementedBy()) {
                if (i.estimator().equals(estimator)) return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** The fidelity an entry claims for this estimator, if any entry claims it. */
    public Optional<Fidelity> claimedFidelity(String estimator) {
        for (InventoryEntry e : entries) {
            for (Implementation i : e.implementedBy()) {
                if (i.estimator().equals(estimator)) return Optional.of(i.fidelity());
            }
        }
        return Optional.empty();
    }
}
