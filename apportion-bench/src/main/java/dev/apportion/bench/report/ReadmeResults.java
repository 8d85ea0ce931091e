package dev.apportion.bench.report;

import dev.apportion.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The README's benchmark results section, generated from a results.json ({@code apportion bench
 * --readme-from docs/results/results.json}): what ran and on which machine (suite, seeds, grid,
 * commit, processors, memory, wall and CPU time, peak memory, load average), the leaderboard figure
 * the run wrote ({@code leaderboard.svg} beside the results), the headline leaderboard rows with
 * their 95% intervals, and every claim row with its interval, Holm-corrected p-value and verdict.
 * The text goes between {@link #BEGIN} and {@link #END} in the README; everything else is kept.
 */
public final class ReadmeResults {
    public static final String BEGIN = "<!-- results:begin -->";
    public static final String END = "<!-- results:end -->";

    /** Leaderboard rows shown by rank; the estimators of {@link #ALWAYS} are added wherever they rank. */
    static final int TOP = 15;

    /** Baselines and references a reader looks for, shown whatever their rank. */
    static final List<String> ALWAYS =
            List.of("oracle", "trajectory_oracle", "grpo", "rloo", "dr_grpo", "gigpo", "gae", "random");

    private ReadmeResults() {}

    /**
     * Rewrites the section between the markers of {@code readme} from {@code resultsJson}.
     *
     * @return whether the file changed
     * @throws IllegalArgumentException when the README lacks the markers
     * @throws IOException when the results cannot be read or are not a bench results file (the message names the
     *     file and the field)
     */
    public static boolean update(Path resultsJson, Path readme) throws IOException {
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String section = section(resultsJson, readme.toAbsolutePath().getParent());
        String updated = splice(text, section, readme.toString());
        if (updated.equals(text)) return false;
        AtomicFiles.writeString(readme, updated);
        return true;
    }

    /** {@code text} with the part between the markers replaced by {@code section}. */
    public static String splice(String text, String section, String where) {
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException(
                    where + ": no '" + BEGIN + "' ... '" + END + "' markers (add them where the results go)");
        }
        return text.substring(0, b) + BEGIN + "\n" + section + END + text.substring(e + END.length());
    }

    /** The part of {@code readme} between the markers (without them), or null when it has none. */
    public static String current(String text) {
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) return null;
        return text.substring(b + BEGIN.length() + 1, e);
    }

    /**
     * The generated section for {@code resultsJson}; links are relative to {@code readmeDir}.
     */
    public static String section(Path resultsJson, Path readmeDir) throws IOException {
        return section(
                ResultsJson.read(resultsJson), resultsJson.toAbsolutePath().getParent(), readmeDir);
    }

    /** The generated section for results read from directory {@code dir}; links are relative to {@code readmeDir}. */
    static String section(Results r, Path dir, Path readmeDir) {
        String rel = readmeDir
                .toAbsolutePath()
                .normalize()
                .relativize(dir.toAbsolutePath().normalize())
                .toString()
                .replace('\\', '/');
        String base = rel.isEmpty() ? "" : rel + "/";
        StringBuilder b = new StringBuilder();
        Results.RunProvenance prov = r.provenance() != null
                ? r.provenance()
                : new Results.RunProvenance(null, null, null, 0, null, null, null);
        Results.SuiteInfo suite = prov.suite() != null
                ? prov.suite()
                : new Results.SuiteInfo(null, null, 0, 0, 0, 0, 0, Double.NaN, null, List.of());
        Results.LearningSetup learning = suite.learning() != null
                ? suite.learning()
                : new Results.LearningSetup(0, 0, 0, 0, Double.NaN, new double[0], 0, null, Double.NaN);
        Results.Timing tm =
                r.timing() != null ? r.timing() : new Results.Timing(null, null, 0, Double.NaN, Map.of(), null);
        int boardTasks = 0;
        int configs = 0;
        for (Results.Task t : r.tasks()) {
            if (t.inSuite()) configs++;
            if (t.inSuite() && t.leaderboard()) boardTasks++;
        }
        String suiteName = suite.name() == null ? "" : suite.name();
        String requested = prov.request() == null
                ? suiteName
                : prov.request().path("suite").asText(suiteName);
        b.append("<!-- generated by `apportion bench --readme-from ")
                .append(base)
                .append("results.json`; edit the generator (ReadmeResults), not this text -->\n\n");
        b.append("`apportion bench --suite ")
                .append(requested)
                .append("`: ")
                .append(configs)
                .append(" task configurations (")
                .append(boardTasks)
                .append(" leaderboard tasks, the rest are sweeps), ")
                .append(suite.seeds())
                .append(" credit-quality seeds and ")
                .append(suite.learningSeeds())
                .append(" learning seeds, ")
                .append(learning.updates())
                .append(" updates of ")
                .append(learning.groups() * learning.groupSize())
                .append(" episodes, learning-rate grid ")
                .append(grid(learning.learningRateGrid()))
                .append(" tuned per estimator and task on ")
                .append(learning.tuningSeeds())
                .append(" disjoint seeds. Commit `")
                .append(shortCommit(prov.gitCommit() == null ? "unknown" : prov.gitCommit()))
                .append("`, finished ")
                .append(tm.createdAt() == null ? "?" : tm.createdAt())
                .append(". Files: [`results.json`](")
                .append(base)
                .append("results.json), [`results.csv`](")
                .append(base)
                .append("results.csv), [`report.html`](")
                .append(base)
                .append("report.html) (self-contained; open it locally).\n\n");
        b.append(machine(tm, tm.machine())).append("\n\n");
        b.append("![Leaderboard: pooled and within-decision Spearman with 95% intervals, coloured by signal tier](")
                .append(base)
                .append(LeaderboardChart.FILE)
                .append(")\n\n");
        b.append("Headline rows of the leaderboard (the first ")
                .append(TOP)
                .append(
                        " by rank, plus the references and common baselines wherever they rank; the whole table is in the report). "
                                + "Each number is the mean over the leaderboard tasks the estimator ran on (*tasks*: its coverage), "
                                + "with a 95% interval over seeds; *tier* says which inputs the row used: `outcome` (rewards only), "
                                + "`observable` (log-probs, a noisy critic / PRM / teacher, a verifier, extra rollouts charged to the "
                                + "budget) or `privileged` (exact solver quantities). *learn AUC* is the mean exact success over "
                                + "training at each estimator's tuned learning rate.\n\n");
        b.append("| # | estimator | tier | tasks | Spearman pooled | within trajectory | within decision "
                + "| sign agreement | learn AUC | final success |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        List<Results.LeaderRow> rows = new ArrayList<>();
        for (Results.LeaderRow row : r.leaderboard()) if (row.tasks() > 0) rows.add(row);
        Set<String> always = new LinkedHashSet<>(ALWAYS);
        for (int i = 0; i < rows.size(); i++) {
            Results.LeaderRow row = rows.get(i);
            if (i >= TOP && !always.contains(row.estimator())) continue;
            b.append("| ")
                    .append(i + 1)
                    .append(" | `")
                    .append(row.estimator())
                    .append("` | ")
                    .append(row.tier())
                    .append(" | ")
                    .append(row.tasks())
                    .append('/')
                    .append(boardTasks)
                    .append(" | ")
                    .append(cell(row, "spearman_pooled"))
                    .append(" | ")
                    .append(cell(row, "spearman_within_trajectory"))
                    .append(" | ")
                    .append(cell(row, "spearman_within_decision"))
                    .append(" | ")
                    .append(cell(row, "sign_agreement"))
                    .append(" | ")
                    .append(cell(row, "learn_auc"))
                    .append(" | ")
                    .append(cell(row, "final_success"))
                    .append(" |\n");
        }
        b.append('\n');
        b.append(rows.size()).append(" estimators ran on at least one leaderboard task.\n\n");
        List<Results.ClaimEntry> claims = r.claims();
        if (!claims.isEmpty()) {
            b.append("Published claims, rerun with ablations (paired by seed; two-sided paired t-tests, Holm-corrected "
                    + "over all rows of the run; a claim holds only if every row holds and is contradicted only if "
                    + "every row is):\n\n");
            b.append("| claim | comparison | metric | difference [95% CI] | Holm p | verdict |\n");
            b.append("|---|---|---|---|---|---|\n");
            for (Results.ClaimEntry c : claims) {
                List<Results.ClaimRow> claimRows = Results.orEmpty(c.rows());
                if (claimRows.isEmpty()) {
                    b.append("| `")
                            .append(c.id())
                            .append("` | | ")
                            .append(c.metric())
                            .append(" | | | ")
                            .append(c.status())
                            .append(c.reason() != null ? ": " + c.reason() : "")
                            .append(" |\n");
                    continue;
                }
                for (Results.ClaimRow row : claimRows) {
                    Results.Stat d = row.difference();
                    b.append("| `")
                            .append(c.id())
                            .append("` | ")
                            .append(row.comparison())
                            .append(" | ")
                            .append(c.metric())
                            .append(" | ")
                            .append(signed(d == null ? Double.NaN : d.mean()))
                            .append(" [")
                            .append(signed(d == null ? Double.NaN : d.lo()))
                            .append(", ")
                            .append(signed(d == null ? Double.NaN : d.hi()))
                            .append("] | ")
                            .append(fixed(row.pHolm(), 3))
                            .append(" | ")
                            .append(row.verdict())
                            .append(" |\n");
                }
            }
            b.append('\n');
            b.append("Claim verdicts: ");
            List<String> v = new ArrayList<>();
            for (Results.ClaimEntry c : claims) v.add("`" + c.id() + "` " + c.status());
            b.append(String.join("; ", v)).append(".\n\n");
        }
        return b.toString();
    }

    private static String machine(Results.Timing tm, Results.Machine mc) {
        StringBuilder b = new StringBuilder("Machine and cost: ");
        if (mc == null) {
            b.append("not recorded by this results file (older format); ")
                    .append(tm.threads())
                    .append(" threads, ")
                    .append(duration(tm.totalSeconds()))
                    .append(" wall.");
            return b.toString();
        }
        b.append(orZero(mc.availableProcessors())).append(" processors");
        if (mc.cpuModel() != null) b.append(" (").append(mc.cpuModel()).append(')');
        if (mc.memoryTotalMb() != null)
            b.append(String.format(Locale.ROOT, ", %.1f GB memory", mc.memoryTotalMb() / 1024.0));
        b.append(", ").append(mc.os()).append(", ").append(mc.javaVm());
        b.append("; `--threads ").append(tm.threads()).append("`: ");
        b.append(duration(tm.totalSeconds())).append(" wall");
        if (mc.processCpuSeconds() != null && !mc.processCpuSeconds().isNaN())
            b.append(", ").append(duration(mc.processCpuSeconds())).append(" CPU");
        if (mc.peakResidentMb() != null)
            b.append(", ").append(mc.peakResidentMb()).append(" MB peak resident memory");
        b.append(" (heap capped at ").append(orZero(mc.maxHeapMb())).append(" MB)");
        b.append(", load average ")
                .append(fixed(mc.loadAverageStart() == null ? Double.NaN : mc.loadAverageStart(), 2))
                .append(" at the start and ")
                .append(fixed(mc.loadAverageEnd() == null ? Double.NaN : mc.loadAverageEnd(), 2))
                .append(" at the end");
        long resumed = orZero(mc.unitsResumed());
        b.append("; ").append(orZero(mc.unitsRun())).append(" work units");
        if (resumed > 0)
            b.append(" (plus ")
                    .append(resumed)
                    .append(" read back from an interrupted run's journal, whose time is not included)");
        b.append('.');
        return b.toString();
    }

    private static long orZero(Number n) {
        return n == null ? 0 : n.longValue();
    }

    static String duration(double secs) {
        if (!Double.isFinite(secs)) return "?";
        long s = Math.round(secs);
        if (s < 60) return s + " s";
        if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
        return (s / 3600) + " h " + (s / 60 % 60) + " min";
    }

    private static String shortCommit(String c) {
        return c.matches("[0-9a-f]{40}.*") ? c.substring(0, 12) + c.substring(40) : c;
    }

    private static String grid(double[] g) {
        List<String> v = new ArrayList<>();
        for (double d : g == null ? new double[0] : g)
            v.add(d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d));
        return "[" + String.join(", ", v) + "]";
    }

    private static String cell(Results.LeaderRow row, String metric) {
        Results.MetricValue m = row.metrics().get(metric);
        if (m == null || Double.isNaN(m.mean())) return "–";
        return fixed(m.mean(), 3) + " [" + fixed(m.lo(), 2) + ", " + fixed(m.hi(), 2) + "]";
    }

    private static String fixed(double v, int digits) {
        if (Double.isNaN(v)) return "–";
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String signed(double v) {
        if (Double.isNaN(v)) return "–";
        return String.format(Locale.ROOT, "%+.3f", v);
    }
}
