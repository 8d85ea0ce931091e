package dev.apportion.catalog.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.catalog.EvidenceLevel;
import dev.apportion.catalog.Implementation;
import dev.apportion.catalog.Inventory;
import dev.apportion.catalog.InventoryEntry;
import dev.apportion.catalog.Regime;
import dev.apportion.catalog.Requirement;
import dev.apportion.catalog.Scope;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code apportion inventory}: lists the method inventory, filtered, as a table, JSON or CSV.
 * Exit 0 on success (also when no entry matches), 2 for a bad filter value or an unreadable file.
 */
@Command(
        name = "inventory",
        mixinStandardHelpOptions = true,
        header = "List the method inventory with taxonomy, evidence and implementations.",
        description = {
            "List the credit-assignment method inventory (seed papers, survey catalog, classic estimators).",
            "Filters take comma-separated values; an entry matches a filter when it has any of the values."
        })
public final class InventoryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--granularity",
            split = ",",
            paramLabel = "UNIT",
            description = "token, segment, step, turn, trajectory, multi_agent (any of the entry's units)")
    List<String> granularity = List.of();

    @Option(
            names = "--methodology",
            split = ",",
            paramLabel = "AXIS",
            description =
                    "monte_carlo, temporal_difference, model_based, game_theoretic, information_theoretic, llm_as_critic")
    List<String> methodology = List.of();

    @Option(
            names = "--regime",
            split = ",",
            paramLabel = "REGIME",
            description = "reasoning, agentic, multi_agent, other")
    List<String> regime = List.of();

    @Option(names = "--scope", split = ",", paramLabel = "SCOPE", description = "core, adjacent, out_of_scope")
    List<String> scope = List.of();

    @Option(
            names = "--min-evidence",
            paramLabel = "LEVEL",
            description = "only entries with at least this evidence level (E0..E4)")
    String minEvidence;

    @Option(names = "--implemented", description = "only methods implemented by an estimator registered in this build")
    boolean implemented;

    @Option(names = "--file", paramLabel = "FILE", description = "read this inventory file instead of the bundled one")
    Path file;

    @ArgGroup(exclusive = true)
    Format format;

    static final class Format {
        @Option(names = "--json", description = "entries as stored, in a JSON object")
        boolean json;

        @Option(names = "--csv", description = "one CSV row per entry")
        boolean csv;
    }

    private final Supplier<EstimatorRegistry> registry;

    /** Uses the global estimator registry. */
    public InventoryCommand() {
        this(EstimatorRegistry::global);
    }

    /** Uses the given registry (tests, embedding). */
    public InventoryCommand(Supplier<EstimatorRegistry> registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Set<Granularity> gran = parseAll(Granularity.class, granularity, "--granularity");
        boolean wantLlmCritic = false;
        List<String> axes = new ArrayList<>();
        for (String m : methodology) {
            if (m.trim().replace('-', '_').equalsIgnoreCase("llm_as_critic")) wantLlmCritic = true;
            else axes.add(m);
        }
        Set<Methodology> meth = parseAll(Methodology.class, axes, "--methodology");
        Set<Regime> reg = parseAll(Regime.class, regime, "--regime");
        Set<Scope> sc = parseAll(Scope.class, scope, "--scope");
        EvidenceLevel min = null;
        if (minEvidence != null) min = parse(EvidenceLevel.class, minEvidence, "--min-evidence");

        Inventory inv;
        try {
            inv = file == null ? Inventory.load() : Inventory.read(file);
        } catch (IOException | IllegalArgumentException e) {
            err.println("apportion inventory: " + e.getMessage());
            return 2;
        }
        EstimatorRegistry reg0 = registry.get();
        List<String> registered = reg0.ids();

        List<InventoryEntry> hits = new ArrayList<>();
        for (InventoryEntry e : inv.entries()) {
            if (!gran.isEmpty() && e.granularity().stream().noneMatch(gran::contains)) continue;
            if ((!meth.isEmpty() || wantLlmCritic)
                    && e.methodology().axes().stream().noneMatch(meth::contains)
                    && !(wantLlmCritic && e.methodology().llmAsCritic())) continue;
            if (!reg.isEmpty() && !reg.contains(e.regime())) continue;
            if (!sc.isEmpty() && !sc.contains(e.scope())) continue;
            if (min != null && (e.evidence() == null || e.evidence().level().compareTo(min) < 0)) continue;
            if (implemented && e.implementedBy().stream().noneMatch(i -> registered.contains(i.estimator()))) continue;
            hits.add(e);
        }

        if (format != null && format.json) {
            printJson(out, inv, hits);
        } else if (format != null && format.csv) {
            printCsv(out, hits, registered);
        } else {
            printTable(out, inv, hits, registered);
        }
        out.flush();
        return 0;
    }

    private <E extends Enum<E>> Set<E> parseAll(Class<E> type, List<String> values, String option) {
        Set<E> out = EnumSet.noneOf(type);
        for (String v : values) out.add(parse(type, v, option));
        return out;
    }

    private <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        String key = value.trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(key)) return e;
        }
        String valid = java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        if (option.equals("--methodology")) valid += ", llm_as_critic";
        if (option.equals("--min-evidence")) valid = valid.toUpperCase(Locale.ROOT);
        throw new ParameterException(spec.commandLine(), option + ": '" + value + "' is not one of " + valid);
    }

    private static String estimators(InventoryEntry e, List<String> registered) {
        if (e.implementedBy().isEmpty()) {
            if (e.notRunnableReason() != null) {
                String r = e.notRunnableReason();
                return "not runnable: " + (r.length() > 60 ? r.substring(0, 59) + "…" : r);
            }
            return e.scope() == Scope.CORE ? "UNEXPLAINED (no estimator, no not_runnable_reason)" : "";
        }
        return e.implementedBy().stream()
                .map(i -> registered.contains(i.estimator()) ? i.estimator() : "(" + i.estimator() + ")")
                .collect(Collectors.joining(","));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private void printTable(PrintWriter out, Inventory inv, List<InventoryEntry> hits, List<String> registered) {
        Table t = new Table(
                "ID", "NAME", "YEAR", "REGIME", "GRANULARITY", "METHODOLOGY", "EVIDENCE", "SCOPE", "APPORTION");
        for (InventoryEntry e : hits) {
            String meth =
                    e.methodology().axes().stream().map(InventoryCommand::lower).collect(Collectors.joining(","));
            if (e.methodology().llmAsCritic()) meth += (meth.isEmpty() ? "" : ",") + "llm_as_critic";
            t.row(
                    e.id(),
                    e.shortName(),
                    Integer.toString(e.year()),
                    lower(e.regime()),
                    e.granularity().stream().map(InventoryCommand::lower).collect(Collectors.joining(",")),
                    meth.isEmpty() ? "-" : meth,
                    e.evidence() == null ? "-" : e.evidence().level().name(),
                    lower(e.scope()),
                    estimators(e, registered));
        }
        t.print(out);
        long core = hits.stream().filter(e -> e.scope() == Scope.CORE).count();
        if (core > 0) {
            long impl = hits.stream()
                    .filter(e -> e.scope() == Scope.CORE && !e.implementedBy().isEmpty())
                    .count();
            long explained = hits.stream()
                    .filter(e -> e.scope() == Scope.CORE && e.implementedBy().isEmpty() && !e.unexplained())
                    .count();
            out.println("core: " + impl + " implemented, " + explained + " not runnable (reason given), "
                    + (core - impl - explained) + " unexplained");
        }
        out.println(
                hits.size() + " of " + inv.entries().size() + " entries (inventory " + inv.version()
                        + "); APPORTION: estimator ids, in parentheses when not registered in this build, or why the method is not runnable");
    }

    private static void printJson(PrintWriter out, Inventory inv, List<InventoryEntry> hits) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("inventory_version", inv.version());
        root.put("count", hits.size());
        ArrayNode arr = root.putArray("entries");
        for (InventoryEntry e : hits) arr.add(inv.json(e.id()));
        try {
            out.println(mapper.writeValueAsString(root));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize inventory entries", e);
        }
    }

    static final String[] CSV_HEADER = {
        "id",
        "arxiv_id",
        "short_name",
        "title",
        "year",
        "url",
        "regime",
        "granularity",
        "methodology_axes",
        "llm_as_critic",
        "methodology_label",
        "baseline_family",
        "verifier",
        "branchable_states",
        "critic",
        "reference_model",
        "privileged_information",
        "extra_rollouts",
        "evidence_level",
        "evidence_basis",
        "code_url",
        "code_status",
        "scope",
        "scope_reason",
        "implemented_by",
        "sources",
        "not_runnable_reason"
    };

    private static void printCsv(PrintWriter out, List<InventoryEntry> hits, List<String> registered) {
        out.println(String.join(",", CSV_HEADER));
        for (InventoryEntry e : hits) {
            List<String> c = new ArrayList<>();
            c.add(e.id());
            c.add(nz(e.arxivId()));
            c.add(e.shortName());
            c.add(e.title());
            c.add(Integer.toString(e.year()));
            c.add(nz(e.url()));
            c.add(lower(e.regime()));
            c.add(e.granularity().stream().map(InventoryCommand::lower).collect(Collectors.joining(";")));
            c.add(e.methodology().axes().stream().map(InventoryCommand::lower).collect(Collectors.joining(";")));
            c.add(Boolean.toString(e.methodology().llmAsCritic()));
            c.add(e.methodology().label());
            c.add(e.baselineFamilies().stream().map(InventoryCommand::lower).collect(Collectors.joining(";")));
            for (Requirement r : Requirement.values())
                c.add(
                        e.requirements() == null
                                ? ""
                                : Boolean.toString(e.requirements().has(r)));
            c.add(e.evidence() == null ? "" : e.evidence().level().name());
            c.add(e.evidence() == null ? "" : lower(e.evidence().basis()));
            c.add(nz(e.codeUrl()));
            c.add(lower(e.codeStatus()));
            c.add(lower(e.scope()));
            c.add(e.scopeReason());
            c.add(e.implementedBy().stream().map(InventoryCommand::describe).collect(Collectors.joining(";")));
            c.add(String.join(";", e.sources()));
            c.add(nz(e.notRunnableReason()));
            out.println(c.stream().map(InventoryCommand::csv).collect(Collectors.joining(",")));
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** RFC 4180 quoting. */
    static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** "gigpo:reference" */
    static String describe(Implementation i) {
        return i.estimator() + ":" + i.fidelity().wireName();
    }
}
