package dev.apportion.core.estimator.token;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.HashMap;
import java.util.Map;

/**
 * APPO, agentic procedural policy optimization ({@code appo}): branch-point selection inside
 * the generated sequence and procedure-level credit for the branched rollouts.
 *
 * <h2>Branch points ({@link #branchingScores}, {@link #selectBranchPoints})</h2>
 * At rollout time, the branching score of a policy token is
 * {@code BS_t = (H_t / max H)·(Ω_t / max Ω)}: its entropy {@code H_t} times the policy-induced
 * likelihood gain of the continuation after it ({@code Ω_t}, "future-aware influence"), each
 * divided by its maximum over the trajectory's policy tokens (negative values count as 0). The
 * top-{@code K} positions are branched from. A high-entropy token whose continuation barely
 * depends on it scores low (the paper's "spurious high-entropy positions").
 *
 * <h2>Credit (the estimator)</h2>
 * A group holds the N initial rollouts of a query (roots: trajectory signal
 * {@code branch_point} absent, NaN or negative) and the branched continuations (branches:
 * {@code branch_point = p}, the token offset inside the trajectory where the new continuation
 * starts; tokens before {@code p} repeat the parent's prefix). Siblings are the branches of
 * the group with the same {@code branch_id} trajectory signal (or, without it, the same
 * {@code branch_point}). Dual-group advantages:
 * <ul>
 *   <li>root i: {@code A_i = (R_i − mean_roots R)/(std_roots R + ε)} on all its policy tokens;</li>
 *   <li>branch b at point p: {@code A_b = z_siblings(R_b)}, scaled by the procedure term
 *       {@code s_p = 1 + κ·Ω_p / max_{group} Ω}, on its policy tokens from p on, with
 *       {@code Ω_p} the trajectory signal {@code branch_omega} (the Ω of the branching
 *       position, absent = 0); its shared-prefix tokens get 0 (the parent carries their
 *       credit; counting them twice would double their weight).</li>
 * </ul>
 * R is the trajectory score ({@link Rollouts#scores()}); std unbiased; a group of one gets 0.
 *
 * <h2>Source</h2>
 * X. Wang, Z. Ma, Y. Wang, Y. Ji, S. Yang, G. Chen, P. Wang, X. Chu, "APPO: Agentic Procedural
 * Policy Optimization", arXiv 2606.12384. Fidelity {@code reconstructed}: the product of
 * normalised entropy and likelihood gain, the dual grouping (initial rollouts vs branched
 * continuations) and the Ω-based procedure scaling follow the paper's description; no code was
 * found. Invented: max-normalisation, {@code s_p = 1 + κ·Ω̂_p} with {@code κ = 0.5}, zero credit
 * on a branch's copied prefix, unbiased std, ε = 1e-6. Ω itself (an accumulated discounted
 * importance ratio in the paper) is computed upstream and is an input.
 *
 * <h2>Edge cases</h2>
 * A branch point beyond the trajectory's tokens is an error naming the trajectory and value.
 * Context tokens get 0. A group with only roots is plain GRPO.
 *
 * <p>Stateless and thread-safe.
 */
public final class Appo implements Estimator {
    static final String ID = "appo";

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("APPO: dual-group advantages with procedure-level scaling for branched rollouts")
            .source("Wang et al., APPO: Agentic Procedural Policy Optimization, arXiv 2606.12384")
            .granularity(Granularity.TOKEN)
            .methodology(Methodology.MONTE_CARLO)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(true)
            .requires(
                    SignalRequirement.trajectory(
                            "branch_point", "token offset where a branched continuation starts (absent for roots)"),
                    SignalRequirement.trajectory(
                            "branch_omega", "future-aware influence Ω of the branching position (optional)"))
            .parameters(
                    ParamSpec.real("kappa", 0.5, 0.0, null, "procedure scaling s_p = 1 + kappa * Omega_p / max Omega"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the group std"))
            .preset("paper", Map.of("kappa", 0.5))
            .summary("roots: z over roots; branches: z over siblings × (1 + κ·Ω̂_p) after the branch point")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /**
     * Branching scores of the tokens {@code [from, to)}: {@code (H/max H)·(Ω/max Ω)} on tokens
     * with {@code mask} 1 (maxima over those tokens, negatives as 0), 0 elsewhere.
     */
    public static double[] branchingScores(float[] entropy, float[] omega, byte[] mask, int from, int to) {
        double maxH = 0;
        double maxO = 0;
        for (int t = from; t < to; t++) {
            if (mask[t] == 0) continue;
            maxH = Math.max(maxH, entropy[t]);
            maxO = Math.max(maxO, omega[t]);
        }
        double[] bs = new double[to - from];
        if (maxH <= 0 || maxO <= 0) return bs;
        for (int t = from; t < to; t++) {
            if (mask[t] == 0) continue;
            bs[t - from] = Math.max(0, entropy[t]) / maxH * (Math.max(0, omega[t]) / maxO);
        }
        return bs;
    }

    /** The {@code k} positions (offsets from {@code from}) of highest branching score, best first; ties to the earlier position. */
    public static int[] selectBranchPoints(float[] entropy, float[] omega, byte[] mask, int from, int to, int k) {
        double[] bs = branchingScores(entropy, omega, mask, from, to);
        Integer[] order = new Integer[bs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> bs[a] != bs[b] ? Double.compare(bs[b], bs[a]) : Integer.compare(a, b));
        int n = 0;
        int[] out = new int[Math.min(k, bs.length)];
        for (int i = 0; i < order.length && n < out.length; i++) {
            if (mask[from + order[i]] == 0) continue;
            out[n++] = order[i];
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution) {
        double kappa = params.getDouble("kappa");
        double eps = params.getDouble("epsilon");
        float[] point = batch.trajectorySignal("branch_point");
        float[] branchId = batch.trajectorySignal("branch_id");
        float[] omega = batch.trajectorySignal("branch_omega");
        int n = batch.trajectoryCount();
        double[] scores = batch.scores();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            float v = point == null ? Float.NaN : point[i];
            if (Float.isNaN(v) || v < 0) {
                p[i] = -1;
                continue;
            }
            int len = batch.tokenEnd(i) - batch.tokenStart(i);
            if (v != Math.rint(v) || v > len) {
                throw new RolloutException(
                        batch.describe(i) + ": signals.branch_point is " + v + "; it must be a token offset in [0, "
                                + len + "]",
                        i,
                        "signals.branch_point");
            }
            p[i] = (int) v;
        }
        double[] adv = new double[n];
        int[] members = batch.groupMembers();
        int[] start = batch.groupMemberStart();
        int branches = 0;
        for (int g = 0; g < batch.groupCount(); g++) {
            // key -1 = roots; otherwise the sibling set
            Map<Double, double[]> stats = new HashMap<>(); // sum, sumsq, count
            double maxOmega = 0;
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                double key = key(p, branchId, i);
                double[] s = stats.computeIfAbsent(key, x -> new double[3]);
                s[0] += scores[i];
                s[2] += 1;
                if (p[i] >= 0 && omega != null && !Float.isNaN(omega[i])) maxOmega = Math.max(maxOmega, omega[i]);
            }
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                double[] s = stats.get(key(p, branchId, i));
                double mean = s[0] / s[2];
                s[1] += (scores[i] - mean) * (scores[i] - mean);
            }
            for (int k = start[g]; k < start[g + 1]; k++) {
                int i = members[k];
                double[] s = stats.get(key(p, branchId, i));
                double mean = s[0] / s[2];
                double std = s[2] > 1 ? Math.sqrt(s[1] / (s[2] - 1)) : 0;
                double a = s[2] > 1 ? (scores[i] - mean) / (std + eps) : 0.0;
                if (p[i] >= 0) {
                    branches++;
                    double om = omega == null || Float.isNaN(omega[i]) ? 0 : Math.max(0, omega[i]);
                    a *= 1 + kappa * (maxOmega > 0 ? om / maxOmega : 0);
                }
                adv[i] = a;
            }
        }
        float[] out = new float[batch.tokenCount()];
        byte[] mask = batch.mask();
        for (int i = 0; i < n; i++) {
            int from = batch.tokenStart(i) + Math.max(0, p[i]);
            for (int t = from; t < batch.tokenEnd(i); t++) if (mask[t] != 0) out[t] = (float) adv[i];
        }
        return Credit.builder(out).diagnostic("branches", branches).build();
    }

    private static double key(int[] p, float[] branchId, int i) {
        if (p[i] < 0) return -1;
        if (branchId != null && !Float.isNaN(branchId[i])) return 1e9 + branchId[i];
        return p[i];
    }
}
