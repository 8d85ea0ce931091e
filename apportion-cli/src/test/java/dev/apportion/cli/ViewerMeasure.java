package dev.apportion.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Not a check: measures an inspect page in Chromium when asked to, e.g.
 * {@code mvn -pl apportion-cli -am test -Dtest=ViewerMeasure -Dapportion.viewer.measure=/tmp/big.html}.
 * Prints the file size, first paint and first contentful paint (Performance API), the time until
 * the viewer is ready, and the element counts; saves a screenshot. Skipped otherwise.
 */
class ViewerMeasure {
    @Test
    void measure() throws Exception {
        String page = System.getProperty("apportion.viewer.measure");
        Assumptions.assumeTrue(page != null && !page.isBlank(), "set -Dapportion.viewer.measure=PAGE.html to measure");
        Browser.assumeAvailable();
        Path p = Path.of(page).toAbsolutePath();
        try (Browser b = new Browser()) {
            for (int run = 0; run < 3; run++) {
                b.width(1400);
                b.driver.get(p.toUri().toString());
                new WebDriverWait(b.driver, Duration.ofSeconds(120))
                        .until(d -> "1".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) b.js("const o = {};"
                        + "performance.getEntriesByType('paint').forEach(e => o[e.name] = e.startTime);"
                        + "const nav = performance.getEntriesByType('navigation')[0];"
                        + "o.domContentLoaded = nav.domContentLoadedEventEnd; o.load = nav.loadEventEnd;"
                        + "['ap-parse-start', 'ap-parsed'].forEach(n => { const e = performance.getEntriesByName(n)[0]; if (e) o[n] = e.startTime; });"
                        + "o.ready = window.ApViewer.readyAt; o.elements = document.getElementsByTagName('*').length;"
                        + "o.tokens = document.querySelectorAll('.tk').length; o.cards = document.querySelectorAll('.tcard').length;"
                        + "return o;");
                System.out.printf("viewer-measure run %d: %s bytes=%d %s%n", run, p.getFileName(), Files.size(p), m);
            }
            b.screenshot("measure-1400.png");
        }
    }
}
