package dev.apportion.bench.cli;

import dev.apportion.bench.run.Progress;
import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on a stream (stderr), redrawn at most every 200 ms. Thread-safe. */
final class StderrProgress implements Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private int total;
    private int done;
    private long last;
    private final long startNanos = System.nanoTime();

    StderrProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void start(int total) {
        this.total = Math.max(1, total);
        draw("starting");
    }

    @Override
    public synchronized void advance(String label) {
        done++;
        long now = System.nanoTime();
        if (now - last > 200_000_000L || done == total) {
            last = now;
            draw(label);
        }
    }

    @Override
    public synchronized void finish() {
        draw("done");
        out.println();
        out.flush();
    }

    private void draw(String label) {
        int filled = (int) ((long) WIDTH * done / total);
        String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
        String l = label.length() > 48 ? label.substring(0, 47) + "…" : label;
        double secs = (System.nanoTime() - startNanos) / 1e9;
        out.print(String.format(
                Locale.ROOT, "\r[%s] %3d%% %d/%d %5.1fs %-48s", bar, 100L * done / total, done, total, secs, l));
        out.flush();
    }
}
