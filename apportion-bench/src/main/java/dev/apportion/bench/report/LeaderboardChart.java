package dev.apportion.bench.report;

import dev.apportion.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XIntervalSeries;
import org.jfree.data.xy.XIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The leaderboard figure (file {@code leaderboard.svg}), drawn with JFreeChart and written as SVG
 * by JFreeSVG: for every estimator that ran on a leaderboard task, in leaderboard order, its pooled
 * Spearman (filled circle) and within-decision Spearman (open diamond) with their 95% intervals
 * over seeds as horizontal whiskers, coloured by signal tier (outcome, observable, privileged). A
 * row that covers fewer leaderboard tasks than the others says so after its name. Values and
 * interval ends outside the axis range [-0.2, 1] are drawn at its edge. Built from the typed
 * results, so it renders from an existing results.json too ({@link #main}). Headless: no display
 * is needed ({@code java.awt.headless} is set when unset). Text is measured with the fonts of the
 * machine, so coordinates may differ between machines; the content does not.
 */
public final class LeaderboardChart {
    // first, before any AWT class (Font, Color) is initialised: no display is needed
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** The file name of the figure beside results.json. */
    public static final String FILE = "leaderboard.svg";

    static final double LO = -0.2;
    static final double HI = 1.0;
    static final String POOLED = "pooled Spearman";
    static final String WITHIN = "within-decision Spearman";
    private static final int ROW = 16;
    private static final int WIDTH = 760;
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** Tier colours (ColorBrewer RdBu / PRGn ends): outcome green, observable blue, privileged red. */
    static final Map<String, Color> TIERS = Map.of(
            "outcome", new Color(0x1b7837),
            "observable", new Color(0x2166ac),
            "privileged", new Color(0xb2182b));

    private LeaderboardChart() {}

    /** Renders {@code results.json} (args[0]) to an SVG file (args[1]). */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) throw new IllegalArgumentException("usage: LeaderboardChart results.json out.svg");
        AtomicFiles.writeString(Path.of(args[1]), svg(ResultsJson.read(Path.of(args[0]))));
    }

    /** The rows drawn: leaderboard rows with at least one task, in leaderboard order. */
    static List<Results.LeaderRow> rows(Results r) {
        List<Results.LeaderRow> rows = new ArrayList<>();
        for (Results.LeaderRow row : r.leaderboard()) if (row.tasks() > 0) rows.add(row);
        return rows;
    }

    /** The row labels, top to bottom: the estimator, and "(k tasks)" when it covers fewer tasks than the widest row. */
    static String[] labels(List<Results.LeaderRow> rows) {
        int max = 0;
        for (Results.LeaderRow row : rows) max = Math.max(max, row.tasks());
        String[] out = new String[rows.size()];
        for (int i = 0; i < out.length; i++) {
            Results.LeaderRow row = rows.get(i);
            out[i] = row.estimator() + (row.tasks() < max ? " (" + row.tasks() + " tasks)" : "");
        }
        return out;
    }

    /**
     * The two series (pooled, within-decision): x = the clamped mean with its clamped interval
     * (the mean alone when the interval is missing), y = the row index offset by ∓0.18 so the two
     * marks of a row sit one above the other. A row without the metric has no item in that series.
     */
    static XIntervalSeriesCollection dataset(List<Results.LeaderRow> rows) {
        XIntervalSeries pooled = new XIntervalSeries(POOLED, false, true);
        XIntervalSeries within = new XIntervalSeries(WITHIN, false, true);
        for (int i = 0; i < rows.size(); i++) {
            add(pooled, rows.get(i).metrics().get("spearman_pooled"), i - 0.18);
            add(within, rows.get(i).metrics().get("spearman_within_decision"), i + 0.18);
        }
        XIntervalSeriesCollection d = new XIntervalSeriesCollection();
        d.addSeries(pooled);
        d.addSeries(within);
        return d;
    }

    private static void add(XIntervalSeries s, Results.MetricValue v, double y) {
        if (v == null || !Double.isFinite(v.mean())) return;
        double x = clamp(v.mean());
        boolean ci = Double.isFinite(v.lo()) && Double.isFinite(v.hi());
        s.add(x, ci ? clamp(v.lo()) : x, ci ? clamp(v.hi()) : x, y);
    }

    private static double clamp(double v) {
        return Math.max(LO, Math.min(HI, v));
    }

    /** The chart: an XY plot, values across, one row per estimator down. */
    static JFreeChart chart(Results r) {
        List<Results.LeaderRow> rows = rows(r);
        String suite = r.provenance() == null || r.provenance().suite() == null
                ? ""
                : Html.str(r.provenance().suite().name());
        NumberAxis values = new NumberAxis("Spearman rank correlation with the exact advantage");
        // a small margin so marks at the ends of the range are drawn whole
        values.setRange(LO - 0.02, HI + 0.02);
        values.setTickUnit(new NumberTickUnit(
                0.2,
                new java.text.DecimalFormat("0.0", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT))));
        values.setTickLabelFont(FONT);
        values.setLabelFont(FONT);
        SymbolAxis names = new SymbolAxis(null, labels(rows));
        names.setInverted(true);
        names.setRange(-0.6, Math.max(0.6, rows.size() - 0.4));
        names.setGridBandsVisible(true);
        names.setGridBandPaint(new Color(0xf6f6f6));
        names.setGridBandAlternatePaint(Color.WHITE);
        names.setTickLabelFont(FONT);
        names.setTickMarksVisible(false);
        XIntervalSeriesCollection data = dataset(rows);
        XYErrorRenderer renderer = new TierRenderer(rows, data);
        renderer.setDrawYError(false);
        renderer.setDrawXError(true);
        renderer.setCapLength(0);
        renderer.setErrorStroke(new BasicStroke(1.2f));
        renderer.setDefaultLinesVisible(false);
        renderer.setDefaultShapesVisible(true);
        renderer.setSeriesShape(0, new Ellipse2D.Double(-3, -3, 6, 6));
        renderer.setSeriesShape(1, diamond(3.5));
        renderer.setDefaultShapesFilled(true);
        renderer.setUseFillPaint(true);
        renderer.setUseOutlinePaint(true);
        renderer.setDrawOutlines(true);
        XYPlot plot = new XYPlot(data, values, names, renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setDomainAxisLocation(org.jfree.chart.axis.AxisLocation.BOTTOM_OR_LEFT);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlinesVisible(false);
        plot.setDomainZeroBaselineVisible(true);
        plot.setDomainZeroBaselinePaint(new Color(0x444444));
        plot.setOutlineVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        LegendItemCollection legend = new LegendItemCollection();
        legend.add(legendItem(POOLED, new Ellipse2D.Double(-3, -3, 6, 6), Color.DARK_GRAY, true));
        legend.add(legendItem(WITHIN, diamond(3.5), Color.DARK_GRAY, false));
        for (String tier : List.of("outcome", "observable", "privileged"))
            legend.add(legendItem("tier: " + tier, new Rectangle2D.Double(-4, -4, 8, 8), TIERS.get(tier), true));
        plot.setFixedLegendItems(legend);
        JFreeChart chart = new JFreeChart(null, FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setTitle(new TextTitle(
                "Credit quality vs the exact advantage (" + suite + " suite), 95% intervals over seeds",
                new Font(Font.SANS_SERIF, Font.BOLD, 14)));
        LegendTitle lt = new LegendTitle(plot);
        lt.setItemFont(FONT);
        lt.setPosition(RectangleEdge.TOP);
        lt.setFrame(org.jfree.chart.block.BlockBorder.NONE);
        chart.addSubtitle(lt);
        chart.setAntiAlias(true);
        return chart;
    }

    /** Marks and whiskers in the colour of their row's tier. */
    private static final class TierRenderer extends XYErrorRenderer {
        private static final long serialVersionUID = 1L;
        private final transient List<Results.LeaderRow> rows;
        private final transient XIntervalSeriesCollection data;

        TierRenderer(List<Results.LeaderRow> rows, XIntervalSeriesCollection data) {
            this.rows = rows;
            this.data = data;
        }

        @Override
        public Paint getItemPaint(int series, int item) {
            return tierColour(rows, (int) Math.round(data.getYValue(series, item)));
        }

        @Override
        public Paint getItemOutlinePaint(int series, int item) {
            return getItemPaint(series, item);
        }

        /** The pooled mark is filled with the tier colour, the within-decision mark with white. */
        @Override
        public Paint getItemFillPaint(int series, int item) {
            return series == 0 ? getItemPaint(series, item) : Color.WHITE;
        }

        @Override
        public boolean equals(Object o) {
            return super.equals(o);
        }

        @Override
        public int hashCode() {
            return super.hashCode();
        }
    }

    static Paint tierColour(List<Results.LeaderRow> rows, int row) {
        String tier = row >= 0 && row < rows.size() ? rows.get(row).tier() : null;
        Color c = tier == null ? null : TIERS.get(tier);
        return c == null ? TIERS.get("observable") : c;
    }

    private static LegendItem legendItem(String label, Shape shape, Color colour, boolean filled) {
        return new LegendItem(
                label,
                null,
                null,
                null,
                true,
                shape,
                filled,
                colour,
                true,
                colour,
                new BasicStroke(1f),
                false,
                new Rectangle2D.Double(0, 0, 0, 0),
                new BasicStroke(1f),
                colour);
    }

    private static Shape diamond(double r) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -r);
        p.lineTo(r, 0);
        p.lineTo(0, r);
        p.lineTo(-r, 0);
        p.closePath();
        return p;
    }

    /** The SVG document of the figure for {@code r}. */
    public static String svg(Results r) {
        int n = rows(r).size();
        int height = 110 + Math.max(1, n) * ROW + 50;
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, height);
        // fixed prefix for clip-path and gradient ids, so the same results give the same file
        g.setDefsKeyPrefix("lb");
        chart(r).draw(g, new Rectangle(0, 0, WIDTH, height));
        return g.getSVGDocument() + "\n";
    }
}
