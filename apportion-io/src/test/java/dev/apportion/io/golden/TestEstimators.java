package dev.apportion.io.golden;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.io.FakeEstimator;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Small estimators used only to test the golden machinery (adapters, comparison, error cases,
 * skipping). They follow the reference semantics stated in the golden files' documentation
 * closely enough to pass the cases they are run on; the real estimators live in
 * apportion-core.
 */
final class TestEstimators {
    private TestEstimators() {}

    /** An estimator from a descriptor and a function. */
    static Estimator of(Descriptor d, BiFunction<Rollouts, Params, Credit> f) {
        return FakeEstimator.of(d, f);
    }

    /** verl's compute_grpo_outcome_advantage (and its std_floor variant). */
    static Estimator grpo() {
        return grpo(false);
    }

    /** The same with the population std: a wrong implementation that golden cases must catch. */
    static Estimator grpoPopulationStd() {
        return grpo(true);
    }

    private static Estimator grpo(boolean population) {
        Descriptor d = Descriptor.builder("grpo")
                .parameters(
                        ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                        ParamSpec.bool("normalize_by_std", true, "divide by the group std"),
                        ParamSpec.real("std_floor", 0.0, 0.0, null, "std = sqrt(max(var, floor^2))"))
                .build();
        return of(
                d,
                (b, p) -> grpo(
                        b,
                        p.getDouble("epsilon"),
                        p.getBoolean("normalize_by_std"),
                        p.getDouble("std_floor"),
                        population));
    }

    private static Credit grpo(Rollouts b, double eps, boolean byStd, double floor, boolean population) {
        double[] s = b.scores();
        double[] a = new double[s.length];
        int[] start = b.groupMemberStart();
        int[] members = b.groupMembers();
        for (int g = 0; g < b.groupCount(); g++) {
            int n = start[g + 1] - start[g];
            double mean = 0;
            double std = 1;
            if (n > 1) {
                for (int k = start[g]; k < start[g + 1]; k++) mean += s[members[k]];
                mean /= n;
                double ss = 0;
                for (int k = start[g]; k < start[g + 1]; k++) ss += (s[members[k]] - mean) * (s[members[k]] - mean);
                double var = ss / (population ? n : n - 1);
                std = Math.sqrt(Math.max(var, floor * floor));
            }
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                a[i] = byStd ? (s[i] - mean) / (std + eps) : s[i] - mean;
            }
        }
        float[] adv = broadcast(b, a);
        return Credit.builder(adv).returns(adv.clone()).build();
    }

    /** verl's compute_grpo_passk_outcome_advantage: refuses groups of one. */
    static Estimator grpoPassk(boolean refuseSingletons) {
        Descriptor d = Descriptor.builder("grpo_passk")
                .parameters(
                        ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"),
                        ParamSpec.bool("normalize_by_std", true, "divide by the group std"))
                .build();
        return of(d, (b, p) -> {
            double[] s = b.scores();
            double[] a = new double[s.length];
            int[] start = b.groupMemberStart();
            int[] members = b.groupMembers();
            for (int g = 0; g < b.groupCount(); g++) {
                int n = start[g + 1] - start[g];
                if (n < 2) {
                    if (refuseSingletons)
                        throw new RolloutException("group '" + b.groupKey(g) + "' has fewer than 2 samples");
                    continue;
                }
                int best = -1;
                double max = Double.NEGATIVE_INFINITY;
                double second = Double.NEGATIVE_INFINITY;
                double mean = 0;
                for (int k = start[g]; k < start[g + 1]; k++) {
                    int i = members[k];
                    mean += s[i];
                    if (s[i] > max) {
                        second = max;
                        max = s[i];
                        best = i;
                    } else if (s[i] > second) {
                        second = s[i];
                    }
                }
                mean /= n;
                double ss = 0;
                for (int k = start[g]; k < start[g + 1]; k++) ss += (s[members[k]] - mean) * (s[members[k]] - mean);
                double std = Math.sqrt(ss / (n - 1));
                a[best] = p.getBoolean("normalize_by_std")
                        ? (max - second) / (std + p.getDouble("epsilon"))
                        : max - second;
            }
            float[] adv = broadcast(b, a);
            return Credit.builder(adv).returns(adv.clone()).build();
        });
    }

    /**
     * dr_grpo with OpenRLHF v0.11.0 semantics (group mean baseline, clip, per-token KL penalty,
     * undiscounted return, no whitening) and TRL's scale_rewards="none" semantics (weighted
     * sum of the reward functions ignoring missing values, minus the group's NaN-mean).
     */
    static Estimator drGrpo() {
        Descriptor d = Descriptor.builder("dr_grpo")
                .parameters(
                        ParamSpec.choice("style", "openrlhf", List.of("openrlhf", "trl"), "which framework"),
                        ParamSpec.real("gamma", 1.0, 0.0, 1.0, "forced to 1 by OpenRLHF"),
                        ParamSpec.real("kl_coef", 0.0, null, null, "beta"),
                        ParamSpec.choice("kl_estimator", "k1", List.of("k1", "k2", "k3"), "KL estimator"),
                        ParamSpec.bool("kl_use_loss", false, "KL in the loss instead of the reward"),
                        ParamSpec.realList("reward_clip_range", List.of(-10.0, 10.0), "clip after shaping"),
                        ParamSpec.bool("no_std_norm", false, "unused by dr_grpo"),
                        ParamSpec.choice("scale_rewards", "none", List.of("group", "batch", "none"), "TRL"),
                        ParamSpec.choice(
                                "multi_objective_aggregation",
                                "sum_then_normalize",
                                List.of("sum_then_normalize", "normalize_then_sum"),
                                "TRL"),
                        ParamSpec.realList("reward_weights", List.of(), "TRL weights, empty = all 1"))
                .preset("openrlhf", Map.of("style", "openrlhf"))
                .preset("trl", Map.of("style", "trl"))
                .build();
        return of(d, (b, p) -> "trl".equals(p.getString("style")) ? trlNone(b, p) : openRlhf(b, p));
    }

    private static Credit openRlhf(Rollouts b, Params p) {
        int n = b.trajectoryCount();
        float[] r = b.outcome();
        int[] start = b.groupMemberStart();
        int[] members = b.groupMembers();
        double[] shaped = new double[n];
        double[] clip = p.getDoubleList("reward_clip_range");
        for (int g = 0; g < b.groupCount(); g++) {
            double mean = 0;
            for (int k = start[g]; k < start[g + 1]; k++) mean += r[members[k]];
            mean /= start[g + 1] - start[g];
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                shaped[i] = Math.max(clip[0], Math.min(clip[1], r[i] - mean));
            }
        }
        double beta = Math.max(p.getDouble("kl_coef"), 0);
        boolean kl = p.getDouble("kl_coef") > 0 && !p.getBoolean("kl_use_loss");
        float[] lp = b.tokenSignal(Rollouts.LOGPROB);
        float[] ref = b.tokenSignal(Rollouts.REF_LOGPROB);
        byte[] mask = b.mask();
        float[] adv = new float[b.tokenCount()];
        float[] ret = new float[b.tokenCount()];
        for (int i = 0; i < n; i++) {
            int last = b.lastPolicyToken(i);
            double g = 0;
            for (int t = b.tokenEnd(i) - 1; t >= b.tokenStart(i); t--) {
                double rho = 0;
                if (mask[t] == 1) {
                    if (kl) {
                        double dlt = lp[t] - ref[t];
                        double k;
                        switch (p.getString("kl_estimator")) {
                            case "k2":
                                k = dlt * dlt / 2;
                                break;
                            case "k3":
                                k = Math.exp(-dlt) - 1 + dlt;
                                break;
                            default:
                                k = dlt;
                                break;
                        }
                        rho = -beta * Math.max(-10, Math.min(10, k));
                    }
                    if (t == last) rho += shaped[i];
                }
                g = rho + g; // gamma forced to 1
                ret[t] = (float) g;
                adv[t] = mask[t] == 1 ? (float) g : 0f;
            }
        }
        return Credit.builder(adv).returns(ret).build();
    }

    private static Credit trlNone(Rollouts b, Params p) {
        int n = b.trajectoryCount();
        double[] w = p.getDoubleList("reward_weights");
        double[] r = new double[n];
        java.util.Arrays.fill(r, Double.NaN);
        int k = 0;
        for (float[] comp : b.outcomeComponents().values()) {
            double wk = w.length == 0 ? 1.0 : w[k];
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(comp[i])) continue;
                r[i] = (Double.isNaN(r[i]) ? 0 : r[i]) + wk * comp[i];
            }
            k++;
        }
        double[] a = new double[n];
        int[] start = b.groupMemberStart();
        int[] members = b.groupMembers();
        for (int g = 0; g < b.groupCount(); g++) {
            double sum = 0;
            int c = 0;
            for (int m = start[g]; m < start[g + 1]; m++) {
                if (!Double.isNaN(r[members[m]])) {
                    sum += r[members[m]];
                    c++;
                }
            }
            double mean = c == 0 ? Double.NaN : sum / c;
            for (int m = start[g]; m < start[g + 1]; m++) {
                double v = r[members[m]] - mean;
                a[members[m]] = Double.isNaN(v) ? 0 : v;
            }
        }
        return Credit.of(broadcast(b, a));
    }

    /**
     * "echo": advantage = the token reward on policy tokens; returns = the span reward of the
     * token's span on policy tokens (0 where absent). Makes the adapters' token placement
     * visible.
     */
    static Estimator echo() {
        Descriptor d = Descriptor.builder("echo")
                .parameters(
                        ParamSpec.real("epsilon", 0, null, null, "unused"),
                        ParamSpec.real("gamma", 1, null, null, "unused"))
                .build();
        return of(d, (b, p) -> {
            float[] r = b.tokenSignal(Rollouts.REWARD);
            float[] sr = b.spanReward();
            byte[] mask = b.mask();
            float[] adv = new float[b.tokenCount()];
            float[] ret = new float[b.tokenCount()];
            for (int s = 0; s < b.spanCount(); s++) {
                for (int t = b.spanTokenStart(s); t < b.spanTokenEnd(s); t++) {
                    if (mask[t] == 0) continue;
                    adv[t] = r == null ? 0f : r[t];
                    ret[t] = sr == null || Float.isNaN(sr[s]) ? 0f : sr[s];
                }
            }
            return Credit.builder(adv).returns(ret).build();
        });
    }

    /** Per-trajectory values onto policy tokens (0 on context tokens). */
    static float[] broadcast(Rollouts b, double[] perTrajectory) {
        float[] out = new float[b.tokenCount()];
        byte[] mask = b.mask();
        for (int i = 0; i < b.trajectoryCount(); i++) {
            for (int t = b.tokenStart(i); t < b.tokenEnd(i); t++) if (mask[t] == 1) out[t] = (float) perTrajectory[i];
        }
        return out;
    }
}
