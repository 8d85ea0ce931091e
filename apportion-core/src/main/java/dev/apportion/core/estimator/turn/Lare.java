package dev.apportion.core.estimator.turn;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Fidelity;
import dev.apportion.core.credit.Granularity;
import dev.apportion.core.credit.Methodology;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.kernel.GroupZScores;
import dev.apportion.core.kernel.TurnTable;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LaRe, latent reward ({@code lare}): an LLM writes code that scores every step on several
 * task-relevant dimensions (the latent reward {@code z_t = φ(s_t, a_t) ∈ ℝ^d}); a decoder
 * {@code f(z) = w·z} is fitted so that the step rewards add up to each episode's return
 * (return decomposition), and the decoded proxy rewards give per-turn credit.
 *
 * <h2>Formula</h2>
 * <ul>
 *   <li>{@code z_t}: the span signals listed in {@code features} (comma-separated), or, when
 *       it is empty, every span signal whose name starts with {@code latent_}, in name order.
 *       Each turn must carry all of them.</li>
 *   <li>Fit on the batch: {@code min_w Σ_τ (R_τ − Σ_{t ∈ τ} w·z_t)² + ρ‖w‖²} with
 *       {@code R_τ} the trajectory's {@link Rollouts#scores()}: closed form
 *       ({@code fit = least_squares}: {@code (ZᵀZ + ρI) w = ZᵀR}, {@code Z_τ = Σ_t z_t}), or one
 *       gradient step from {@code w = 0} on the mean squared loss ({@code fit = gradient_step}:
 *       {@code w = lr·(2/N)·Σ_τ R_τ·Z_τ}, the reference notes' worked example).</li>
 *   <li>proxy reward {@code r̂_t = w·z_t}; return {@code Ĝ_t = Σ_{k ≥ t} γ^{k−t}·r̂_k}.</li>
 *   <li>{@code A_t = Ĝ_t − mean} over the group's trajectories at the same turn index (divided by
 *       their unbiased std + ε with {@code normalize_by_std}); a turn index that only one
 *       trajectory of the group reaches gets 0. In a multi-agent trajectory each agent's turns
 *       carry their own latent scores, so the decomposition is also an agent-level split.</li>
 * </ul>
 * The fitted weights are reported as diagnostics {@code weight.<feature>}.
 *
 * <h2>Source</h2>
 * Y. Qu, Y. Jiang, B. Wang, Y. Mao, C. Wang, C. Liu, X. Ji, "Latent Reward: LLM-Empowered
 * Credit Assignment in Episodic Reinforcement Learning", arXiv 2412.11120 (AAAI 2025).
 * Fidelity {@code reconstructed}: the latent reward, the decoder and its return-decomposition
 * loss follow a summary of the paper (its decoder is a trained network; here it is linear and
 * fitted on each batch); ρ = 1e-3, the return and the group baseline are ours. The LLM-written
 * φ and its self-verification run upstream.
 *
 * <h2>Edge cases</h2>
 * A singular system with ρ = 0 falls back to ρ = 1e-9. A turn missing a feature throws a
 * {@link RolloutException}. Not group-local: the decoder is fitted on the whole batch.
 *
 * <p>Stateless and thread-safe.
 */
public final class Lare implements BufferedEstimator {
    static final String ID = "lare";
    static final String PREFIX = "latent_";

    /** Values of {@code fit}. */
    enum Fit {
        LEAST_SQUARES,
        GRADIENT_STEP
    }

    private static final Descriptor DESCRIPTOR = Descriptor.builder(ID)
            .title("LaRe: linear decoder of LLM latent step scores fitted by return decomposition; proxy-return credit")
            .source("Qu et al., Latent Reward: LLM-Empowered Credit Assignment in Episodic RL, arXiv 2412.11120")
            .granularity(Granularity.TURN)
            .methodology(Methodology.MODEL_BASED)
            .fidelity(Fidelity.RECONSTRUCTED)
            .groupLocal(false)
            .requires(
                    SignalRequirement.span("latent_*", "the LLM-written scorer's latent dimensions per turn"),
                    SignalRequirement.trajectory("reward", "the episodic return")
                            .always())
            .parameters(
                    ParamSpec.string(
                            "features", "", "comma-separated span signals; empty = every span signal named latent_*"),
                    ParamSpec.choice("fit", Fit.LEAST_SQUARES, "closed-form ridge fit, or one gradient step from zero"),
                    ParamSpec.real("ridge", 1e-3, 0.0, null, "ridge penalty rho of the least-squares fit"),
                    ParamSpec.real("learning_rate", 0.1, 0.0, null, "step size of gradient_step"),
                    ParamSpec.real("gamma", 1.0, 0.0, 1.0, "discount of the proxy return over turns"),
                    ParamSpec.bool("normalize_by_std", false, "divide by the cell's unbiased std + epsilon"),
                    ParamSpec.real("epsilon", 1e-6, 0.0, null, "added to the std"))
            .preset("paper", Map.of("fit", "least_squares", "gamma", 1.0))
            .summary(
                    "fit w: R_tau ~ sum_t w.z_t over the batch; r_t = w.z_t; A_t = proxy return - group mean at turn t")
            .build();

    @Override
    public Descriptor descriptor() {
        return DESCRIPTOR;
    }

    /** {@inheritDoc} The per-token outputs go into {@code buffers} when given (every token is overwritten). */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        List<String> names = featureNames(batch, params.getString("features"));
        TurnTable turns = TurnTable.of(batch);
        int d = names.size();
        int m = turns.size();
        double[][] z = new double[d][];
        for (int k = 0; k < d; k++)
            z[k] = turns.requireSpanSignal(batch, names.get(k), ID, "a latent reward dimension");
        int n = batch.trajectoryCount();
        double[] ret = batch.scores();
        double[][] zTraj = new double[n][d];
        for (int j = 0; j < m; j++) for (int k = 0; k < d; k++) zTraj[turns.trajectory(j)][k] += z[k][j];

        double[] w;
        if (params.getChoice("fit", Fit.class) == Fit.GRADIENT_STEP) {
            w = new double[d];
            double lr = params.getDouble("learning_rate");
            for (int i = 0; i < n; i++) for (int k = 0; k < d; k++) w[k] += lr * 2.0 * ret[i] * zTraj[i][k] / n;
        } else {
            w = ridgeFit(zTraj, ret, d, params.getDouble("ridge"));
        }
        double[] r = new double[m];
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += w[k] * z[k][j];
            r[j] = s;
        }
        double[] g = turns.returns(r, params.getDouble("gamma"));
        int[] cells = new int[1];
        int[] cell = turns.groupTurnIndexCells(batch, cells);
        double[] a = GroupZScores.zscore(
                g, cell, cells[0], params.getBoolean("normalize_by_std"), true, params.getDouble("epsilon"));
        float[] adv = Outputs.advantages(buffers, batch.tokenCount());
        float[] second = Outputs.second(buffers, batch.tokenCount());
        turns.broadcast(batch, a, adv, g, second, execution);
        Credit.Builder c = Credit.builder(adv).returns(second).spanAdvantages(turns.spanValues(batch, a));
        for (int k = 0; k < d; k++) c.diagnostic("weight." + names.get(k), w[k]);
        return c.build();
    }

    private static List<String> featureNames(Rollouts batch, String spec) {
        List<String> names = new ArrayList<>();
        if (spec.trim().isEmpty()) {
            for (String s : batch.spanSignals().keySet()) if (s.startsWith(PREFIX)) names.add(s); // sorted map
            if (names.isEmpty()) {
                throw new RolloutException(
                        "estimator '" + ID + "' needs latent reward features: span signals named " + PREFIX
                                + "* (or name them with the parameter 'features'); the batch has none",
                        -1,
                        "spans.signals." + PREFIX + "*");
            }
        } else {
            for (String s : spec.split(",")) {
                String t = s.trim();
                if (t.isEmpty()) continue;
                if (names.contains(t))
                    throw new IllegalArgumentException("estimator '" + ID + "': feature '" + t + "' listed twice");
                names.add(t);
            }
        }
        return names;
    }

    /** Solves {@code (XᵀX + ρI) w = Xᵀy} by Gaussian elimination with partial pivoting. */
    static double[] ridgeFit(double[][] x, double[] y, int d, double rho) {
        double[][] a = new double[d][d + 1];
        for (int i = 0; i < x.length; i++) {
            for (int p = 0; p < d; p++) {
                for (int q = 0; q < d; q++) a[p][q] += x[i][p] * x[i][q];
                a[p][d] += x[i][p] * y[i];
            }
        }
        double[] w = solve(a, d, rho);
        if (w == null) w = solve(a, d, Math.max(rho, 1e-9));
        if (w == null) throw new IllegalStateException("estimator '" + ID + "': the latent features are degenerate");
        return w;
    }

    private static double[] solve(double[][] normal, int d, double rho) {
        double[][] a = new double[d][];
        double scale = 0;
        for (int p = 0; p < d; p++) {
            a[p] = normal[p].clone();
            a[p][p] += rho;
            scale = Math.max(scale, Math.abs(a[p][p]));
        }
        for (int col = 0; col < d; col++) {
            int piv = col;
            for (int r = col + 1; r < d; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            if (Math.abs(a[piv][col]) <= 1e-12 * Math.max(1.0, scale)) return null;
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int r = 0; r < d; r++) {
                if (r == col) continue;
                double f = a[r][col] / a[col][col];
                if (f == 0) continue;
                for (int c = col; c <= d; c++) a[r][c] -= f * a[col][c];
            }
        }
        double[] w = new double[d];
        for (int p = 0; p < d; p++) w[p] = a[p][d] / a[p][p];
        return w;
    }
}
