package dev.apportion.bench.run;

import dev.apportion.bench.batch.BatchSampler;
import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.estimators.BenchReference;
import dev.apportion.bench.learn.RolloutCost;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.metrics.CreditMetrics;
import dev.apportion.bench.task.Knobs;
import dev.apportion.bench.task.SignalModel;
import dev.apportion.bench.task.Task;
import dev.apportion.bench.task.TaskFamilies;
import dev.apportion.bench.task.TaskFamily;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.SignalRequirement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Planning, the first stage of a run: resolves the estimators, expands the suite's entries and
 * the claims' tasks into configurations ({@link Plan}; a claim configuration equal to a suite one
 * reuses it), and decides per configuration which estimators apply, at which signal tier.
 */
final class Planning {
    static final EstimatorInputs INPUTS = EstimatorInputs.builtIn();

    /** The plan of a whole run. */
    static final class Result {
        final Map<String, EstimatorRef.Resolved> resolved = new LinkedHashMap<>();
        final List<EstimatorRef> suiteRefs = new ArrayList<>();
        final List<Plan> plans = new ArrayList<>();
        final Map<Claim, List<Plan>> claimPlans = new LinkedHashMap<>();
        final Map<Claim, String> claimBlocked = new LinkedHashMap<>();
    }

    private Planning() {}

    static Result plan(Runner.Options o) {
        Result out = new Result();
        Suite suite = o.suite();
        EstimatorRegistry reg = o.registry();
        if (o.estimators() == null) {
            for (String id : reg.ids()) out.suiteRefs.add(EstimatorRef.parse(id));
        } else {
            out.suiteRefs.addAll(o.estimators());
        }
        for (EstimatorRef r : out.suiteRefs) out.resolved.put(r.label(), r.resolve(reg));

        Map<String, Plan> byKey = new LinkedHashMap<>();
        Map<String, Plan> plansById = new LinkedHashMap<>();
        Set<String> filter = o.taskFilter() == null ? null : new LinkedHashSet<>(o.taskFilter());
        suitePlans(o, out, filter, byKey, plansById);
        claimPlans(o, out, filter, byKey, plansById);
        out.plans.addAll(plansById.values());
        for (Plan p : out.plans) applicability(p, out.resolved, o.rootSeed());
        return out;
    }

    private static void suitePlans(
            Runner.Options o, Result out, Set<String> filter, Map<String, Plan> byKey, Map<String, Plan> plansById) {
        Suite suite = o.suite();
        Set<String> usedFilter = new LinkedHashSet<>();
        for (TaskEntry e : suite.tasks()) {
            if (filter != null) {
                boolean keep = filter.contains(e.id()) || filter.contains(e.family());
                if (!keep) continue;
                if (filter.contains(e.id())) usedFilter.add(e.id());
                if (filter.contains(e.family())) usedFilter.add(e.family());
            }
            TaskFamily f = TaskFamilies.get(e.family());
            List<Object> values = e.sweepKnob() == null ? Collections.singletonList(null) : e.sweepValues();
            for (Object v : values) {
                Map<String, Object> k = new LinkedHashMap<>(e.knobs());
                String id = e.id();
                if (v != null) {
                    k.put(e.sweepKnob(), v);
                    id = e.id() + "[" + e.sweepKnob() + "=" + v + "]";
                }
                Knobs knobs = f.knobs(k);
                Plan p = new Plan(id, e.id(), f, knobs, true, e.leaderboard(), e.bsuite());
                if (plansById.containsKey(id)) {
                    throw new IllegalArgumentException(
                            "suite '" + suite.name() + "': task id '" + id + "' appears twice");
                }
                plansById.put(id, p);
                byKey.putIfAbsent(knobs.canonical(), p);
                p.creditLabels.addAll(out.resolved.keySet());
                if (e.learning()) p.learnLabels.addAll(out.resolved.keySet());
            }
        }
        if (filter != null) {
            Set<String> unknown = new LinkedHashSet<>(filter);
            unknown.removeAll(usedFilter);
            if (!unknown.isEmpty()) {
                Set<String> known = new LinkedHashSet<>();
                for (TaskEntry e : suite.tasks()) {
                    known.add(e.id());
                    known.add(e.family());
                }
                throw new IllegalArgumentException("--tasks: unknown task " + unknown + " in suite '" + suite.name()
                        + "'; known: " + String.join(", ", known));
            }
        }
    }

    private static void claimPlans(
            Runner.Options o, Result out, Set<String> filter, Map<String, Plan> byKey, Map<String, Plan> plansById) {
        EstimatorRegistry reg = o.registry();
        for (Claim c : o.claims()) {
            List<String> missing = new ArrayList<>();
            for (EstimatorRef r : c.estimators()) {
                if (!reg.has(r.id())) missing.add(r.id());
            }
            if (!missing.isEmpty()) {
                out.claimBlocked.put(c, "estimator not available: " + String.join(", ", missing) + " (not registered)");
                continue;
            }
            if (filter != null && !filter.contains(c.family())) {
                out.claimBlocked.put(c, "not run: family '" + c.family() + "' filtered out by --tasks");
                continue;
            }
            boolean learn = Runner.LEARNING_METRICS.contains(c.metric());
            TaskFamily f = TaskFamilies.get(c.family());
            List<Plan> plans = new ArrayList<>();
            List<Object> values = c.sweepKnob() == null ? Collections.singletonList(null) : c.sweepValues();
            try {
                for (EstimatorRef r : c.estimators()) {
                    if (!out.resolved.containsKey(r.label())) out.resolved.put(r.label(), r.resolve(reg));
                }
                for (Object v : values) {
                    Map<String, Object> k = new LinkedHashMap<>(c.knobs());
                    String id = "claim:" + c.id();
                    if (v != null) {
                        k.put(c.sweepKnob(), v);
                        id += "[" + c.sweepKnob() + "=" + v + "]";
                    }
                    Knobs knobs = f.knobs(k);
                    Plan p = byKey.get(knobs.canonical());
                    if (p == null) {
                        p = new Plan(id, "claim:" + c.id(), f, knobs, false, false, null);
                        byKey.put(knobs.canonical(), p);
                        plansById.put(id, p);
                    }
                    for (EstimatorRef r : c.estimators()) {
                        p.creditLabels.add(r.label());
                        if (learn) p.learnLabels.add(r.label());
                    }
                    plans.add(p);
                }
                out.claimPlans.put(c, plans);
            } catch (IllegalArgumentException ex) {
                out.claimBlocked.put(c, "configuration error: " + ex.getMessage());
            }
        }
    }

    /** Metrics, applicability and tier of every label on {@code p}, from a probe batch of its seed-0 instance. */
    private static void applicability(Plan p, Map<String, EstimatorRef.Resolved> resolved, long rootSeed) {
        Runner.SeedStreams ss = new Runner.SeedStreams(rootSeed, p.seedKey(), 0);
        Task task = p.family.create(p.knobs, ss.instance);
        Mdp m = task.mdp();
        p.tokenLevel = m.tokensPerTurn() > 1;
        p.agents = m.hasAgents();
        List<String> metrics = new ArrayList<>(CreditMetrics.SPAN);
        metrics.add(CreditMetrics.NOISE);
        if (p.tokenLevel) metrics.addAll(CreditMetrics.TOKEN);
        if (p.agents) metrics.add(CreditMetrics.AGENT);
        p.metrics = metrics;
        TabularPolicy uni = TabularPolicy.uniform(m);
        SampledBatch probe = BatchSampler.sample(task, uni, Solution.of(m, uni), 1, 2, new SplittableRandom(1));
        boolean privileged = SignalModel.privileged(p.knobs);
        Set<String> all = new LinkedHashSet<>(p.creditLabels);
        all.addAll(p.learnLabels);
        for (String label : all) {
            EstimatorRef.Resolved e = resolved.get(label);
            EstimatorInputs.Entry in = INPUTS.of(e.estimator().id());
            String unavailable = INPUTS.unavailable(e.estimator().id());
            if (unavailable != null) {
                p.inapplicable.put(label, "no honest input: " + unavailable);
                continue;
            }
            if (!probe.supports(in.source())) {
                p.inapplicable.put(
                        label,
                        "task has no step verifier, which '" + e.estimator().id() + "' needs as its turn reward");
                continue;
            }
            boolean reference = e.estimator().unwrap() instanceof BenchReference;
            List<String> miss = Requirements.missing(
                    e.estimator().descriptor(),
                    reference ? probe.referenceRollouts() : probe.rollouts(in.source(), true));
            if (!miss.isEmpty()) {
                p.inapplicable.put(label, "task does not provide " + String.join("; ", miss));
                continue;
            }
            p.tiers.put(label, Tiers.of(e.estimator(), in.source(), privileged));
        }
    }

    /** Extra rollouts {@code e} needs beyond the batch (charged to the learning budget). */
    static RolloutCost cost(EstimatorRef.Resolved e, Knobs knobs) {
        int greedy = 0;
        int mc = 0;
        for (SignalRequirement r : e.estimator().descriptor().requires()) {
            if (r.name().equals("reward_baseline") || r.name().equals("reward_reference")) greedy = 1;
            if (r.name().equals("mc_value")) mc = knobs.getInt("mc_samples");
        }
        return new RolloutCost(greedy, mc);
    }
}
