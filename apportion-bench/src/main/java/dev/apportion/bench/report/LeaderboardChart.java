package dev.apportion.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A static SVG chart of the leaderboard (file {@code leaderboard.svg}): for every estimator that
 * ran on a leaderboard task, pooled and within-decision Spearman as dots with their 95% whiskers,
 * coloured by signal tier, in leaderboard order. Built from the results tree (the same map
 * results.json holds), so it can also be rendered from an existing results.json
 * ({@link #main}). Plain SVG, no script, no external resource.
 */
public final class LeaderboardChart {
    private static final int ROW = 16;
    private static final int LEFT = 200;
    private static final int WIDTH = 760;
    private static final int TOP = 58;

    private LeaderboardChart() {}

    /** Renders {@code results.json} (args[0]) to an SVG file (args[1]). */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) throw new IllegalArgumentException("usage: LeaderboardChart results.json out.svg");
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = new ObjectMapper().readValue(Files.readAllBytes(Path.of(args[0])), Map.class);
        AtomicFiles.writeString(Path.of(args[1]), svg(tree));
    }

    @SuppressWarnings("unchecked")
    public static String svg(Map<String, Object> tree) {
        List<Map<String, Object>> rows = new ArrayList<>();
        Object lb = tree.get("leaderboard");
        if (lb instanceof List<?> l) {
            for (Object o : l) {
                Map<String, Object> r = (Map<String, Object>) o;
                if (num(r.get("tasks")) > 0) rows.add(r);
            }
        }
        int plotW = WIDTH - LEFT - 20;
        int h = TOP + rows.size() * ROW + 40;
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(h)
                .append("\" viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(h)
                .append("\" font-family=\"sans-serif\" font-size=\"11\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        String suite = "";
        Object prov = tree.get("provenance");
        if (prov instanceof Map<?, ?> pm && pm.get("suite") instanceof Map<?, ?> sm)
            suite = String.valueOf(sm.get("name"));
        b.append(
                        "<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Credit quality vs the exact advantage (")
                .append(esc(suite))
                .append(" suite), 95% intervals over seeds</text>\n")
                .append("<text x=\"10\" y=\"36\">● pooled Spearman   ◆ within-decision Spearman   colour = tier: ")
                .append("<tspan fill=\"#1b7837\">outcome</tspan> · <tspan fill=\"#2166ac\">observable</tspan> · ")
                .append("<tspan fill=\"#b2182b\">privileged</tspan></text>\n");
        // axis: -0.2 .. 1.0
        double lo = -0.2;
        double hi = 1.0;
        for (double t = lo; t <= hi + 1e-9; t += 0.2) {
            double x = LEFT + (t - lo) / (hi - lo) * plotW;
            b.append("<line x1=\"")
                    .append(f(x))
                    .append("\" y1=\"")
                    .append(TOP - 6)
                    .append("\" x2=\"")
                    .append(f(x))
                    .append("\" y2=\"")
                    .append(TOP + rows.size() * ROW)
                    .append("\" stroke=\"")
                    .append(Math.abs(t) < 1e-9 ? "#444" : "#ddd")
                    .append("\"/>\n")
                    .append("<text x=\"")
                    .append(f(x))
                    .append("\" y=\"")
                    .append(TOP + rows.size() * ROW + 14)
                    .append("\" text-anchor=\"middle\">")
                    .append(String.format(Locale.ROOT, "%.1f", t))
                    .append("</text>\n");
        }
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> r = rows.get(i);
            double y = TOP + i * ROW + ROW / 2.0;
            String tier = String.valueOf(r.get("tier"));
            String colour = switch (tier) {
                case "outcome" -> "#1b7837";
                case "privileged" -> "#b2182b";
                default -> "#2166ac";
            };
            if (i % 2 == 0) {
                b.append("<rect x=\"0\" y=\"")
                        .append(f(y - ROW / 2.0))
                        .append("\" width=\"")
                        .append(WIDTH)
                        .append("\" height=\"")
                        .append(ROW)
                        .append("\" fill=\"#f6f6f6\"/>\n");
            }
            b.append("<text x=\"")
                    .append(LEFT - 6)
                    .append("\" y=\"")
                    .append(f(y + 4))
                    .append("\" text-anchor=\"end\" fill=\"")
                    .append(colour)
                    .append("\">")
                    .append(esc(String.valueOf(r.get("estimator"))))
                    .append(num(r.get("tasks")) < maxTasks(rows) ? " (" + (int) num(r.get("tasks")) + " tasks)" : "")
                    .append("</text>\n");
            point(b, r, "spearman_pooled", y - 3, colour, false, lo, hi, plotW);
            point(b, r, "spearman_within_decision", y + 3, colour, true, lo, hi, plotW);
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static double maxTasks(List<Map<String, Object>> rows) {
        double m = 0;
        for (Map<String, Object> r : rows) m = Math.max(m, num(r.get("tasks")));
        return m;
    }

    private static void point(
            StringBuilder b,
            Map<String, Object> r,
            String key,
            double y,
            String colour,
            boolean diamond,
            double lo,
            double hi,
            int plotW) {
        double v = num(r.get(key));
        if (!Double.isFinite(v)) return;
        double x = LEFT + (clamp(v, lo, hi) - lo) / (hi - lo) * plotW;
        Object ci = r.get(key + "_ci");
        if (ci instanceof List<?> c
                && c.size() == 2
                && Double.isFinite(num(c.get(0)))
                && Double.isFinite(num(c.get(1)))) {
            double x0 = LEFT + (clamp(num(c.get(0)), lo, hi) - lo) / (hi - lo) * plotW;
            double x1 = LEFT + (clamp(num(c.get(1)), lo, hi) - lo) / (hi - lo) * plotW;
            b.append("<line x1=\"")
                    .append(f(x0))
                    .append("\" y1=\"")
                    .append(f(y))
                    .append("\" x2=\"")
                    .append(f(x1))
                    .append("\" y2=\"")
                    .append(f(y))
                    .append("\" stroke=\"")
                    .append(colour)
                    .append("\" stroke-width=\"1.2\"/>\n");
        }
        if (diamond) {
            b.append("<path d=\"M")
                    .append(f(x))
                    .append(' ')
                    .append(f(y - 3.5))
                    .append(" L")
                    .append(f(x + 3.5))
                    .append(' ')
                    .append(f(y))
                    .append(" L")
                    .append(f(x))
                    .append(' ')
                    .append(f(y + 3.5))
                    .append(" L")
                    .append(f(x - 3.5))
                    .append(' ')
                    .append(f(y))
                    .append(" Z\" fill=\"white\" stroke=\"")
                    .append(colour)
                    .append("\"/>\n");
        } else {
            b.append("<circle cx=\"")
                    .append(f(x))
                    .append("\" cy=\"")
                    .append(f(y))
                    .append("\" r=\"3\" fill=\"")
                    .append(colour)
                    .append("\"/>\n");
        }
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String f(double x) {
        return String.format(Locale.ROOT, "%.1f", x);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Bytes of the SVG (UTF-8). */
    static byte[] bytes(Map<String, Object> tree) {
        return svg(tree).getBytes(StandardCharsets.UTF_8);
    }
}
