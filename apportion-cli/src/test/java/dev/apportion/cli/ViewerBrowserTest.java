package dev.apportion.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.server.CreditServer;
import dev.apportion.server.ServerConfig;
import dev.apportion.server.ViewerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The viewer in a real browser (headless Chromium): the page of {@code apportion inspect} on the
 * example batch and the page {@code apportion serve} serves at {@code /}. Values shown for tokens
 * must equal what {@code apportion assign} writes; no console errors; no network request from
 * the inspect page (the served page talks to its own server only). Screenshots at 800 and
 * 1 400 px go to target/browser-artifacts/.
 */
class ViewerBrowserTest {
    static final Path EXAMPLE = ReadmeTest.root().resolve("examples/two-groups.jsonl");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Browser browser;
    static List<JsonNode> grpo;
    static List<JsonNode> gigpo;
    static List<JsonNode> rollouts;

    @BeforeAll
    static void setUp() throws Exception {
        Browser.assumeAvailable();
        grpo = assign("grpo");
        gigpo = assign("gigpo");
        rollouts = new ArrayList<>();
        for (String l : Files.readAllLines(EXAMPLE)) if (!l.isBlank()) rollouts.add(JSON.readTree(l));
        browser = new Browser();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (browser != null) browser.close();
    }

    static List<JsonNode> assign(String estimator) throws Exception {
        Path out = tmp.resolve(estimator + ".jsonl");
        Cli.Result r = Cli.run(
                EstimatorRegistry.global(),
                "assign",
                "--estimator",
                estimator,
                EXAMPLE.toString(),
                "-o",
                out.toString());
        assertEquals(0, r.code(), r.toString());
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out)) {
            JsonNode n = JSON.readTree(l);
            if (!n.has("kind")) lines.add(n); // a provenance line carries "kind"; trajectory lines do not
        }
        return lines;
    }

    /** The global token index of token {@code pos} of trajectory {@code traj}. */
    static int tokenIndex(int traj, int pos) {
        int k = 0;
        for (int i = 0; i < traj; i++) k += grpo.get(i).get("advantages").size();
        return k + pos;
    }

    WebDriverWait waitFor() {
        return new WebDriverWait(browser.driver, Duration.ofSeconds(20));
    }

    void waitReady() {
        waitFor().until(d -> "1".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }

    /** Points at the token (the mouse moves over it and clicks it, which focuses it) and reads the value shown for estimator e. */
    float shown(int traj, int pos, int row, int estimator) {
        WebElement t = browser.driver.findElement(By.cssSelector(
                "#t-" + traj + " .toks[data-e='" + row + "'] .tk[data-k='" + tokenIndex(traj, pos) + "']"));
        browser.js("arguments[0].scrollIntoView({block: 'center'});", t);
        t.click();
        String v = browser.driver
                .findElement(By.cssSelector("#ro-vals .ro-val[data-e='" + estimator + "'] b"))
                .getText();
        return Float.parseFloat(v);
    }

    /** A request that leaves the browser (the browser's own chrome:// pages, file: and data: URLs do not). */
    static boolean network(String url) {
        return url.matches("(?i)(https?|wss?|ftp)://.*");
    }

    static float written(List<JsonNode> credit, int traj, int pos) {
        return (float) credit.get(traj).get("advantages").get(pos).asDouble();
    }

    @Test
    void inspectPageShowsTheNumbersAssignWritesOffline() throws Exception {
        Path view = tmp.resolve("view.html");
        Cli.Result r = Cli.run(
                EstimatorRegistry.global(),
                "inspect",
                EXAMPLE.toString(),
                "--estimators",
                "grpo,gigpo",
                "-o",
                view.toString());
        assertEquals(0, r.code(), r.toString());
        browser.consoleErrors();
        browser.requests();
        browser.width(1400);
        browser.driver.get(view.toUri().toString());
        waitReady();
        assertEquals(
                "6 of 6 trajectories shown",
                browser.driver.findElement(By.id("count")).getText());

        // side by side (the default with two estimators): both rows, both values, for chosen tokens
        int[][] chosen = {{0, 3}, {1, 7}, {1, 11}, {3, 4}, {4, 13}, {5, 11}};
        for (int[] c : chosen) {
            assertEquals(
                    written(grpo, c[0], c[1]), shown(c[0], c[1], 0, 0), "grpo trajectory " + c[0] + " token " + c[1]);
            assertEquals(
                    written(gigpo, c[0], c[1]), shown(c[0], c[1], 1, 1), "gigpo trajectory " + c[0] + " token " + c[1]);
        }
        // context tokens show exactly 0
        assertEquals(0f, shown(0, 0, 0, 0));

        // keyboard: the arrow key moves the focus to the next token and the readout follows
        shown(1, 3, 0, 0);
        browser.driver.switchTo().activeElement().sendKeys(Keys.ARROW_RIGHT);
        String next = browser.driver
                .findElement(By.cssSelector("#ro-vals .ro-val[data-e='0'] b"))
                .getText();
        assertEquals(written(grpo, 1, 4), Float.parseFloat(next));
        assertTrue(browser.driver.findElement(By.id("ro-where")).getText().contains("token 4"));

        // switch the estimator: gigpo alone
        browser.driver.findElement(By.id("compare")).click();
        new Select(browser.driver.findElement(By.id("est-a"))).selectByVisibleText("gigpo");
        assertEquals(
                1,
                browser.driver.findElements(By.cssSelector("#t-2 .toks")).size(),
                "one row after leaving side by side");
        for (int[] c : chosen) {
            assertEquals(
                    written(gigpo, c[0], c[1]),
                    shown(c[0], c[1], 1, 1),
                    "gigpo alone, trajectory " + c[0] + " token " + c[1]);
        }

        // filters: group, outcome, |credit|
        new Select(browser.driver.findElement(By.id("f-group"))).selectByVisibleText("p2");
        assertEquals(
                "3 of 6 trajectories shown",
                browser.driver.findElement(By.id("count")).getText());
        new Select(browser.driver.findElement(By.id("f-group"))).selectByVisibleText("all groups");
        new Select(browser.driver.findElement(By.id("f-outcome"))).selectByVisibleText("> 0");
        long positives =
                rollouts.stream().filter(n -> n.get("outcome").asDouble() > 0).count();
        assertEquals(
                positives + " of 6 trajectories shown",
                browser.driver.findElement(By.id("count")).getText());
        new Select(browser.driver.findElement(By.id("f-outcome"))).selectByVisibleText("any outcome");
        browser.driver.findElement(By.id("f-abs")).sendKeys("1000");
        assertEquals(
                "0 of 6 trajectories shown",
                browser.driver.findElement(By.id("count")).getText());
        browser.driver.findElement(By.id("f-abs")).clear();
        browser.js("document.getElementById('f-abs').dispatchEvent(new Event('input'))");
        new Select(browser.driver.findElement(By.id("est-a"))).selectByVisibleText("grpo");
        browser.driver.findElement(By.id("compare")).click();

        // per-turn charts come from the bundled Chart.js (a canvas per visible trajectory)
        assertTrue((Boolean) browser.js(
                "return typeof Chart === 'function' && document.querySelectorAll('#list canvas').length > 0"));

        // screenshots at both widths; no horizontal scrolling at 800 px
        browser.js("window.scrollTo(0, 0)");
        browser.screenshot("inspect-1400.png");
        browser.js("document.getElementById('t-0').scrollIntoView({block: 'start'}); window.scrollBy(0, -150)");
        shown(1, 5, 0, 0);
        browser.js(
                "window.scrollTo(0, document.getElementById('t-0').getBoundingClientRect().top + window.scrollY - 140)");
        browser.screenshot("inspect-1400-tokens.png");
        browser.width(800);
        browser.js("window.scrollTo(0, 0)");
        assertTrue(
                (Boolean) browser.js("return document.documentElement.scrollWidth <= window.innerWidth"),
                "no horizontal scroll at 800 px");
        browser.screenshot("inspect-800.png");
        browser.width(1400);

        assertEquals(List.of(), browser.consoleErrors(), "JavaScript console errors");
        List<String> net =
                browser.requests().stream().filter(ViewerBrowserTest::network).toList();
        assertEquals(List.of(), net, "network requests of the inspect page");
        assertEquals(
                0L,
                ((Number) browser.js("return performance.getEntriesByType('resource').length")).longValue(),
                "resources loaded by the inspect page");
    }

    @Test
    void comparePageDrawsItsChartWithTheSharedComponents() throws Exception {
        Path page = tmp.resolve("compare.html");
        Cli.Result r = Cli.run(
                EstimatorRegistry.global(),
                "compare",
                EXAMPLE.toString(),
                "--estimators",
                "grpo,gigpo",
                "-o",
                page.toString());
        assertEquals(0, r.code(), r.toString());
        browser.consoleErrors();
        browser.requests();
        browser.width(1400);
        browser.driver.get(page.toUri().toString());
        waitFor()
                .until(d -> !d.findElements(By.cssSelector("[data-ap-chart] canvas"))
                        .isEmpty());
        assertTrue(
                (Boolean)
                        browser.js(
                                "return typeof ApView === 'object' && Chart.getChart(document.querySelector('[data-ap-chart] canvas')) !== undefined"),
                "the chart is a Chart.js chart");
        browser.screenshot("compare-1400.png");
        assertEquals(List.of(), browser.consoleErrors(), "JavaScript console errors");
        assertEquals(
                List.of(),
                browser.requests().stream().filter(ViewerBrowserTest::network).toList(),
                "network requests");
    }

    @Test
    void servedViewerComputesThroughTheApi() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.copy(EXAMPLE, data.resolve("two-groups.jsonl"));
        try (CreditServer server = new CreditServer(
                        ServerConfig.defaults().withPort(0).withRequestLog(false),
                        EstimatorRegistry.global(),
                        null,
                        new ViewerSettings(data, null, "test"))
                .start()) {
            browser.consoleErrors();
            browser.requests();
            browser.width(1400);
            browser.driver.get(server.url() + "/");
            waitFor()
                    .until(d ->
                            d.findElements(By.cssSelector("#srv-est-a option")).size() > 10);
            assertEquals(
                    "two-groups.jsonl",
                    new Select(browser.driver.findElement(By.id("srv-file")))
                            .getFirstSelectedOption()
                            .getText());
            new Select(browser.driver.findElement(By.id("srv-est-a"))).selectByValue("grpo");
            new Select(browser.driver.findElement(By.id("srv-est-b"))).selectByValue("gigpo");
            browser.driver.findElement(By.id("srv-go")).click();
            waitReady();
            assertTrue(browser.driver.findElement(By.id("srv-status")).getText().contains("/v1/credit"));
            for (int[] c : new int[][] {{0, 3}, {2, 12}, {4, 12}}) {
                assertEquals(written(grpo, c[0], c[1]), shown(c[0], c[1], 0, 0), "served grpo " + c[0] + "/" + c[1]);
                assertEquals(written(gigpo, c[0], c[1]), shown(c[0], c[1], 1, 1), "served gigpo " + c[0] + "/" + c[1]);
            }
            browser.js("window.scrollTo(0, 0)");
            browser.screenshot("serve-1400.png");
            browser.width(800);
            browser.screenshot("serve-800.png");
            browser.width(1400);
            assertEquals(List.of(), browser.consoleErrors(), "JavaScript console errors");
            List<String> foreign = browser.requests().stream()
                    .filter(u -> network(u) && !u.startsWith(server.url() + "/"))
                    .toList();
            assertEquals(List.of(), foreign, "requests to anything but the server");
        }
    }
}
