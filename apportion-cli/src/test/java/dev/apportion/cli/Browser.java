package dev.apportion.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's Chromium, headless, driven by Selenium through Debian's chromedriver. Both paths are
 * given explicitly, so Selenium Manager never looks for (or downloads) a browser or a driver.
 * Tests that need it call {@link #assumeAvailable()}: without the two programs they are skipped.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Screenshots and other artifacts of the browser tests. */
    static final Path ARTIFACTS = Path.of("target", "browser-artifacts");

    final ChromeDriver driver;
    private final Path profile;

    static void assumeAvailable() {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver); browser tests skipped");
    }

    Browser() throws IOException {
        profile = Files.createTempDirectory("apportion-chromium-");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--window-size=1400,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withSilent(true)
                .build();
        driver = new ChromeDriver(service, o);
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Sets the viewport's CSS width (the window is made wide enough for it). */
    void width(int px) {
        driver.manage().window().setSize(new Dimension(px, 1000));
        long inner = ((Number) js("return window.innerWidth")).longValue();
        if (inner != px) driver.manage().window().setSize(new Dimension((int) (2 * px - inner), 1000));
    }

    Path screenshot(String name) throws IOException {
        Files.createDirectories(ARTIFACTS);
        File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path to = ARTIFACTS.resolve(name);
        Files.copy(f.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
        return to;
    }

    /** Console messages at level SEVERE (JavaScript errors, failed loads) since the last call. */
    List<String> consoleErrors() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) out.add(e.getMessage());
        }
        return out;
    }

    /** URLs of the network requests Chromium started since the last call (DevTools Network events). */
    List<String> requests() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.PERFORMANCE)) {
            String m = e.getMessage();
            if (!m.contains("\"Network.requestWillBeSent\"")) continue;
            int i = m.indexOf("\"url\":\"");
            if (i < 0) continue;
            int j = m.indexOf('"', i + 7);
            out.add(m.substring(i + 7, j));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var s = Files.walk(profile)) {
                s.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }
}
