package dev.apportion.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A published claim re-tested by the benchmark, written as configuration: a task (family and
 * knobs, optionally swept over one knob), the estimators it concerns, a metric and the expected
 * direction.
 * <ul>
 *   <li>{@code greater} / {@code less}: the first estimator's metric minus the second's, paired by
 *       seed, is expected above / below 0, on every sweep point.</li>
 *   <li>{@code decreasing} / {@code increasing}: for every listed estimator, the metric at the
 *       first sweep value minus the metric at the last, paired by seed, is expected above / below 0.</li>
 *   <li>{@code did_greater} / {@code did_less}: difference-in-differences — the first
 *       estimator's change from the first to the last sweep value minus the second's,
 *       {@code (a_last − a_first) − (b_last − b_first)}, paired by seed, expected above / below 0
 *       (e.g. what an exploitable bias costs each of two forms).</li>
 * </ul>
 * Verdict per row (Holm-corrected across every row of every claim of the run): {@code holds} when
 * the paired t-test rejects 0 at 5% after correction with the difference on the expected side,
 * {@code contradicted} when it rejects with the difference on the other side, {@code inconclusive}
 * otherwise. A claim holds when all its rows hold, is contradicted when all are contradicted, is
 * {@code mixed} when rows hold and others are contradicted, else inconclusive (symmetric);
 * {@code estimator not available} when an estimator is not registered.
 *
 * @param id claim id
 * @param statement the claim in words
 * @param source where it comes from
 * @param family task family
 * @param knobs fixed knobs
 * @param sweepKnob swept knob or null
 * @param sweepValues swept values
 * @param estimators estimators (order matters for greater/less)
 * @param metric a credit-quality or learning metric name
 * @param expect greater, less, decreasing or increasing
 */
public record Claim(
        String id,
        String statement,
        String source,
        String family,
        Map<String, Object> knobs,
        String sweepKnob,
        List<Object> sweepValues,
        List<EstimatorRef> estimators,
        String metric,
        String expect) {
    public static final List<String> EXPECT =
            List.of("greater", "less", "decreasing", "increasing", "did_greater", "did_less");

    public Claim {
        if (!EXPECT.contains(expect))
            throw new IllegalArgumentException(
                    "claim '" + id + "': expect must be one of " + EXPECT + ", got '" + expect + "'");
        if ((expect.equals("greater") || expect.equals("less")) && estimators.size() != 2) {
            throw new IllegalArgumentException("claim '" + id + "': expect '" + expect
                    + "' compares exactly 2 estimators, got " + estimators.size());
        }
        if (expect.startsWith("did_") && (estimators.size() != 2 || sweepKnob == null || sweepValues.size() < 2)) {
            throw new IllegalArgumentException("claim '" + id + "': expect '" + expect
                    + "' compares 2 estimators over a sweep of at least 2 values");
        }
        if ((expect.equals("decreasing") || expect.equals("increasing"))
                && (sweepKnob == null || sweepValues.size() < 2)) {
            throw new IllegalArgumentException(
                    "claim '" + id + "': expect '" + expect + "' needs a sweep with at least 2 values");
        }
    }

    /** The built-in claims. */
    public static List<Claim> builtIn() {
        String res = "/dev/apportion/bench/claims.json";
        try (InputStream in = Claim.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("missing resource " + res);
            return parse(new ObjectMapper().readTree(in), res);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + res + ": " + e.getMessage(), e);
        }
    }

    /** Claims from a JSON file. */
    public static List<Claim> load(Path file) throws IOException {
        return parse(new ObjectMapper().readTree(Files.readAllBytes(file)), file.toString());
    }

    /** Parses {@code {"claims": [...]}}. */
    public static List<Claim> parse(JsonNode root, String where) {
        List<Claim> out = new ArrayList<>();
        for (JsonNode c : root.path("claims")) {
            Suite.Json j = new Suite.Json(c, where + ": claim " + c.path("id").asText("?"));
            JsonNode task = j.req("task");
            Suite.Json tj =
                    new Suite.Json(task, where + ": claim " + c.path("id").asText("?") + ": task");
            String sk = null;
            List<Object> sv = new ArrayList<>();
            if (task.has("sweep")) {
                Iterator<String> it = task.get("sweep").fieldNames();
                if (it.hasNext()) {
                    sk = it.next();
                    for (JsonNode v : task.get("sweep").get(sk)) sv.add(Suite.Json.value(v));
                }
            }
            List<EstimatorRef> refs = new ArrayList<>();
            for (JsonNode e : j.req("estimators")) {
                if (e.isTextual()) {
                    refs.add(EstimatorRef.parse(e.asText()));
                } else {
                    Suite.Json ej =
                            new Suite.Json(e, where + ": claim " + c.path("id").asText("?") + ": estimator");
                    String id = ej.reqText("id");
                    String preset = e.path("preset").asText(null);
                    String label = e.path("label").asText(preset == null ? id : id + "@" + preset);
                    refs.add(new EstimatorRef(label, id, preset, Suite.Json.map(e.get("params"))));
                }
            }
            out.add(new Claim(
                    j.reqText("id"),
                    j.reqText("statement"),
                    c.path("source").asText(""),
                    tj.reqText("family"),
                    Suite.Json.map(task.get("knobs")),
                    sk,
                    sv,
                    refs,
                    j.reqText("metric"),
                    j.reqText("expect").toLowerCase(Locale.ROOT)));
        }
        return out;
    }
}
