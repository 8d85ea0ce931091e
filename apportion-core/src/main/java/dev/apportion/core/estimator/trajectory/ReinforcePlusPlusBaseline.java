package dev.apportion.core.estimator.trajectory;

import dev.apportion.core.credit.BufferedEstimator;
import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Descriptor;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.ParamSpec;
import dev.apportion.core.credit.Params;
import dev.apportion.core.kernel.RepeatedSum;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.stats.Whitening;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * REINFORCE++ with a group baseline: subtract the group mean, lay the result on the policy
 * tokens, then whiten over every policy token of the batch.
 *
 * <h2>Formula</h2>
 * <pre>  a_i = s_i − μ_g;    x_t = a_i on each policy token t of trajectory i;
 *  A_t = (x_t − μ) / sqrt(var + 1e-8)      μ, var over all policy tokens of the batch</pre>
 * The whitening is token-weighted: a long trajectory weighs more in μ and var. With the
 * OpenRLHF shaping ({@link TokenCredit}), {@code x_t} is instead the cumulative return of the
 * clipped {@code a_i} plus the KL penalty, and the whitening uses the biased variance clamped
 * at 1e-8 ({@code rsqrt(max(var, 1e-8))}), or only shifts with {@code no_std_norm}.
 * Context tokens get 0.
 *
 * <h2>Sources</h2>
 * Hu, "REINFORCE++" (arXiv 2501.03262). Reference: volcengine/verl@b178a3c
 * {@code compute_reinforce_plus_plus_baseline_outcome_advantage} (unbiased variance + 1e-8,
 * returns = the whitened advantages); OpenRLHF@3c3be62 (v0.11.0) {@code reinforce_baseline}
 * (population variance clamped at 1e-8, γ forced to 1, returns not whitened).
 *
 * <h2>Parameters and presets</h2>
 * {@code singleton} (raw: a one-sample group keeps its score, verl | zero | error, OpenRLHF),
 * {@code whiten_variance} (unbiased | biased), {@code whiten_epsilon} (add | clamp),
 * {@code whiten_eps} (1e-8), {@code whiten_returns} (true: returns are the whitened advantages,
 * verl; false: the raw cumulative returns, OpenRLHF), {@code no_std_norm}, and the OpenRLHF
 * shaping parameters. Presets: {@code verl} (defaults), {@code openrlhf}; registered also as
 * {@code reinforce_baseline} (OpenRLHF's name).
 *
 * <h2>Edge cases</h2>
 * The batch needs at least 2 policy tokens with the unbiased variance (1 with the biased one),
 * else an {@link IllegalArgumentException}, as verl's {@code masked_var} raises. Whitening
 * makes credit depend on the whole batch (not group-local). A trajectory without policy tokens
 * counts in its group's mean and not in the whitening.
 *
 * <p>Thread-safety: stateless; safe to share.
 */
public final class ReinforcePlusPlusBaseline implements BufferedEstimator {
    static final String ID = "reinforce_plus_plus_baseline";
    private final Descriptor descriptor;

    public ReinforcePlusPlusBaseline() {
        List<ParamSpec> ps = new ArrayList<>(List.of(
                GroupNormalization.singleton(
                        "raw",
                        List.of("raw", "zero", "error"),
                        "a one-sample group: raw = mean 0, keeps its score (verl), zero = 0, error = refuse (OpenRLHF asserts n > 1)"),
                ParamSpec.choice(
                        "whiten_variance",
                        Whitening.Variance.UNBIASED,
                        "variance of the batch whitening: unbiased (verl masked_whiten) or biased (OpenRLHF)"),
                ParamSpec.choice(
                        "whiten_epsilon",
                        Whitening.Epsilon.ADD,
                        "add: rsqrt(var + eps) (verl); clamp: rsqrt(max(var, eps)) (OpenRLHF)"),
                ParamSpec.real("whiten_eps", 1e-8, 0.0, null, "epsilon of the batch whitening"),
                ParamSpec.bool(
                        "whiten_returns",
                        true,
                        "true: returns are the whitened advantages (verl); false: the unwhitened returns (OpenRLHF)")));
        ps.addAll(TokenCredit.openRlhfParams());
        Map<String, Object> verl = new LinkedHashMap<>();
        verl.put("singleton", "raw");
        verl.put("whiten_variance", "unbiased");
        verl.put("whiten_epsilon", "add");
        verl.put("whiten_eps", 1e-8);
        verl.put("whiten_returns", true);
        this.descriptor = GroupNormalization.outcomeReference(ID, false)
                .aliases("reinforce_baseline")
                .title("REINFORCE++ with group baseline")
                .source(
                        "Hu 2025, arXiv 2501.03262; reference volcengine/verl@b178a3c"
                                + " compute_reinforce_plus_plus_baseline_outcome_advantage; OpenRLHF@3c3be62 reinforce_baseline")
                .parameters(ps.toArray(new ParamSpec[0]))
                .preset("verl", verl)
                .preset(
                        "openrlhf",
                        Grpo.openRlhf(Map.of(
                                "whiten_variance",
                                "biased",
                                "whiten_epsilon",
                                "clamp",
                                "whiten_eps",
                                1e-8,
                                "whiten_returns",
                                false)))
                .summary("A = batch-whiten(s_i − mean_g over policy tokens)")
                .build();
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    /** {@inheritDoc} Every token of the buffers' arrays is overwritten. */
    @Override
    public Credit assign(Rollouts batch, Params params, Execution execution, Credit.Buffers buffers) {
        TokenCredit.Shaping shaping = TokenCredit.Shaping.of(params, ID);
        GroupNormalization.Singleton single = params.getChoice("singleton", GroupNormalization.Singleton.class);
        Whitening.Variance variance = params.getChoice("whiten_variance", Whitening.Variance.class);
        Whitening.Epsilon epsilon = params.getChoice("whiten_epsilon", Whitening.Epsilon.class);
        if (batch.trajectoryCount() == 0) return Credit.of(new float[batch.tokenCount()]);
        if (single == GroupNormalization.Singleton.ERROR) {
            TokenCredit.requireGroupsOfTwo(
                    batch, ID, "with singleton=error (OpenRLHF asserts n_samples_per_prompt > 1)");
        }
        GroupNormalization.Settings s = new GroupNormalization.Settings(
                GroupNormalization.Scale.NONE, true, 0.0, false, 0.0, single, false, new double[0], false);
        GroupNormalization.Stats st = new GroupNormalization.Stats();
        double[] a = GroupNormalization.advantages(batch, batch.scores(), s, st);
        boolean whitenReturns = params.getBoolean("whiten_returns");
        float[] adv;
        float[] returns;
        Whitening.Stats ws;
        if (!shaping.klActive()) {
            // without the KL penalty the credit is constant on each trajectory's policy tokens: clip and
            // whiten per trajectory (bit for bit the token whitening, see RepeatedSum), broadcast once
            int n = batch.trajectoryCount();
            float[] x = new float[n];
            int[] count = new int[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) Math.max(shaping.clipLo(), Math.min(shaping.clipHi(), a[i]))
                        + 0.0f; // -0 as the broadcast writes it
                count[i] = batch.policyTokenCount(i);
            }
            float[] y = new float[n];
            ws = RepeatedSum.whitenConstantRuns(
                    x,
                    count,
                    y,
                    variance,
                    epsilon,
                    params.getDouble("whiten_eps"),
                    true,
                    !params.getBoolean("no_std_norm"));
            double[] wide = new double[n];
            for (int i = 0; i < n; i++) wide[i] = y[i];
            adv = TokenCredit.broadcastInto(
                    batch, wide, execution, TokenCredit.advantagesArray(buffers, batch.tokenCount()));
            if (whitenReturns) returns = adv;
            else {
                for (int i = 0; i < n; i++) wide[i] = x[i];
                returns = TokenCredit.broadcastInto(
                        batch, wide, execution, TokenCredit.returnsArray(buffers, batch.tokenCount()));
            }
        } else {
            // the KL-shaped reward-to-go, into the buffers' advantages when given; whitened there in place
            adv = TokenCredit.assign(batch, a, shaping, ID, execution, buffers);
            if (whitenReturns) returns = adv;
            else {
                returns = TokenCredit.returnsArray(buffers, adv.length);
                System.arraycopy(adv, 0, returns, 0, adv.length);
            }
            ws = Whitening.whiten(
                    adv,
                    batch.mask(),
                    variance,
                    epsilon,
                    params.getDouble("whiten_eps"),
                    true,
                    !params.getBoolean("no_std_norm"));
        }
        return Credit.builder(adv)
                .returns(whitenReturns ? adv : returns)
                .diagnostic("groups", st.groups)
                .diagnostic("singleton_groups", st.singletonGroups)
                .diagnostic("whiten_mean", ws.mean())
                .diagnostic("whiten_variance", ws.variance())
                .diagnostic("whiten_scale", ws.scale())
                .diagnostic("gamma_requested", shaping.gammaRequested())
                .build();
    }
}
