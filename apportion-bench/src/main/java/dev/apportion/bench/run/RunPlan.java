package dev.apportion.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run would do, without running it ({@code apportion bench --plan}): per configuration the
 * applicable estimators and the work units of each kind, with the {@link CostModel} estimate.
 *
 * @param suite suite name
 * @param rows one row per configuration (suite entries, sweep points, claim-only configurations)
 * @param threads worker threads the estimate assumes
 */
public record RunPlan(String suite, List<Row> rows, int threads) {
    /**
     * One configuration.
     *
     * @param id configuration id
     * @param entry suite entry (or claim) it comes from
     * @param creditEstimators estimators measured for credit quality
     * @param learnEstimators estimators in the learning comparison
     * @param creditUnits credit units (one per seed)
     * @param tuningUnits learning-rate tuning units (estimators × grid × tuning seeds)
     * @param learningUnits reported learning units (estimators × learning seeds)
     * @param seconds estimated seconds of one core
     */
    public record Row(
            String id,
            String entry,
            int creditEstimators,
            int learnEstimators,
            int creditUnits,
            int tuningUnits,
            int learningUnits,
            double seconds) {
        public int units() {
            return creditUnits + tuningUnits + learningUnits;
        }
    }

    static RunPlan of(Runner.Options o, Planning.Result plan) {
        Suite s = o.suite();
        CostModel cost = new CostModel(s, o.rootSeed());
        boolean tune = s.learningRateGrid().size() > 1 && s.tuningSeeds() > 0;
        int perTune = tune ? s.learningRateGrid().size() * s.tuningSeeds() : 0;
        List<Row> rows = new ArrayList<>();
        for (Plan p : plan.plans) {
            int c = 0;
            for (String l : p.creditLabels) if (!p.inapplicable.containsKey(l)) c++;
            int le = 0;
            for (String l : p.learnLabels) if (!p.inapplicable.containsKey(l)) le++;
            int cu = s.seeds();
            int tu = le * perTune;
            int lu = le * s.learningSeeds();
            double secs = cu * cost.credit(p) + (tu + lu) * cost.learn(p);
            rows.add(new Row(p.id, p.entry, c, le, cu, tu, lu, secs));
        }
        return new RunPlan(s.name(), rows, o.threads());
    }

    public int units() {
        int n = 0;
        for (Row r : rows) n += r.units();
        return n;
    }

    /** Task instances: configurations × credit seeds. */
    public int instances() {
        int n = 0;
        for (Row r : rows) n += r.creditUnits();
        return n;
    }

    public double seconds() {
        double t = 0;
        for (Row r : rows) t += r.seconds();
        return t;
    }

    /** Per suite entry: {units, seconds}, in suite order. */
    public Map<String, double[]> byEntry() {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Row r : rows) {
            double[] a = m.computeIfAbsent(r.entry(), k -> new double[3]);
            a[0] += r.units();
            a[1] += r.seconds();
            a[2]++;
        }
        return m;
    }

    /** The plan as a text table: one line per configuration, then per entry, then the totals. */
    public String render() {
        StringBuilder b = new StringBuilder();
        String fmt = "%-52s %5s %5s %7s %7s %8s %9s%n";
        b.append(String.format(
                Locale.ROOT, fmt, "configuration", "cEst", "lEst", "credit", "tuning", "learning", "est. s"));
        for (Row r : rows) {
            b.append(String.format(
                    Locale.ROOT,
                    fmt,
                    r.id().length() > 52 ? r.id().substring(0, 51) + "…" : r.id(),
                    r.creditEstimators(),
                    r.learnEstimators(),
                    r.creditUnits(),
                    r.tuningUnits(),
                    r.learningUnits(),
                    String.format(Locale.ROOT, "%.0f", r.seconds())));
        }
        b.append(String.format(Locale.ROOT, "%nper entry%n%-52s %7s %8s %9s%n", "entry", "configs", "units", "est. s"));
        for (Map.Entry<String, double[]> e : byEntry().entrySet()) {
            b.append(String.format(
                    Locale.ROOT,
                    "%-52s %7d %8d %9.0f%n",
                    e.getKey(),
                    (int) e.getValue()[2],
                    (long) e.getValue()[0],
                    e.getValue()[1]));
        }
        double secs = seconds();
        b.append(String.format(
                Locale.ROOT,
                "%nsuite '%s': %d configurations, %d task instances (configurations × seeds), %d work units; "
                        + "estimated %.0f core-seconds, about %.0f min wall with %d threads on an idle machine%n",
                suite,
                rows.size(),
                instances(),
                units(),
                secs,
                secs / threads / 60,
                threads));
        return b.toString();
    }
}
