package dev.apportion.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.Rollouts.SignalKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code apportion perf --scaling}: time and peak heap against batch size (×10 steps), per
 * estimator, with the log-log slope of time against tokens; optionally a PNG plot
 * ({@link ScalingChart}, JFreeChart, headless). Checks up front, and before each size from the peak
 * measured at the previous one, that the heap can hold the batch, and says which -Xmx to use when not.
 */
final class PerfScaling {
    /**
     * GRPO family, GAE, GiGPO, ITPO and A³ — A³ the heaviest turn-level method of the Dec 7 2026 idle
     * 'perf --all' run on the multi-turn shape, ITPO the heaviest before the third performance pass
     * (measured: see README).
     */
    static final String DEFAULT_ESTIMATORS = "grpo,dr_grpo,rloo,gae,gigpo,itpo,a3";

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
        List<Estimator> ests = new ArrayList<>();
        for (String id : ids) ests.add(registry.get(id));
        long heap = Runtime.getRuntime().maxMemory();
        // up front: a lower bound of the largest batch (its token arrays, one output and one floor stream)
        for (Estimator e : ests) {
            Descriptor d = e.descriptor();
            PerfSuite.Shape shape = turnLike(d) ? PerfSuite.Shape.MULTITURN : PerfSuite.Shape.SINGLE;
            SyntheticBatch.Spec big = shape.spec(d, max, settings.seed());
            double bpt = arrayBytesPerToken(shape.spec(d, Math.min(max, PROBE_TOKENS), settings.seed()), d) + 8;
            double need = bpt * big.tokens();
            if (need > heap) {
                err.println(tooSmall(d.id(), big.tokens(), need, heap, "its batch arrays alone"));
                err.flush();
                return ExitCodes.BAD_INPUT;
            }
        }
        PerfSuite suite = new PerfSuite(settings, err);
        Map<String, List<Point>> series = new LinkedHashMap<>();
        List<String> stopped = new ArrayList<>();
        for (Estimator e : ests) {
            Descriptor d = e.descriptor();
            String id = d.id();
            PerfSuite.Shape shape = turnLike(d) ? PerfSuite.Shape.MULTITURN : PerfSuite.Shape.SINGLE;
            List<Point> pts = new ArrayList<>();
            for (long n = min; n <= max; n *= 10) {
                SyntheticBatch.Spec spec = shape.spec(d, n, settings.seed());
                // before each size: the peak measured at the largest size so far (>= 1e6 tokens, where G1's
                // region granularity no longer hides it), with a margin, must fit in the heap
                Point last = pts.isEmpty() ? null : pts.get(pts.size() - 1);
                if (last != null && last.tokens() >= 900_000 && last.peakBytesPerToken() > 0) {
                    double need = 1.25 * last.peakBytesPerToken() * spec.tokens();
                    if (need > heap) {
                        String msg = tooSmall(
                                id,
                                spec.tokens(),
                                need,
                                heap,
                                String.format(
                                        Locale.ROOT,
                                        "%.1f bytes/token peak at %d tokens, +25%%",
                                        last.peakBytesPerToken(),
                                        last.tokens()));
                        err.println(msg + "; stopping this estimator");
                        err.flush();
                        stopped.add(id + " at " + spec.tokens() + " tokens");
                        break;
                    }
                }
                err.printf(Locale.ROOT, "perf: scaling %s: building %,d tokens (%s)%n", id, spec.tokens(), shape.wire);
                err.flush();
                long base = PerfSuite.usedHeapAfterGc();
                PerfSuite.resetPeaks();
                Rollouts batch;
                List<PerfSuite.Result> rs;
                try {
                    batch = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
                    err.printf(Locale.ROOT, "perf: scaling %s: timing %,d tokens%n", id, spec.tokens());
                    err.flush();
                    rs = suite.time(
                            e, Params.resolve(d, null, Map.of()), batch, shape.wire, threads.subList(0, 1), base, true);
                } catch (OutOfMemoryError oom) {
                    batch = null;
                    err.println(
                            tooSmall(id, spec.tokens(), Double.NaN, heap, "out of heap") + "; stopping this estimator");
                    err.flush();
                    stopped.add(id + " at " + spec.tokens() + " tokens");
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
                List<Point> bigger =
                        pts.stream().filter(p -> p.tokens() >= 900_000).toList();
                if (bigger.size() >= 2) {
                    double[] bx = bigger.stream().mapToDouble(Point::tokens).toArray();
                    m.put(
                            "loglog_slope_from_1e6",
                            round3(PerfSuite.logLogSlope(
                                    bx, bigger.stream().mapToDouble(Point::ms).toArray())));
                    m.put(
                            "loglog_slope_cpu_from_1e6",
                            round3(PerfSuite.logLogSlope(
                                    bx,
                                    bigger.stream().mapToDouble(Point::plotted).toArray())));
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
            err.println("perf: drawing " + plot);
            err.flush();
            ScalingChart.write(series, plot);
            err.println("perf: wrote " + plot);
        }
        err.flush();
        if (!stopped.isEmpty()) {
            err.println("perf: --scaling did not reach --max-tokens for " + String.join(", ", stopped)
                    + " (raise -Xmx, e.g. JAVA_OPTS=-Xmx12g)");
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.OK;
    }

    /** Tokens of the batch whose token arrays {@link #arrayBytesPerToken} measures. */
    private static final long PROBE_TOKENS = 1 << 16;

    /**
     * Bytes per token of the token-level arrays of the batch of {@code spec} (mask, token signals,
     * token vectors, token text references): built on a small batch, a lower bound of what the batch
     * holds per token at any size.
     */
    static double arrayBytesPerToken(SyntheticBatch.Spec spec, Descriptor d) {
        Rollouts b = SyntheticBatch.build(spec, SyntheticBatch.extrasFor(d), (x, y) -> {});
        double bytes = b.mask().length;
        for (float[] a : b.tokenSignals().values()) bytes += 4.0 * a.length;
        for (String v : b.tokenVectorNames()) bytes += 4.0 * b.signal(SignalKind.TOKEN_VECTOR, v).length;
        for (String v : b.tokenMatrixNames()) bytes += 4.0 * b.tokenMatrix(v).length;
        if (b.tokenText() != null) bytes += 4.0 * b.tokenText().length;
        return bytes / Math.max(1, b.tokenCount());
    }

    private static String tooSmall(String id, long tokens, double need, long heap, String basis) {
        String needs =
                Double.isNaN(need) ? "" : String.format(Locale.ROOT, " needs about %.1f GB (%s)", need / 1e9, basis);
        return String.format(
                Locale.ROOT,
                "perf: --scaling: %s at %,d tokens%s%s; the heap is %.1f GB (-Xmx): rerun with a larger -Xmx "
                        + "(JAVA_OPTS=-Xmx12g for 1e8 tokens) or a smaller --max-tokens",
                id,
                tokens,
                needs,
                Double.isNaN(need) ? " ran out of heap" : "",
                heap / 1e9);
    }

    private static boolean turnLike(Descriptor d) {
        return d.granularity() != Granularity.TRAJECTORY && d.granularity() != Granularity.TOKEN;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
