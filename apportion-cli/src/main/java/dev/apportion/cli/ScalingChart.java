package dev.apportion.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.awt.Shape;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG of {@code apportion perf --scaling --plot FILE}, drawn with JFreeChart (headless): a
 * log-log chart with one series per estimator in two panels over a shared batch-size axis — the
 * thread CPU time per call (with a dashed slope-1 guide: linear cost runs parallel to it) and the
 * peak heap per token. Points that a log axis cannot show (0 peak heap below ~10⁶ tokens, where
 * G1's region granularity hides it) are left out. Written atomically.
 */
final class ScalingChart {
    static final int WIDTH = 1000;
    static final int HEIGHT = 900;

    /** One colour per estimator, the same in both panels (Tableau 10). */
    private static final Color[] COLORS = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x7f7f7f),
        new Color(0xbcbd22),
        new Color(0x17becf)
    };

    /** One marker per estimator, the same in both panels. */
    private static final Shape[] SHAPES = DefaultDrawingSupplier.createStandardSeriesShapes();

    private ScalingChart() {}

    static void write(Map<String, List<PerfScaling.Point>> series, Path file) throws IOException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        JFreeChart chart = chart(series);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".perf-scaling", ".png");
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                ChartUtils.writeChartAsPNG(o, chart, WIDTH, HEIGHT);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static JFreeChart chart(Map<String, List<PerfScaling.Point>> series) {
        XYSeriesCollection time = new XYSeriesCollection();
        XYSeriesCollection heap = new XYSeriesCollection();
        double xmin = Double.POSITIVE_INFINITY;
        double xmax = 0;
        PerfScaling.Point guide = null;
        for (Map.Entry<String, List<PerfScaling.Point>> e : series.entrySet()) {
            XYSeries t = new XYSeries(e.getKey(), false, true);
            XYSeries h = new XYSeries(e.getKey(), false, true);
            for (PerfScaling.Point p : e.getValue()) {
                if (p.plotted() > 0) {
                    t.add(p.tokens(), p.plotted());
                    xmin = Math.min(xmin, p.tokens());
                    xmax = Math.max(xmax, p.tokens());
                    if (guide == null) guide = p;
                }
                if (p.peakBytesPerToken() > 0) h.add(p.tokens(), p.peakBytesPerToken());
            }
            time.addSeries(t);
            heap.addSeries(h);
        }
        LogAxis tokens = logAxis("tokens per batch", true);
        XYPlot timePlot =
                new XYPlot(time, null, logAxis("thread CPU ms per call (median)", true), renderer(series.size(), true));
        XYPlot heapPlot =
                new XYPlot(heap, null, logAxis("peak heap bytes per token", false), renderer(series.size(), false));
        if (guide != null && xmax > xmin) {
            // slope 1 through the first estimator's first point: linear cost runs parallel to it
            double y0 = guide.plotted() * xmin / guide.tokens();
            double y1 = guide.plotted() * xmax / guide.tokens();
            timePlot.addAnnotation(new XYLineAnnotation(
                    xmin,
                    y0,
                    xmax,
                    y1,
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f),
                    Color.GRAY));
        }
        for (XYPlot p : List.of(timePlot, heapPlot)) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(new Color(0xdddddd));
            p.setRangeGridlinePaint(new Color(0xdddddd));
        }
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(tokens);
        plot.setGap(12);
        plot.add(timePlot, 3);
        plot.add(heapPlot, 2);
        JFreeChart chart = new JFreeChart(
                "apportion perf --scaling: time (dashed: slope 1) and peak heap per token vs batch size",
                JFreeChart.DEFAULT_TITLE_FONT.deriveFont(15f),
                plot,
                true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * A base-10 log axis; {@code decades}: one labelled tick per power of ten (10ⁿ), else automatic
     * ticks labelled with their value (a panel that may span less than a decade).
     */
    private static LogAxis logAxis(String label, boolean decades) {
        LogAxis a = new LogAxis(label);
        a.setBase(10);
        a.setSmallestValue(1e-6);
        if (decades) {
            a.setTickUnit(new NumberTickUnit(1, new DecimalFormat("0")));
            a.setMinorTickCount(9);
            a.setMinorTickMarksVisible(true);
        } else {
            a.setNumberFormatOverride(new DecimalFormat("0.#"));
        }
        return a;
    }

    private static XYLineAndShapeRenderer renderer(int n, boolean inLegend) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < n; i++) {
            Paint c = COLORS[i % COLORS.length];
            r.setSeriesPaint(i, c);
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesVisibleInLegend(i, inLegend);
            r.setSeriesShape(i, SHAPES[i % SHAPES.length]);
        }
        return r;
    }
}
