package dev.apportion.bench.run;

import dev.apportion.bench.batch.SampledBatch;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.run.BenchResult.Example;
import dev.apportion.bench.run.BenchResult.ExampleTrajectory;
import dev.apportion.bench.task.Task;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Picks example trajectories (one success, one failure when the batch has both) for the report's heat strips. */
final class Examples {
    private Examples() {}

    static Example capture(Task task, SampledBatch batch, Map<String, double[]> spanCredit, int maxTurns) {
        Rollouts r = batch.rollouts();
        Mdp m = task.mdp();
        List<Integer> pick = new ArrayList<>();
        int firstOk = -1;
        int firstBad = -1;
        for (int i = 0; i < r.trajectoryCount(); i++) {
            if (batch.success()[i] && firstOk < 0) firstOk = i;
            if (!batch.success()[i] && firstBad < 0) firstBad = i;
        }
        if (firstOk >= 0) pick.add(firstOk);
        if (firstBad >= 0) pick.add(firstBad);
        for (int i = 0; pick.size() < 2 && i < r.trajectoryCount(); i++) if (!pick.contains(i)) pick.add(i);
        java.util.Collections.sort(pick);
        List<ExampleTrajectory> out = new ArrayList<>();
        for (int i : pick) {
            List<String> states = new ArrayList<>();
            List<String> actions = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            List<Double> truth = new ArrayList<>();
            Map<String, List<Double>> credit = new LinkedHashMap<>();
            for (String l : spanCredit.keySet()) credit.put(l, new ArrayList<>());
            int turns = 0;
            boolean truncated = false;
            for (int s = r.spanStart(i); s < r.spanEnd(i); s++) {
                if (!r.isPolicySpan(s)) continue;
                if (turns == maxTurns) {
                    truncated = true;
                    break;
                }
                turns++;
                states.add(r.spanState() == null ? "" : r.spanState()[s]);
                StringBuilder a = new StringBuilder();
                for (int t = r.spanTokenStart(s); t < r.spanTokenEnd(s); t++) {
                    if (a.length() > 0) a.append(' ');
                    a.append(m.actionName(m.pairAction((int) batch.tokenKey()[t])));
                }
                actions.add(a.toString());
                byte lab = batch.spanLabel()[s];
                labels.add(
                        lab == SampledBatch.DECISIVE
                                ? "decisive"
                                : lab == SampledBatch.IRRELEVANT ? "irrelevant" : "local");
                truth.add((double) batch.spanTruth()[s]);
                for (Map.Entry<String, double[]> e : spanCredit.entrySet())
                    credit.get(e.getKey()).add(e.getValue()[s]);
            }
            // the episode's return: terminal outcome plus the rewards received along the way
            double ret = r.outcome() == null || Float.isNaN(r.outcome()[i]) ? 0 : r.outcome()[i];
            if (r.spanReward() != null) {
                for (int s = r.spanStart(i); s < r.spanEnd(i); s++)
                    if (!Float.isNaN(r.spanReward()[s])) ret += r.spanReward()[s];
            }
            out.add(new ExampleTrajectory(
                    r.trajectoryId(i),
                    batch.success()[i],
                    r.outcome()[i],
                    ret,
                    states,
                    actions,
                    labels,
                    truth,
                    credit,
                    truncated));
        }
        return new Example(out);
    }
}
