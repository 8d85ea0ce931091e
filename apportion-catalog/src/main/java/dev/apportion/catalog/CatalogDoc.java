package dev.apportion.catalog;

import dev.apportion.core.credit.Granularity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Generates the data-derived sections of {@code docs/catalog.md} (counts, rubric, checklist,
 * decision tree) so the document cannot drift from the data: a test compares each generated block
 * with the file. A block sits between {@code <!-- generated:NAME -->} and
 * {@code <!-- /generated:NAME -->}. Regenerate with {@code main(path/to/docs/catalog.md)}.
 */
public final class CatalogDoc {
    /** Names of the generated blocks. */
    public static final List<String> BLOCKS = List.of("counts", "rubric", "checklist", "tree");

    private CatalogDoc() {}

    /** Rewrites the generated blocks of the given markdown file in place. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: CatalogDoc path/to/docs/catalog.md");
        Path p = Path.of(args[0]);
        String doc = Files.readString(p, StandardCharsets.UTF_8);
        Files.writeString(p, render(doc), StandardCharsets.UTF_8);
    }

    /** The document with every generated block replaced by the current data. */
    public static String render(String doc) {
        String out = doc;
        for (String name : BLOCKS) out = replace(out, name, block(name));
        return out;
    }

    /** The current content of a generated block. */
    public static String block(String name) {
        return switch (name) {
            case "counts" -> counts(Inventory.load());
            case "rubric" -> rubric(Inventory.load());
            case "checklist" -> checklist(Checklist.load());
            case "tree" -> tree(DecisionTree.load(), Inventory.load());
            default -> throw new IllegalArgumentException("no generated block '" + name + "'; known: " + BLOCKS);
        };
    }

    /** The text between a block's markers in {@code doc}, or null when the markers are absent. */
    public static String extract(String doc, String name) {
        String begin = "<!-- generated:" + name + " -->\n";
        String end = "<!-- /generated:" + name + " -->";
        int b = doc.indexOf(begin);
        int e = doc.indexOf(end);
        if (b < 0 || e < b) return null;
        return doc.substring(b + begin.length(), e);
    }

    private static String replace(String doc, String name, String content) {
        String begin = "<!-- generated:" + name + " -->\n";
        String end = "<!-- /generated:" + name + " -->";
        int b = doc.indexOf(begin);
        int e = doc.indexOf(end);
        if (b < 0 || e < b)
            throw new IllegalArgumentException("the document lacks the markers of block '" + name + "'");
        return doc.substring(0, b + begin.length()) + content + doc.substring(e);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <K> String countTable(
            String title,
            List<InventoryEntry> all,
            Function<InventoryEntry, K> key,
            List<K> order,
            Function<K, String> label) {
        Map<K, int[]> counts = new LinkedHashMap<>();
        for (K k : order) counts.put(k, new int[3]);
        for (InventoryEntry e : all) {
            int[] c = counts.computeIfAbsent(key.apply(e), k -> new int[3]);
            c[0]++;
            if (e.scope() == Scope.CORE) c[1]++;
            if (e.scope() == Scope.ADJACENT) c[2]++;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(title).append(" | entries | core | adjacent |\n|---|---:|---:|---:|\n");
        counts.forEach((k, c) -> sb.append("| ")
                .append(label.apply(k))
                .append(" | ")
                .append(c[0])
                .append(" | ")
                .append(c[1])
                .append(" | ")
                .append(c[2])
                .append(" |\n"));
        return sb.toString();
    }

    static String counts(Inventory inv) {
        List<InventoryEntry> all = inv.entries();
        MergeStats m = inv.merge();
        StringBuilder sb = new StringBuilder();
        sb.append("Inventory ")
                .append(inv.version())
                .append(": **")
                .append(all.size())
                .append(" entries** = ")
                .append(m.seedPapers())
                .append(" seed papers + ")
                .append(m.catalogEntries())
                .append(" survey-catalog entries − ")
                .append(m.coinciding())
                .append(" in both (merged; ")
                .append(m.coincidingByTitle().size())
                .append(" of them by title because the catalog's arXiv id is wrong: ")
                .append(String.join(", ", m.coincidingByTitle()))
                .append(") + ")
                .append(m.addedByApportion())
                .append(" classic estimators added by apportion.\n\n");
        sb.append(countTable("scope", all, InventoryEntry::scope, List.of(Scope.values()), CatalogDoc::lower))
                .append('\n');
        sb.append(countTable("regime", all, InventoryEntry::regime, List.of(Regime.values()), CatalogDoc::lower))
                .append('\n');
        List<String> granOrder = new ArrayList<>();
        for (Granularity g : Granularity.values()) granOrder.add(lower(g));
        granOrder.add("not applicable");
        sb.append(countTable(
                        "primary granularity",
                        all,
                        e -> e.primaryGranularity() == null ? "not applicable" : lower(e.primaryGranularity()),
                        granOrder,
                        s -> s))
                .append('\n');
        List<String> evOrder = new ArrayList<>();
        for (EvidenceLevel l : EvidenceLevel.values()) evOrder.add(l.name());
        evOrder.add("none (out of scope)");
        sb.append(countTable(
                "evidence level",
                all,
                e -> e.evidence() == null
                        ? "none (out of scope)"
                        : e.evidence().level().name(),
                evOrder,
                s -> s));
        long implemented =
                all.stream().filter(e -> !e.implementedBy().isEmpty()).count();
        sb.append('\n')
                .append(implemented)
                .append(" entries are implemented by ")
                .append(inv.claims().size())
                .append(" apportion estimators.\n");
        long core = all.stream().filter(e -> e.scope() == Scope.CORE).count();
        long coreImpl = all.stream()
                .filter(e -> e.scope() == Scope.CORE && !e.implementedBy().isEmpty())
                .count();
        long unexplained = all.stream().filter(InventoryEntry::unexplained).count();
        sb.append("Of the ")
                .append(core)
                .append(" core entries, ")
                .append(coreImpl)
                .append(" are implemented and ")
                .append(core - coreImpl - unexplained)
                .append(" say in `not_runnable_reason` what is missing")
                .append(unexplained == 0 ? "" : "; " + unexplained + " say neither")
                .append(".\n");
        return sb.toString();
    }

    static String rubric(Inventory inv) {
        EvidenceRubric r = inv.rubric();
        StringBuilder sb =
                new StringBuilder("| level | summary | criteria (in addition to all lower levels) |\n|---|---|---|\n");
        for (RubricLevel l : r.levels()) {
            sb.append("| ")
                    .append(l.level().name())
                    .append(" | ")
                    .append(l.summary())
                    .append(" | ")
                    .append(String.join("; ", l.criteria()))
                    .append(" |\n");
        }
        sb.append('\n');
        for (String n : r.notes()) sb.append("- ").append(n).append('\n');
        return sb.toString();
    }

    static String checklist(Checklist c) {
        StringBuilder sb = new StringBuilder("Checklist ")
                .append(c.version())
                .append(".\n\n")
                .append("| id | level | applies | what the report must state |\n|---|---|---|---|\n");
        for (ChecklistItem i : c.items()) {
            sb.append("| `")
                    .append(i.id())
                    .append("` | ")
                    .append(i.level())
                    .append(" | ")
                    .append(i.appliesWhen())
                    .append(" | ")
                    .append(i.description())
                    .append(" |\n");
        }
        return sb.toString();
    }

    static String tree(DecisionTree t, Inventory inv) {
        StringBuilder sb =
                new StringBuilder("Decision tree ").append(t.version()).append(".\n\n```\n");
        String[] q = {"verifier", "branching", "critic"};
        for (int i = 0; i < q.length; i++) {
            String indent = "  ".repeat(i);
            sb.append(indent)
                    .append(i + 1)
                    .append(". ")
                    .append(t.question(q[i]).text())
                    .append('\n');
            DecisionFamily yes = t.family(DecisionTree.TEMPORAL_FAMILIES.get(i));
            sb.append(indent).append("   yes -> ").append(yes.name()).append('\n');
            if (i == q.length - 1) {
                sb.append(indent)
                        .append("   no  -> ")
                        .append(t.family(DecisionTree.TEMPORAL_FAMILIES.get(3)).name())
                        .append('\n');
            } else {
                sb.append(indent).append("   no  -> question ").append(i + 2).append('\n');
            }
        }
        sb.append("4. ")
                .append(t.question("agents").text())
                .append('\n')
                .append("   yes -> add ")
                .append(t.family(DecisionTree.INTER_AGENT).name())
                .append('\n')
                .append("5. ")
                .append(t.question("horizon").text())
                .append('\n')
                .append("   1 turn -> single-turn leaf; 2 or more -> multi-turn leaf; ")
                .append(t.longHorizonTurns())
                .append(" or more -> long-horizon note\n```\n\n");
        sb.append("| family | horizon | apportion estimators (ranked) | representative papers |\n|---|---|---|---|\n");
        for (DecisionLeaf l : t.leaves()) {
            DecisionFamily f = t.family(l.family());
            String papers = f.representativePapers().stream()
                    .map(id -> inv.find(id).map(InventoryEntry::shortName).orElse(id))
                    .collect(Collectors.joining(", "));
            sb.append("| ")
                    .append(f.name())
                    .append(" | ")
                    .append(l.horizon().replace('_', '-'))
                    .append(" | ")
                    .append(
                            l.estimators().isEmpty()
                                    ? "none implemented yet"
                                    : l.estimators().stream()
                                            .map(e -> "`" + e + "`")
                                            .collect(Collectors.joining(", ")))
                    .append(" | ")
                    .append(papers)
                    .append(" |\n");
        }
        return sb.toString();
    }
}
