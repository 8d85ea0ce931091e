package dev.apportion.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.bench.run.BenchResult;
import dev.apportion.bench.run.Claim;
import dev.apportion.bench.run.Progress;
import dev.apportion.bench.run.Runner;
import dev.apportion.bench.run.Suite;
import dev.apportion.core.credit.EstimatorRegistry;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The structure of report.html on a tiny suite: offline, one section per task, claims, leaderboard marks, escaping. */
class HtmlReportTest {
    private static Results results;
    /** The results as plain maps and lists (their JSON), for the tests to read and edit. */
    private static Map<String, Object> tree;

    private static String html;

    @BeforeAll
    static void run() throws Exception {
        ObjectMapper om = new ObjectMapper();
        Suite suite;
        List<Claim> claims;
        try (InputStream in = HtmlReportTest.class.getResourceAsStream("/dev/apportion/bench/tiny-suite.json")) {
            suite = Suite.parse(om.readTree(in), "tiny-suite.json");
        }
        try (InputStream in = HtmlReportTest.class.getResourceAsStream("/dev/apportion/bench/tiny-claims.json")) {
            claims = Claim.parse(om.readTree(in), "tiny-claims.json");
        }
        BenchResult r = Runner.run(
                new Runner.Options(suite, null, null, claims, 7, 2, Progress.NONE, EstimatorRegistry.global()));
        results = ResultsJson.of(r, Map.of("suite", "tiny"), Path.of(""));
        tree = plain(ResultsJson.write(results));
        html = HtmlReport.render(results);
        // kept as a test artifact (for a look in a browser)
        java.nio.file.Files.createDirectories(Path.of("target"));
        java.nio.file.Files.writeString(Path.of("target", "report-sample.html"), html);
    }

    /** The page of an edited results tree, read back through the typed results. */
    private static String render(Map<String, Object> t) throws Exception {
        return HtmlReport.render(ResultsJson.parse(new ObjectMapper().writeValueAsBytes(t), "edited results"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> plain(String json) throws Exception {
        return new ObjectMapper().readValue(json, LinkedHashMap.class);
    }

    /** A deep copy as plain maps and lists, so tests can edit it. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> plain(Map<String, Object> t) throws Exception {
        ObjectMapper om = new ObjectMapper();
        return om.readValue(om.writeValueAsString(t), LinkedHashMap.class);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) n++;
        return n;
    }

    /** The page without the inlined Chart.js bundle and the JSON island (the parts written by HtmlReport itself). */
    private static String markup(String page) {
        String s = page.replaceAll("(?s)<script>/\\* Chart\\.js.*?</script>", "");
        return s.replaceAll("(?s)<script type=\"application/json\" id=\"bench-data\">.*?</script>", "");
    }

    @Test
    void loadsNothingFromTheNetwork() {
        assertTrue(html.contains("Chart.js 4."), "Chart.js is inlined");
        assertFalse(html.contains("sourceMappingURL"), "no source map for dev tools to fetch");
        assertFalse(html.contains("<script src"), "no external scripts");
        assertFalse(html.contains("<link"), "no stylesheets or preloads");
        assertFalse(html.contains("@import"), "no CSS imports");
        assertFalse(
                Pattern.compile("url\\(\\s*['\"]?(https?:)?//").matcher(html).find(), "no CSS url() to the network");
        Matcher m = Pattern.compile("\\s(?:src|href|action|poster|srcset|data)\\s*=\\s*\"([^\"]*)\"")
                .matcher(markup(html));
        int links = 0;
        while (m.find()) {
            links++;
            assertTrue(m.group(1).startsWith("#"), "only in-page links: " + m.group(1));
        }
        assertTrue(links > 10, "the navigation and task links are there");
        String script = markup(html);
        for (String call :
                List.of("fetch(", "XMLHttpRequest", "import(", "WebSocket", "EventSource", "sendBeacon", "new Image")) {
            assertFalse(script.contains(call), "the page's own script does not load anything: " + call);
        }
    }

    @Test
    void everyInPageLinkHasItsTarget() {
        String page = markup(html);
        Set<String> ids = new HashSet<>();
        Matcher m = Pattern.compile("\\sid=\"([^\"]+)\"").matcher(page);
        while (m.find()) assertTrue(ids.add(m.group(1)), "duplicate id " + m.group(1));
        m = Pattern.compile("href=\"#([^\"]+)\"").matcher(page);
        while (m.find()) assertTrue(ids.contains(m.group(1)), "link to a missing anchor #" + m.group(1));
        for (String s : HtmlReport.SECTIONS.keySet()) assertTrue(ids.contains(s), "section " + s);
    }

    @Test
    void oneSectionPerTaskWithItsChartsAndTables() {
        List<Map<String, Object>> tasks = list(tree.get("tasks"));
        assertTrue(tasks.size() >= 3, "the tiny suite and its claims make several task configurations");
        assertEquals(tasks.size(), count(html, "<section class=\"task\""));
        for (int i = 0; i < tasks.size(); i++) {
            String id = String.valueOf(tasks.get(i).get("id"));
            Matcher m = Pattern.compile("<section class=\"task\" id=\"([^\"]+)\" data-task=\"" + i + "\"><h3>([^<]*)")
                    .matcher(html);
            assertTrue(m.find(), "section of task " + id);
            assertEquals(HtmlReport.esc(id) + " ", m.group(2));
            assertTrue(
                    html.contains("class=\"credit-chart js-only\" data-task=\"" + i + "\""), "credit chart of " + id);
            if (tasks.get(i).get("learning") != null) {
                assertTrue(
                        html.contains("class=\"learn-chart js-only\" data-task=\"" + i + "\""),
                        "learning chart of " + id);
            }
        }
        long withExamples = tasks.stream()
                .filter(t -> t.get("examples") != null)
                .mapToLong(t -> list(t.get("examples")).size())
                .sum();
        assertTrue(withExamples > 0);
        assertEquals(
                withExamples,
                count(html, "<tr class=\"truth\"><th class=\"rowlabel\">truth (oracle)</th>"),
                "one truth row per example");
        assertTrue(
                html.indexOf("id=\"claim-tasks\"") > html.indexOf("data-task=\"0\""),
                "claim-only configurations come after the suite's tasks");
    }

    @Test
    void claimsTableHasEveryClaimWithItsStatusAndIntervals() {
        List<Map<String, Object>> claims = list(tree.get("claims"));
        int start = html.indexOf("<table class=\"claims num\" id=\"claims-table\">");
        assertTrue(start > 0, "the claims table");
        String table = html.substring(start, html.indexOf("</table>", start));
        int rows = 0;
        for (Map<String, Object> c : claims) {
            String status = String.valueOf(c.get("status"));
            assertTrue(
                    table.contains("<code>" + HtmlReport.esc(String.valueOf(c.get("id"))) + "</code>"),
                    "claim " + c.get("id"));
            assertTrue(
                    table.contains("<span class=\"status " + status.replace(' ', '-') + "\">" + status + "</span>"),
                    "status of " + c.get("id"));
            List<Map<String, Object>> rs = list(c.get("rows"));
            rows += rs.size();
            if (rs.isEmpty())
                assertTrue(table.contains(HtmlReport.esc(String.valueOf(c.get("reason")))), "reason of " + c.get("id"));
        }
        assertTrue(rows > 0);
        assertEquals(
                rows,
                count(table, "data-ap-interval="),
                "one interval plot (drawn by the bundled Chart.js) per comparison");
        assertEquals(0, count(table, "<svg "), "no hand-drawn chart");
        assertTrue(table.contains("class=\"status holds\""), "oracle beats random holds");
        assertTrue(table.contains("class=\"status estimator-not-available\""));
    }

    @Test
    void leaderboardMarksReferencesAndEstimatorsOnFewTasks() throws Exception {
        String lb = section(html, "leaderboard");
        assertTrue(lb.contains("<tr class=\"ref oracle\" data-full=\"1\">"), "oracle is a reference");
        assertTrue(lb.contains("<tr class=\"ref random\" data-full=\"1\">"), "random is a reference");
        int total = (int) list(tree.get("tasks")).stream()
                .filter(x -> Boolean.TRUE.equals(x.get("leaderboard")))
                .count();
        assertTrue(total > 1);
        int partial = 0;
        for (Map<String, Object> row : list(tree.get("leaderboard"))) {
            String est = String.valueOf(row.get("estimator"));
            int k = ((Number) row.get("tasks")).intValue();
            Matcher m = Pattern.compile(
                            "<tr(?: class=\"([^\"]*)\")? data-full=\"([01])\">(?:(?!</tr>).)*?<td class=\"est\" data-v=\""
                                    + Pattern.quote(est) + "\">((?:(?!</td>).)*)</td>",
                            Pattern.DOTALL)
                    .matcher(lb);
            if (k == 0) {
                assertFalse(m.find(), "no row for " + est + ", which ran on no leaderboard task");
                continue;
            }
            assertTrue(m.find(), "row of " + est);
            assertEquals(k < total ? "0" : "1", m.group(2), est);
            assertEquals(k < total, m.group(1) != null && m.group(1).contains("few"), est);
            assertEquals(
                    k < total, m.group(3).contains(">" + k + "/" + total + " tasks</span>"), est + ": " + m.group(3));
            if (k < total) partial++;
        }
        // an estimator that ran nowhere is named below the table
        Map<String, Object> t = plain(tree);
        List<Map<String, Object>> rows = list(t.get("leaderboard"));
        Map<String, Object> none = new LinkedHashMap<>(rows.get(0));
        none.put("estimator", "never_ran");
        none.put("tasks", 0);
        rows.add(none);
        if (partial == 0) rows.get(rows.size() - 2).put("tasks", 1);
        String lb2 = section(render(t), "leaderboard");
        assertTrue(lb2.contains("data-full=\"0\""), "a partial row can be filtered out");
        assertFalse(lb2.contains("data-v=\"never_ran\""), "no row for an estimator that ran nowhere");
        assertTrue(
                lb2.contains("Not run on any leaderboard task") && lb2.contains("never_ran"),
                "it is listed below the table");
    }

    @Test
    void withoutLeaderboardTasksTheLeaderboardCoversEverySuiteTask() throws Exception {
        Map<String, Object> t = plain(tree);
        int inSuite = 0;
        for (Map<String, Object> task : list(t.get("tasks"))) {
            task.put("leaderboard", false);
            if (Boolean.TRUE.equals(task.get("in_suite"))) inSuite++;
        }
        for (Map<String, Object> row : list(t.get("leaderboard"))) row.put("tasks", inSuite);
        String lb = section(render(t), "leaderboard");
        assertTrue(
                lb.contains("mean over the " + inSuite + " suite tasks (this run selected no leaderboard task)"), lb);
        assertFalse(lb.contains("data-full=\"0\""), "every row ran on every task it is averaged over");
    }

    private static String section(String page, String id) {
        int s = page.indexOf("<section class=\"top\" id=\"" + id + "\">");
        assertTrue(s >= 0, "section " + id);
        return page.substring(s, page.indexOf("</section>", s));
    }

    @Test
    void provenanceShowsVersionCommitSeedsAndConfiguration() {
        String pv = section(html, "provenance");
        for (String k : List.of(
                "apportion version",
                "git commit",
                "root seed",
                "seed derivation",
                "request",
                "suite",
                "learning seeds",
                "Chart.js",
                "timing (not reproducible)")) {
            assertTrue(pv.contains("<th>" + k + "</th>"), k);
        }
        assertTrue(pv.contains("Reporting checklist"));
    }

    /** {@code bench --report-from}: the page and the figure rendered again from results.json are the run's bytes. */
    @Test
    void reRenderingFromResultsJsonGivesTheSameFiles(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path json = dir.resolve("results.json");
        java.nio.file.Files.writeString(json, ResultsJson.write(results));
        List<Path> files = BenchOutputs.rerender(json, dir.resolve("again"));
        assertEquals(html, java.nio.file.Files.readString(files.get(0)));
        assertEquals(LeaderboardChart.svg(results), java.nio.file.Files.readString(files.get(1)));
        java.nio.file.Files.writeString(json, "[1, 2]");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.IOException.class, () -> BenchOutputs.rerender(json, dir.resolve("bad")));
        assertTrue(e.getMessage().contains("results.json"), e.getMessage());
    }

    @Test
    void sameTreeGivesTheSameBytesAndTimingIsTheOnlyRunDependentPart() throws Exception {
        assertEquals(html, render(plain(tree)));
        Map<String, Object> t = plain(tree);
        @SuppressWarnings("unchecked")
        Map<String, Object> timing = (Map<String, Object>) t.get("timing");
        timing.put("total_seconds", 12345.0);
        String other = render(t);
        assertNotEquals(html, other);
        assertEquals(
                markup(html)
                        .replaceAll("(?s)<div class=\"glance\">.*?</div>\n", "")
                        .replaceAll("(?s)<tr><th>timing \\(not reproducible\\).*?</tr>\n", ""),
                markup(other)
                        .replaceAll("(?s)<div class=\"glance\">.*?</div>\n", "")
                        .replaceAll("(?s)<tr><th>timing \\(not reproducible\\).*?</tr>\n", ""));
    }

    @Test
    void textFromTheResultsIsEscapedAndCannotCloseTheScripts() throws Exception {
        Map<String, Object> t = plain(tree);
        Map<String, Object> c = list(t.get("claims")).get(0);
        c.put("statement", "<script>alert(1)</script> & \"quoted\"");
        String page = render(t);
        assertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"));
        String island = page.substring(page.indexOf("id=\"bench-data\">"));
        island = island.substring(0, island.indexOf("</script>"));
        assertTrue(island.contains("<\\/script>"), "the JSON island escapes the closing tag");
        assertFalse(markup(page).contains("<script>alert"));
    }

    @Test
    void rendersATreeWithoutOptionalParts() throws Exception {
        Map<String, Object> t = plain(tree);
        for (String k : List.of("claims", "bsuite", "skipped", "leaderboard", "signals")) t.put(k, new ArrayList<>());
        String page = render(t);
        assertTrue(page.contains("No claims were run."));
        assertTrue(page.contains("No bsuite experiments in this suite."));
        assertTrue(page.contains("None: every estimator ran on every task."));
        assertTrue(page.endsWith("</body></html>\n"));
    }
}
