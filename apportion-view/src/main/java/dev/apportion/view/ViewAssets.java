package dev.apportion.view;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The page components every HTML page of apportion shares: the base style sheet
 * ({@code components.css}), the one chart library (Chart.js, bundled from its WebJar and inlined),
 * the credit colour scale and small helpers ({@code components.js}, {@code window.ApView}).
 *
 * <p>The credit scale is diverging blue (negative) – light grey (0) – orange (positive); blue and
 * orange stay distinguishable under protanopia, deuteranopia and tritanopia, and the lightness
 * falls monotonically from the centre to both ends, so magnitudes also read in greyscale. Its
 * anchors are documented in {@code components.js} and docs/viewer.md.
 *
 * <p>Pages stay self-contained: everything is inlined, nothing is fetched.
 */
public final class ViewAssets {
    private static final String BASE = "/dev/apportion/view/";
    private static final Properties PROPS = props();

    private ViewAssets() {}

    /** The Chart.js version bundled into every page. */
    public static String chartJsVersion() {
        return PROPS.getProperty("chartjs", "4.4.7");
    }

    /** The base style sheet of every page. */
    public static String css() {
        return resource(BASE + "components.css");
    }

    /** The shared script ({@code window.ApView}: colour scale, float32 formatting, legend, Chart.js defaults). */
    public static String componentsJs() {
        return resource(BASE + "components.js");
    }

    /** The Chart.js UMD bundle without its source-map comment (which would make dev tools request a file). */
    public static String chartJs() {
        return resource("/META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.js")
                .replaceAll("(?m)^//# sourceMappingURL=.*$", "");
    }

    /**
     * The {@code <head>} content shared by every page: charset, viewport, title, the base styles
     * plus {@code extraCss}, then Chart.js and the components script, all inlined.
     */
    public static String head(String title, String extraCss) {
        StringBuilder b = new StringBuilder(260_000);
        b.append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<link rel=\"icon\" href=\"data:,\">\n")
                .append("<title>")
                .append(esc(title))
                .append("</title>\n<style>\n")
                .append(css());
        if (extraCss != null) b.append(extraCss);
        b.append("</style>\n");
        b.append(script("/* Chart.js " + chartJsVersion()
                + ", MIT License (from the org.webjars.npm:chart.js WebJar) */\n" + chartJs()));
        b.append(script(componentsJs()));
        return b.toString();
    }

    /** A {@code <script>} element holding {@code js} (a closing script tag inside is escaped). */
    public static String script(String js) {
        return "<script>" + js.replace("</script", "<\\/script") + "\n</script>\n";
    }

    /** A JSON data island {@code <script type="application/json" id=...>} that HTML cannot break out of. */
    public static String jsonIsland(String id, String json) {
        return "<script type=\"application/json\" id=\"" + esc(id) + "\">"
                + json.replace("</", "<\\/").replace("<!--", "<\\!--") + "</script>\n";
    }

    /** HTML text escaping (element content and quoted attributes). */
    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String resource(String path) {
        try (InputStream in = ViewAssets.class.getResourceAsStream(path)) {
            if (in == null)
                throw new IllegalStateException("resource " + path + " is missing from the apportion-view jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties props() {
        Properties p = new Properties();
        try (InputStream in = ViewAssets.class.getResourceAsStream(BASE + "view.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
