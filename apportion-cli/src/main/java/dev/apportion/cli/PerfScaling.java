package dev.apportion.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * {@code apportion perf --scaling}: time and peak heap against batch size (×10 steps), per
 * estimator, with the log-log slope of time against tokens; optionally a PNG plot drawn with
 * {@code java.awt} (headless).
 */
final class PerfScaling {
    /** GRPO family, GAE, GiGPO and the heaviest turn-level method of a 'perf --all' run (measured: see README). */
    static final String DEFAULT_ESTIMATORS = "grpo,dr_grpo,rloo,gae,gigpo,itpo";

    private PerfScaling() {}

    /**
     * One size: wall-time median, and the calling thread's CPU time median (what the plot shows: on a
     * shared machine it is far less disturbed by other processes than wall time; the estimator runs on
     * one thread here, so on an idle machine the two agree).
     */
    record Point(long tokens, double ms, double cpuMs, double peakBytesPerToken) {
        double plotted() {
            return Double.isNaN(cpuMs) || cpuMs <= 0 ? ms : cpuMs;
        }
    }

    static int run(
            EstimatorRegistry registry,
            PerfSuite.Settings settings,
            List<String> only,
            long min,
            long max,
            List<Integer> threads,
            boolean json,
            Path plot,
            PrintWriter out,
            PrintWriter err)
            throws IOException {
        List<String> ids = only != null ? only : List.of(DEFAULT_ESTIMATORS.split(","));
        ObjectMapper mapper = new ObjectMapper();
        PerfSuite suite = new PerfSuite(settings, err);
        Map<String, List<Point>> series = new LinkedHashMap<>();
        for (String id : ids) {
            Estimator e = registry.get(id);
            Descriptor d = e.descriptor();
            PerfSuite.Shape shape = turnLike(d) ? PerfSuite.Shape.MULTITURN : PerfSuite.Shape.SINGLE;
            List<Point> pts = new ArrayList<>();
            for (long n = min; n <= max; n *= 10) {
                SyntheticBatch.Spec spec = shape.spec(d, n, settings.seed());
                long base = PerfSuite.usedHeapAfterGc();
                PerfSuite.resetPeaks();
                Rollouts batch;
                try {
                    batch = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
                } catch (OutOfMemoryError oom) {
                    err.println("perf: " + id + " at " + n
                            + " tokens: out of heap building the batch (raise -Xmx); stopping this estimator");
                    break;
                }
                List<PerfSuite.Result> rs;
                try {
                    rs = suite.time(
                            e, Params.resolve(d, null, Map.of()), batch, shape.wire, threads.subList(0, 1), base, true);
                } catch (OutOfMemoryError oom) {
                    err.println(
                            "perf: " + id + " at " + n + " tokens: out of heap (raise -Xmx); stopping this estimator");
                    break;
                }
                batch = null;
                PerfSuite.Result r = rs.get(0);
                pts.add(new Point(r.tokens(), r.medianMs(), r.cpuMs(), r.peakBytesPerToken()));
                err.println("perf: scaling " + PerfModes.text(r)
                        + String.format(Locale.ROOT, "  peak heap %.1f B/token", r.peakBytesPerToken()));
                err.flush();
                Map<String, Object> m = r.json();
                if (json) out.println(mapper.writeValueAsString(m));
                else
                    out.println(PerfModes.text(r)
                            + String.format(Locale.ROOT, "  peak heap %.1f B/token", r.peakBytesPerToken()));
                out.flush();
            }
            series.put(id, pts);
            if (pts.size() >= 2) {
                double[] x = pts.stream().mapToDouble(Point::tokens).toArray();
                double[] y = pts.stream().mapToDouble(Point::ms).toArray();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("estimator", id);
                m.put("shape", shape.wire);
                m.put("loglog_slope", round3(PerfSuite.logLogSlope(x, y)));
                double[] yc = pts.stream().mapToDouble(Point::plotted).toArray();
                m.put("loglog_slope_cpu", round3(PerfSuite.logLogSlope(x, yc)));
                // above 1e6 tokens fixed per-call costs no longer matter
                List<Point> big =
                        pts.stream().filter(p -> p.tokens() >= 900_000).toList();
                if (big.size() >= 2) {
                    double[] bx = big.stream().mapToDouble(Point::tokens).toArray();
                    m.put(
                            "loglog_slope_from_1e6",
                            round3(PerfSuite.logLogSlope(
                                    bx, big.stream().mapToDouble(Point::ms).toArray())));
                    m.put(
                            "loglog_slope_cpu_from_1e6",
                            round3(PerfSuite.logLogSlope(
                                    bx, big.stream().mapToDouble(Point::plotted).toArray())));
                }
                m.put(
                        "peak_heap_bytes_per_token",
                        pts.stream().map(p -> round3(p.peakBytesPerToken())).toList());
                if (json) out.println(mapper.writeValueAsString(m));
                else out.println(m);
                out.flush();
            }
        }
        if (plot != null) {
            write(series, plot);
            err.println("perf: wrote " + plot);
        }
        return ExitCodes.OK;
    }

    private static boolean turnLike(Descriptor d) {
        return d.granularity() != Granularity.TRAJECTORY && d.granularity() != Granularity.TOKEN;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static final Color[] COLORS = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x7f7f7f)
    };

    /** Two log-log panels: time per call vs tokens (with a slope-1 guide), peak heap bytes per token vs tokens. Written atomically. */
    static void write(Map<String, List<Point>> series, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1200;
        int h = 520;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double xmin = Double.MAX_VALUE;
        double xmax = 0;
        double tmin = Double.MAX_VALUE;
        double tmax = 0;
        double bmin = Double.MAX_VALUE;
        double bmax = 0;
        for (List<Point> l : series.values()) {
            for (Point p : l) {
                xmin = Math.min(xmin, p.tokens());
                xmax = Math.max(xmax, p.tokens());
                tmin = Math.min(tmin, p.plotted());
                tmax = Math.max(tmax, p.plotted());
                if (p.peakBytesPerToken() > 0) {
                    bmin = Math.min(bmin, p.peakBytesPerToken());
                    bmax = Math.max(bmax, p.peakBytesPerToken());
                }
            }
        }
        if (xmax == 0) {
            xmin = 1e4;
            xmax = 1e8;
            tmin = 1e-3;
            tmax = 1e3;
        }
        if (bmax == 0) {
            bmin = 1;
            bmax = 100;
        }
        Panel left = new Panel(
                70, 50, 520, 400, decade(xmin, false), decade(xmax, true), decade(tmin, false), decade(tmax, true));
        Panel right = new Panel(
                670, 50, 480, 400, decade(xmin, false), decade(xmax, true), decade(bmin, false), decade(bmax, true));
        left.axes(
                g,
                "tokens per batch",
                "thread CPU ms per call (median)",
                "time vs batch size (log-log; dashed: slope 1)");
        right.axes(g, "tokens per batch", "peak heap bytes per token", "peak heap per token (batch included)");
        // slope-1 guide through the first point of the first series
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f));
        g.setColor(Color.GRAY);
        if (!series.isEmpty() && !series.values().iterator().next().isEmpty()) {
            Point p0 = series.values()
                    .iterator()
                    .next()
                    .get(series.values().iterator().next().size() - 1);
            double x0 = left.x0;
            double x1 = left.x1;
            double y0 = p0.plotted() * x0 / p0.tokens();
            double y1 = p0.plotted() * x1 / p0.tokens();
            g.drawLine(left.px(x0), left.py(y0), left.px(x1), left.py(y1));
        }
        int k = 0;
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            Color c = COLORS[k % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            List<Point> l = e.getValue();
            for (int i = 0; i < l.size(); i++) {
                Point p = l.get(i);
                int x = left.px(p.tokens());
                int y = left.py(p.plotted());
                g.fillOval(x - 4, y - 4, 8, 8);
                if (i > 0)
                    g.drawLine(
                            left.px(l.get(i - 1).tokens()), left.py(l.get(i - 1).plotted()), x, y);
                if (p.peakBytesPerToken() > 0) {
                    int xr = right.px(p.tokens());
                    int yr = right.py(p.peakBytesPerToken());
                    g.fillOval(xr - 4, yr - 4, 8, 8);
                    if (i > 0 && l.get(i - 1).peakBytesPerToken() > 0) {
                        g.drawLine(
                                right.px(l.get(i - 1).tokens()),
                                right.py(l.get(i - 1).peakBytesPerToken()),
                                xr,
                                yr);
                    }
                }
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            int ly = 70 + 18 * k;
            g.fillRect(left.x + 12, ly - 9, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left.x + 32, ly - 3);
            k++;
        }
        g.dispose();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".perf-scaling", ".png");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static double decade(double v, boolean up) {
        double l = Math.log10(v);
        return Math.pow(10, up ? Math.ceil(l - 1e-9) : Math.floor(l + 1e-9));
    }

    /** A log-log plotting area. */
    private static final class Panel {
        final int x;
        final int y;
        final int w;
        final int h;
        final double x0;
        final double x1;
        final double y0;
        final double y1;

        Panel(int x, int y, int w, int h, double x0, double x1, double y0, double y1) {
            this.x = x;
            this.y = y;
            this.w = w;
            this.h = h;
            this.x0 = x0;
            this.x1 = x1 > x0 ? x1 : x0 * 10;
            this.y0 = y0;
            this.y1 = y1 > y0 ? y1 : y0 * 10;
        }

        int px(double v) {
            return x + (int) Math.round(w * (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)));
        }

        int py(double v) {
            return y + h - (int) Math.round(h * (Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0)));
        }

        void axes(Graphics2D g, String xl, String yl, String title) {
            g.setStroke(new BasicStroke(1f));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (double v = x0; v <= x1 * 1.0001; v *= 10) {
                g.setColor(new Color(0xdddddd));
                g.drawLine(px(v), y, px(v), y + h);
                g.setColor(Color.BLACK);
                String s = String.format(Locale.ROOT, "1e%d", Math.round(Math.log10(v)));
                g.drawString(s, px(v) - 12, y + h + 16);
            }
            for (double v = y0; v <= y1 * 1.0001; v *= 10) {
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, py(v), x + w, py(v));
                g.setColor(Color.BLACK);
                String s = String.format(Locale.ROOT, "1e%d", Math.round(Math.log10(v)));
                g.drawString(s, x - 40, py(v) + 4);
            }
            g.setColor(Color.BLACK);
            g.drawRect(x, y, w, h);
            g.drawString(xl, x + w / 2 - 40, y + h + 34);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, x, y - 12);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            Graphics2D r = (Graphics2D) g.create();
            r.rotate(-Math.PI / 2);
            r.drawString(yl, -(y + h / 2 + 60), x - 48);
            r.dispose();
        }
    }
}
