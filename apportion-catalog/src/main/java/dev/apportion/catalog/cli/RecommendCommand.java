package dev.apportion.catalog.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apportion.catalog.Answers;
import dev.apportion.catalog.BenchResults;
import dev.apportion.catalog.DecisionFamily;
import dev.apportion.catalog.DecisionTree;
import dev.apportion.catalog.Inventory;
import dev.apportion.catalog.InventoryEntry;
import dev.apportion.catalog.PathStep;
import dev.apportion.catalog.RankedEstimator;
import dev.apportion.catalog.Recommendation;
import dev.apportion.catalog.Recommender;
import dev.apportion.catalog.Regime;
import dev.apportion.catalog.Requirement;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code apportion recommend}: walks the method-selection tree (verifier, branching, critic,
 * agents, horizon, optional regime) and prints the path, the recommended family and the apportion
 * estimators implementing it, ranked, each with its paper; with a benchmark results file (given,
 * or found at {@code bench-out/results.json}) estimators with measured credit quality come first.
 * Exit 0, or 2 for bad usage or an unreadable {@code --results} file.
 */
@Command(
        name = "recommend",
        mixinStandardHelpOptions = true,
        header = "Recommend a credit-assignment method for a setting (decision tree).",
        description = {
            "Recommend a credit-assignment method family and the apportion estimators that implement it.",
            "Questions: reliable intermediate verifier? branchable states? critic trainable or callable?",
            "reward shared by several agents? how many turns per episode?"
        })
public final class RecommendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--verifier",
            required = true,
            arity = "1",
            paramLabel = "yes|no",
            converter = YesNo.class,
            description = "a reliable intermediate verifier exists (checks steps, turns or tool calls)")
    boolean verifier;

    @Option(
            names = "--branching",
            required = true,
            arity = "1",
            paramLabel = "yes|no",
            converter = YesNo.class,
            description = "rollouts can branch from intermediate states")
    boolean branching;

    @Option(
            names = "--critic",
            required = true,
            arity = "1",
            paramLabel = "yes|no",
            converter = YesNo.class,
            description = "a critic (value model, PRM, judge) can be trained or called")
    boolean critic;

    @Option(
            names = "--agents",
            required = true,
            paramLabel = "N",
            description = "agents sharing the reward (1 for a single agent)")
    int agents;

    @Option(
            names = "--horizon",
            required = true,
            paramLabel = "N",
            description = "model actions (turns) per episode; 1 for a single generation")
    int horizon;

    @Option(
            names = "--gold-answer",
            arity = "1",
            paramLabel = "yes|no",
            converter = YesNo.class,
            defaultValue = "no",
            description =
                    "privileged information at training time: the gold answer of every prompt or a ground-truth tool trace "
                            + "(default: no; methods that need it are listed only with yes)")
    boolean goldAnswer;

    @Option(
            names = "--regime",
            paramLabel = "REGIME",
            description = "reasoning, agentic, multi_agent or other (default: implied by agents and horizon)")
    String regime;

    @Option(
            names = "--results",
            paramLabel = "FILE",
            description =
                    "benchmark results.json to rank estimators by measured credit quality (default: bench-out/results.json if present)")
    Path results;

    @Option(names = "--json", description = "print the recommendation as JSON")
    boolean json;

    private final Supplier<EstimatorRegistry> registry;
    private final Path defaultResults;

    /** Global registry; results looked up at {@code bench-out/results.json}. */
    public RecommendCommand() {
        this(EstimatorRegistry::global, Path.of("bench-out", "results.json"));
    }

    /** Given registry and default results location (tests, embedding). */
    public RecommendCommand(Supplier<EstimatorRegistry> registry, Path defaultResults) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.defaultResults = defaultResults;
    }

    /** Converts yes/no/true/false/y/n. */
    public static final class YesNo implements ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String value) {
            try {
                return Recommender.yesNo(value, "value");
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not yes or no");
            }
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (agents < 1) throw new ParameterException(spec.commandLine(), "--agents must be at least 1, got " + agents);
        if (horizon < 1)
            throw new ParameterException(spec.commandLine(), "--horizon must be at least 1, got " + horizon);
        Regime reg = null;
        if (regime != null) {
            String key = regime.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            for (Regime r : Regime.values()) if (r.name().equals(key)) reg = r;
            if (reg == null)
                throw new ParameterException(
                        spec.commandLine(),
                        "--regime: '" + regime + "' is not one of reasoning, agentic, multi_agent, other");
        }
        Inventory inv = Inventory.load();
        EstimatorRegistry estimators = registry.get();
        Set<String> known = new LinkedHashSet<>(inv.claims().keySet());
        known.addAll(estimators.ids());

        BenchResults bench = BenchResults.empty();
        if (results != null) {
            try {
                bench = BenchResults.read(results, known);
            } catch (IOException e) {
                err.println("apportion recommend: " + e.getMessage());
                return 2;
            }
        } else if (defaultResults != null && Files.isRegularFile(defaultResults)) {
            try {
                bench = BenchResults.read(defaultResults, known);
            } catch (IOException e) {
                err.println("apportion recommend: warning: ignoring " + e.getMessage());
            }
        }

        Recommendation rec = new Recommender(DecisionTree.load(), inv, estimators, bench)
                .recommend(new Answers(verifier, branching, critic, agents, horizon, reg, goldAnswer));
        if (json) printJson(out, rec, bench);
        else printText(out, rec, bench);
        out.flush();
        return 0;
    }

    private static String needs(InventoryEntry e) {
        if (e == null || e.requirements() == null) return "";
        String s = e.requirements().needed().stream().map(Requirement::wireName).collect(Collectors.joining(", "));
        return s.isEmpty() ? "outcome rewards only" : s;
    }

    private static void printText(PrintWriter out, Recommendation rec, BenchResults bench) {
        out.println("path:");
        int i = 1;
        for (PathStep s : rec.path()) {
            out.println("  " + i++ + ". " + s.text());
            out.println("     " + s.answer() + (s.outcome().isEmpty() ? "" : "  " + s.outcome()));
        }
        out.println("regime: " + rec.regime().wireName()
                + (rec.answers().regime() == null ? " (implied by agents and horizon)" : ""));
        DecisionFamily fam = rec.family();
        out.println("recommended family: " + fam.name() + " (" + rec.leafId() + ")");
        out.println("  when: " + fam.condition() + "; cost/risk: " + fam.costRisk());
        if (rec.estimators().isEmpty()) {
            out.println("apportion estimators: none implemented yet");
        } else {
            out.println("apportion estimators, ranked"
                    + (bench.isEmpty() ? "" : " (measured credit quality from " + bench.source() + " first)") + ":");
            for (RankedEstimator r : rec.estimators()) {
                StringBuilder sb =
                        new StringBuilder("  ").append(r.rank()).append(". ").append(r.id());
                if (!r.registered()) sb.append(" [not in this build]");
                if (r.fidelity() != null)
                    sb.append("  fidelity ").append(r.fidelity().wireName());
                if (r.paper() != null)
                    sb.append("  paper: ")
                            .append(r.paper().citation())
                            .append("  needs: ")
                            .append(needs(r.paper()));
                if (r.measured() != null) {
                    sb.append(String.format(
                            Locale.ROOT,
                            "  measured %s %.3f (n=%d)",
                            r.measured().metric(),
                            r.measured().mean(),
                            r.measured().n()));
                }
                out.println(sb);
            }
            if (!rec.implemented()) out.println("  none of these is implemented in this build yet");
        }
        out.println("  note: " + rec.leaf().note());
        if (rec.interAgent() != null) {
            out.println(
                    "several agents share the reward: add " + rec.interAgent().name());
            out.println("  cost/risk: " + rec.interAgent().costRisk());
            out.println("  " + rec.interAgentLeaf().note());
        }
        if (!rec.representativePapers().isEmpty()) {
            out.println("representative papers of the family (not implemented in apportion):");
            for (InventoryEntry e : rec.representativePapers()) {
                out.println("  - " + e.citation() + ", " + e.regime().wireName() + ", needs: " + needs(e));
            }
        }
        for (String n : rec.notes()) out.println("note: " + n);
    }

    private static void printJson(PrintWriter out, Recommendation rec, BenchResults bench) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        ObjectNode ans = root.putObject("answers");
        ans.put("verifier", rec.answers().verifier());
        ans.put("branching", rec.answers().branching());
        ans.put("critic", rec.answers().critic());
        ans.put("agents", rec.answers().agents());
        ans.put("horizon", rec.answers().horizon());
        ans.put("gold_answer", rec.answers().goldAnswer());
        root.put("regime", rec.regime().wireName());
        root.put("regime_implied", rec.answers().regime() == null);
        ArrayNode path = root.putArray("path");
        for (PathStep s : rec.path()) {
            ObjectNode p = path.addObject();
            p.put("question", s.question());
            p.put("text", s.text());
            p.put("answer", s.answer());
            p.put("outcome", s.outcome());
        }
        root.put("leaf", rec.leafId());
        ObjectNode fam = root.putObject("family");
        fam.put("id", rec.family().id());
        fam.put("name", rec.family().name());
        fam.put("condition", rec.family().condition());
        fam.put("cost_risk", rec.family().costRisk());
        root.put("implemented", rec.implemented());
        ArrayNode ests = root.putArray("estimators");
        for (RankedEstimator r : rec.estimators()) {
            ObjectNode e = ests.addObject();
            e.put("id", r.id());
            e.put("rank", r.rank());
            e.put("registered", r.registered());
            e.put(
                    "role",
                    rec.interAgentLeaf() != null
                                    && !rec.leaf().estimators().contains(r.id())
                                    && rec.interAgentLeaf().estimators().contains(r.id())
                            ? "inter_agent"
                            : "temporal");
            if (r.fidelity() != null) e.put("fidelity", r.fidelity().wireName());
            else e.putNull("fidelity");
            if (r.paper() != null) {
                ObjectNode p = e.putObject("paper");
                p.put("id", r.paper().id());
                p.put("short_name", r.paper().shortName());
                p.put("title", r.paper().title());
                if (r.paper().url() != null) p.put("url", r.paper().url());
                ArrayNode needs = p.putArray("requirements");
                if (r.paper().requirements() != null)
                    r.paper().requirements().needed().forEach(q -> needs.add(q.wireName()));
            } else {
                e.putNull("paper");
            }
            if (r.measured() != null) {
                ObjectNode m = e.putObject("measured");
                m.put("metric", r.measured().metric());
                m.put("mean", r.measured().mean());
                m.put("n", r.measured().n());
                m.put("source", bench.source());
            } else {
                e.putNull("measured");
            }
        }
        root.put("note", rec.leaf().note());
        if (rec.interAgent() != null) {
            ObjectNode ia = root.putObject("inter_agent");
            ia.put("name", rec.interAgent().name());
            ia.put("cost_risk", rec.interAgent().costRisk());
            ia.put(
                    "implemented",
                    rec.estimators().stream()
                            .anyMatch(x -> x.registered()
                                    && rec.interAgentLeaf().estimators().contains(x.id())));
            ia.put("note", rec.interAgentLeaf().note());
        } else {
            root.putNull("inter_agent");
        }
        ArrayNode papers = root.putArray("representative_papers");
        for (InventoryEntry e : rec.representativePapers()) {
            ObjectNode p = papers.addObject();
            p.put("id", e.id());
            p.put("short_name", e.shortName());
            p.put("regime", e.regime().wireName());
        }
        ArrayNode notes = root.putArray("notes");
        rec.notes().forEach(notes::add);
        try {
            out.println(mapper.writeValueAsString(root));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize the recommendation", e);
        }
    }
}
