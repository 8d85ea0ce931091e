package dev.apportion.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jfree.data.xy.XIntervalSeriesCollection;
import org.junit.jupiter.api.Test;

/** leaderboard.svg drawn by JFreeChart: the rows, their values and intervals, the labels and the legend. */
class LeaderboardChartTest {
    private static Results mini() throws IOException {
        try (InputStream in =
                LeaderboardChartTest.class.getResourceAsStream("/dev/apportion/bench/results-mini.json")) {
            return ResultsJson.parse(in.readAllBytes(), "results-mini.json");
        }
    }

    @Test
    void theSeriesHoldEveryRowsMeanAndInterval() throws Exception {
        Results r = mini();
        List<Results.LeaderRow> rows = LeaderboardChart.rows(r);
        XIntervalSeriesCollection d = LeaderboardChart.dataset(rows);
        assertEquals(2, d.getSeriesCount());
        assertEquals(LeaderboardChart.POOLED, d.getSeriesKey(0));
        assertEquals(LeaderboardChart.WITHIN, d.getSeriesKey(1));
        // pooled: both rows; oracle with its interval, grpo_half without one (null in the file)
        assertEquals(2, d.getItemCount(0));
        assertEquals(1.0, d.getXValue(0, 0));
        assertEquals(0.25, d.getXValue(0, 1));
        assertEquals(0.25, d.getStartXValue(0, 1), "no interval: the whisker has no length");
        assertEquals(0, Math.round(d.getYValue(0, 0)));
        assertEquals(1, Math.round(d.getYValue(0, 1)));
        // within-decision: grpo_half's mean is null, so only the oracle has a mark
        assertEquals(1, d.getItemCount(1));
        assertEquals(1.0, d.getEndXValue(1, 0));
    }

    @Test
    void theSvgNamesEveryRowTheSuiteAndTheLegend() throws Exception {
        Results r = mini();
        String svg = LeaderboardChart.svg(r);
        assertTrue(svg.startsWith("<?xml"), svg.substring(0, 40));
        assertTrue(svg.contains("<svg"));
        List<String> texts = texts(svg);
        for (String label : List.of("oracle", "grpo_half", LeaderboardChart.POOLED, LeaderboardChart.WITHIN))
            assertTrue(texts.contains(label), label + " in " + texts);
        for (String tier : List.of("outcome", "observable", "privileged"))
            assertTrue(texts.contains("tier: " + tier), tier + " in " + texts);
        assertTrue(texts.stream().anyMatch(t -> t.contains("(mini suite)")), "the title names the suite: " + texts);
        assertTrue(texts.contains("0.0") && texts.contains("1.0") && texts.contains("-0.2"), "axis ticks: " + texts);
        // the two rows: oracle in the privileged colour, grpo_half in the outcome colour
        assertTrue(svg.contains("rgb(178,24,43)") || svg.contains("#b2182b"), "privileged colour");
        assertTrue(svg.contains("rgb(27,120,55)") || svg.contains("#1b7837"), "outcome colour");
        assertEquals(svg, LeaderboardChart.svg(r), "the same results give the same file");
        assertEquals("true", System.getProperty("java.awt.headless"));
    }

    @Test
    void rowsThatCoverFewerTasksSayHowMany() throws Exception {
        Results r = mini();
        List<Results.LeaderRow> rows = List.of(
                new Results.LeaderRow("a", "outcome", 3, java.util.Map.of()),
                new Results.LeaderRow("b", "observable", 1, java.util.Map.of()));
        assertEquals(List.of("a", "b (1 tasks)"), List.of(LeaderboardChart.labels(rows)));
        assertFalse(LeaderboardChart.svg(r).contains("tasks)"), "every row of the fixture covers its one task");
    }

    private static List<String> texts(String svg) {
        Matcher m = Pattern.compile("<text[^>]*>([^<]*)</text>").matcher(svg);
        List<String> out = new java.util.ArrayList<>();
        while (m.find())
            out.add(m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"));
        return out;
    }
}
