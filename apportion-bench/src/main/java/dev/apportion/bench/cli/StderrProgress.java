package dev.apportion.bench.cli;

import dev.apportion.bench.run.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a stream (stderr), redrawn at most every 200 ms, with an estimate of
 * the time left: the elapsed time times the estimated cost still to run over the estimated cost
 * run so far (units read back from the journal count as done but not as speed). Thread-safe.
 */
final class StderrProgress implements Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final boolean lines;
    private int total;
    private int done;
    private double totalCost;
    private double doneCost;
    private double resumedCost;
    private long last;
    private final long startNanos = System.nanoTime();

    /**
     * @param lines one line per redraw (every 30 s) instead of redrawing in place, for log files
     */
    StderrProgress(PrintStream out, boolean lines) {
        this.out = out;
        this.lines = lines;
    }

    @Override
    public synchronized void start(int total) {
        start(total, total, 0, 0);
    }

    @Override
    public synchronized void start(int total, double totalCost, int resumed, double resumedCost) {
        this.total = Math.max(1, total);
        this.totalCost = totalCost;
        this.done = resumed;
        this.doneCost = resumedCost;
        this.resumedCost = resumedCost;
        draw(resumed > 0 ? "resuming: " + resumed + " units from the journal" : "starting");
    }

    @Override
    public void advance(String label) {
        advance(label, 1);
    }

    @Override
    public synchronized void advance(String label, double cost) {
        done++;
        doneCost += cost;
        long now = System.nanoTime();
        if (now - last > (lines ? 30_000_000_000L : 200_000_000L) || done == total) {
            last = now;
            draw(label);
        }
    }

    @Override
    public synchronized void skip(double cost) {
        done++;
        doneCost += cost;
        resumedCost += cost;
    }

    @Override
    public synchronized void finish() {
        draw("done");
        if (!lines) out.println();
        out.flush();
    }

    /** Seconds left, or NaN before anything ran. */
    static double eta(double elapsed, double ranCost, double leftCost) {
        if (ranCost <= 0 || elapsed <= 0) return Double.NaN;
        return elapsed * leftCost / ranCost;
    }

    static String clock(double secs) {
        if (Double.isNaN(secs)) return "--:--";
        long s = Math.round(secs);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private void draw(String label) {
        int filled = (int) Math.min(WIDTH, (long) WIDTH * done / total);
        String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
        String l = label.length() > 48 ? label.substring(0, 47) + "…" : label;
        double secs = (System.nanoTime() - startNanos) / 1e9;
        double left = done >= total ? 0 : eta(secs, doneCost - resumedCost, Math.max(0, totalCost - doneCost));
        out.print(String.format(
                Locale.ROOT,
                "%s[%s] %3d%% %d/%d %s elapsed, ETA %s %-48s%s",
                lines ? "" : "\r",
                bar,
                100L * done / total,
                done,
                total,
                clock(secs),
                clock(left),
                l,
                lines ? "\n" : ""));
        out.flush();
    }
}
