package dev.apportion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.text.Numbers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The modes of {@code apportion perf} that cover many estimators: {@code --all}, {@code --markdown-from}, {@code --floors}. */
final class PerfModes {
    private final EstimatorRegistry registry;
    private final PrintWriter out;
    private final PrintWriter err;
    private final ObjectMapper mapper = new ObjectMapper();

    PerfModes(EstimatorRegistry registry, PrintWriter out, PrintWriter err) {
        this.registry = registry;
        this.out = out;
        this.err = err;
    }

    /** The estimators {@code --all} times, in registry order: every one except the bench references. */
    static List<Estimator> timed(EstimatorRegistry registry, List<String> only) {
        List<Estimator> l = new ArrayList<>();
        if (only != null) {
            for (String id : only) l.add(registry.get(id));
            return l;
        }
        for (Estimator e : registry.all()) {
            if (!PerfSuite.BENCH_REFERENCES.contains(e.descriptor().id())) l.add(e);
        }
        return l;
    }

    int all(
            PerfSuite.Settings settings,
            List<PerfSuite.Shape> shapes,
            long tokens,
            List<Integer> threads,
            List<String> only,
            boolean json,
            boolean markdown,
            String machine)
            throws IOException {
        List<Estimator> ests = timed(registry, only);
        PerfSuite suite = new PerfSuite(settings, err);
        List<PerfSuite.Result> results = new ArrayList<>();
        int k = 0;
        int total = ests.size() * shapes.size();
        for (PerfSuite.Shape shape : shapes) {
            // batches are cached by spec within a shape: estimators needing the same signals share one
            Map<Object, Rollouts> cache = new LinkedHashMap<>();
            for (Estimator e : ests) {
                k++;
                Descriptor d = e.descriptor();
                SyntheticBatch.Spec spec = shape.spec(d, tokens, settings.seed());
                List<PerfSuite.Result> rs;
                try {
                    Object key = List.of(spec, SyntheticBatch.extrasFor(d));
                    Rollouts batch = cache.get(key);
                    if (batch == null) {
                        if (cache.size() >= 3)
                            cache.remove(cache.keySet().iterator().next());
                        batch = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
                        cache.put(key, batch);
                    }
                    Params p = Params.resolve(d, null, Map.of());
                    rs = suite.time(e, p, batch, shape.wire, threads, 0, false);
                } catch (RuntimeException | OutOfMemoryError ex) {
                    String why = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
                    rs = new ArrayList<>();
                    for (int t : threads) {
                        rs.add(PerfSuite.Result.failed(d.id(), shape.wire, spec.tokens(), t, oneLine(why)));
                    }
                }
                for (PerfSuite.Result r : rs) {
                    err.println(String.format(Locale.ROOT, "perf: [%d/%d] %s", k, total, text(r)));
                    err.flush();
                    results.add(r);
                    if (!markdown) {
                        out.println(json ? mapper.writeValueAsString(r.json()) : text(r));
                        out.flush();
                    }
                }
            }
        }
        if (markdown) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (PerfSuite.Result r : results) rows.add(r.json());
            out.print(markdown(rows, machine));
            out.flush();
        }
        return ExitCodes.OK;
    }

    static String text(PerfSuite.Result r) {
        if (r.error() != null)
            return String.format(Locale.ROOT, "%-22s %-10s cannot run: %s", r.estimator(), r.shape(), r.error());
        String s = String.format(
                Locale.ROOT,
                "%-22s %-10s %,d tokens  %d thr  %9.3f ms  %6.3f Gtok/s  copy x%.3f  floor %.3f ms  floor x%.3f  %.1f B/tok",
                r.estimator(),
                r.shape(),
                r.tokens(),
                r.threads(),
                r.medianMs(),
                r.tokensPerSecond() / 1e9,
                r.ratioToCopy(),
                r.floorMs(),
                r.ratioToFloor(),
                r.bytesPerToken());
        if (!Double.isNaN(r.minMs()))
            s += String.format(Locale.ROOT, "  (best: floor x%.3f)", r.floorMinMs() / r.minMs());
        if (!Double.isNaN(r.cpuMs()))
            s += String.format(Locale.ROOT, "  (cpu: floor x%.3f)", r.floorCpuMs() / r.cpuMs());
        if (r.vsOne() != null)
            s += String.format(
                    Locale.ROOT,
                    "  vs 1 thread x%.3f [%.3f, %.3f] %s",
                    r.vsOne().ratio(),
                    r.vsOne().low(),
                    r.vsOne().high(),
                    r.vsOne().verdict());
        return s;
    }

    private static String oneLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    int markdownFrom(Path file, String machine) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(file)) {
            line++;
            if (l.isBlank()) continue;
            try {
                JsonNode j = mapper.readTree(l);
                if (!j.has("estimator") || !j.has("shape")) {
                    err.println("apportion perf: " + file + ":" + line
                            + ": not a 'perf --all --json' line (no estimator/shape)");
                    return ExitCodes.BAD_INPUT;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> m = mapper.convertValue(j, LinkedHashMap.class);
                rows.add(m);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                err.println("apportion perf: " + file + ":" + line + ": not JSON: " + e.getOriginalMessage());
                return ExitCodes.BAD_INPUT;
            }
        }
        out.print(markdown(rows, machine));
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * The README table: one row per estimator (registry order of the input), one column group per
     * shape with the time on one thread, its floor and the ratio; a two-thread column when the input
     * has two-thread lines.
     */
    static String markdown(List<Map<String, Object>> rows, String machine) {
        Map<String, Map<String, Map<String, Object>>> byEst = new LinkedHashMap<>();
        Map<String, Map<String, Map<String, Object>>> two = new LinkedHashMap<>();
        List<String> shapes = new ArrayList<>();
        Map<String, Object> tokensByShape = new TreeMap<>();
        Map<String, Integer> verdicts = new TreeMap<>();
        int forks = 1;
        for (Map<String, Object> r : rows) {
            if (r.get("forks") instanceof Number n) forks = Math.max(forks, n.intValue());
            String est = String.valueOf(r.get("estimator"));
            String shape = String.valueOf(r.get("shape"));
            if (!shapes.contains(shape)) shapes.add(shape);
            tokensByShape.putIfAbsent(shape, r.get("tokens"));
            int threads = r.get("threads") instanceof Number n ? n.intValue() : 1;
            (threads == 1 ? byEst : two)
                    .computeIfAbsent(est, x -> new LinkedHashMap<>())
                    .put(shape, r);
            if (threads != 1) byEst.computeIfAbsent(est, x -> new LinkedHashMap<>());
        }
        StringBuilder b = new StringBuilder();
        b.append("| estimator |");
        for (String s : shapes) b.append(' ').append(s).append(": ms (floor ms, × floor) |");
        if (!two.isEmpty()) b.append(" 2 threads: ms (× floor) |");
        b.append(" bytes/token |\n|---|");
        for (int i = 0; i < shapes.size(); i++) b.append("---|");
        if (!two.isEmpty()) b.append("---|");
        b.append("---|\n");
        for (Map.Entry<String, Map<String, Map<String, Object>>> e : byEst.entrySet()) {
            b.append("| `").append(e.getKey()).append("` |");
            Object bpt = null;
            for (String s : shapes) {
                Map<String, Object> r = e.getValue().get(s);
                b.append(' ').append(cell(r)).append(" |");
                if (bpt == null && r != null && r.get("bytes_per_token") != null) bpt = r.get("bytes_per_token");
            }
            if (!two.isEmpty()) {
                StringBuilder c = new StringBuilder();
                Map<String, Map<String, Object>> t = two.getOrDefault(e.getKey(), Map.of());
                for (String s : shapes) {
                    Map<String, Object> r = t.get(s);
                    if (r == null || r.get("median_ms") == null) continue;
                    if (c.length() > 0) c.append("; ");
                    c.append(String.format(
                            Locale.ROOT, "%s %s (×%.2f)", s, num(r.get("median_ms")), dbl(r.get("ratio_to_floor"))));
                    if (r.get("vs_1_thread") != null) {
                        String v = String.valueOf(r.get("vs_1_thread"));
                        c.append(String.format(
                                Locale.ROOT,
                                " %s/1: %.2f [%.2f, %.2f] %s",
                                r.get("threads"),
                                dbl(r.get("time_ratio_to_1_thread")),
                                dbl(r.get("time_ratio_ci95_low")),
                                dbl(r.get("time_ratio_ci95_high")),
                                v.equals("slower") ? "**slower**" : v));
                        verdicts.merge(v, 1, Integer::sum);
                    }
                }
                b.append(' ').append(c.length() == 0 ? "–" : c).append(" |");
            }
            b.append(' ')
                    .append(bpt == null ? "–" : String.format(Locale.ROOT, "%.1f", dbl(bpt)))
                    .append(" |\n");
        }
        b.append('\n');
        StringBuilder sizes = new StringBuilder();
        tokensByShape.forEach((s, t) -> sizes.append(sizes.length() == 0 ? "" : ", ")
                .append(s)
                .append(' ')
                .append(t));
        // rows on smaller batches (a wide token vector or matrix stream is capped): named per estimator
        Map<String, List<String>> smaller = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            String shape = String.valueOf(r.get("shape"));
            Object t = r.get("tokens");
            if (t != null && !String.valueOf(t).equals(String.valueOf(tokensByShape.get(shape)))) {
                List<String> l = smaller.computeIfAbsent(String.valueOf(r.get("estimator")), x -> new ArrayList<>());
                String cell = shape + " " + t;
                if (!l.contains(cell)) l.add(cell);
            }
        }
        StringBuilder fewer = new StringBuilder();
        smaller.forEach((e, l) -> fewer.append(fewer.length() == 0 ? "" : "; ")
                .append(e)
                .append(": ")
                .append(String.join(", ", l)));
        b.append("Tokens per batch: ")
                .append(sizes)
                .append(fewer.length() == 0 ? "" : " (fewer where a token vector or matrix is read: " + fewer + ")")
                .append(". Times are medians on one thread; floor = the estimator's "
                        + "declared memory traffic with no arithmetic (docs/performance.md), timed in the same run; × floor = floor ms / "
                        + "estimator ms (1 = at the memory limit); cpu × = the same ratio of the medians of thread CPU time (far less disturbed by "
                        + "other processes on a shared machine). ‘cannot run’ cells give the reason.");
        if (forks > 1)
            b.append(" Each number is the median over ")
                    .append(forks)
                    .append(" JVMs run one after another ('perf --all --forks ")
                    .append(forks)
                    .append("'), the cpu × range in parentheses the lowest and highest JVM.");
        if (!verdicts.isEmpty()) {
            b.append(
                    forks > 1
                            ? " 2 threads: the median time and × floor on two threads; n/1 = the n-thread time over the "
                                    + "one-thread time, paired within each JVM, as the geometric mean over the JVMs with its 95 % "
                                    + "Student-t interval across them; slower only when the whole interval lies above 1, faster "
                                    + "when below ("
                            : " 2 threads: the median time and × floor on two threads; n/1 = the n-thread time over the "
                                    + "one-thread time from interleaved, paired repetitions, with its 95 % bootstrap interval; "
                                    + "slower only when the whole interval lies above 1, faster when below (");
            StringBuilder v = new StringBuilder();
            for (String x : List.of("slower", "same", "faster")) {
                if (v.length() > 0) v.append(", ");
                v.append(x).append(' ').append(verdicts.getOrDefault(x, 0));
            }
            b.append(v).append(" rows).");
        }
        if (machine != null) b.append(" Machine: ").append(machine).append('.');
        b.append('\n');
        return b.toString();
    }

    private static String cell(Map<String, Object> r) {
        if (r == null) return "–";
        if (r.get("error") != null)
            return "cannot run: " + String.valueOf(r.get("error")).replace("|", "\\|");
        String c = String.format(
                Locale.ROOT,
                "%s (%s, ×%.2f)",
                num(r.get("median_ms")),
                num(r.get("floor_ms")),
                dbl(r.get("ratio_to_floor")));
        if (r.get("ratio_to_floor_cpu") != null)
            c += String.format(Locale.ROOT, " cpu ×%.2f", dbl(r.get("ratio_to_floor_cpu")));
        // a row combined from forks: the lowest and highest JVM's cpu ratio
        if (r.get("ratio_to_floor_cpu_fork_min") != null)
            c += String.format(
                    Locale.ROOT,
                    " (%.2f–%.2f)",
                    dbl(r.get("ratio_to_floor_cpu_fork_min")),
                    dbl(r.get("ratio_to_floor_cpu_fork_max")));
        return c;
    }

    private static double dbl(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String num(Object o) {
        double v = dbl(o);
        return Numbers.fixed(v, v >= 100 ? 0 : v >= 10 ? 1 : 2);
    }

    /** {@code --floors}: the floor declaration of every timed estimator as a Markdown table. */
    int floors() {
        out.print(floorsMarkdown(registry));
        out.flush();
        return ExitCodes.OK;
    }

    static String floorsMarkdown(EstimatorRegistry registry) {
        StringBuilder b = new StringBuilder();
        b.append(
                "| estimator | granularity | floor: passes (reads → writes) | declared | bytes/token (single, multiturn) |\n");
        b.append("|---|---|---|---|---|\n");
        for (Estimator e : timed(registry, null)) {
            Descriptor d = e.descriptor();
            Floor.Plan p = Floor.plan(d);
            // bytes per token of the two shapes' structure: single (4096 tokens, 1 span), multiturn (1024 tokens, 31
            // spans)
            double single = p.bytesPerToken(4096, 1, 1);
            double multi = p.bytesPerToken(1024, 31, 1);
            b.append("| `")
                    .append(d.id())
                    .append("` | ")
                    .append(d.granularity().name().toLowerCase(Locale.ROOT))
                    .append(" | ")
                    .append(p.describe("<br>"))
                    .append(" | ")
                    .append(p.declared() ? "explicit" : "derived")
                    .append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f, %.1f", single, multi))
                    .append(" |\n");
        }
        return b.toString();
    }
}
