package dev.apportion.bench.task;

import dev.apportion.core.credit.ParamSpec;

import java.util.List;

/**
 * How the exact quantities of a task are turned into the signals estimators consume: the
 * noise of the critic, of the process reward model and of the information-gain signal, the
 * PRM's exploitable bias, and the number of observation tokens per turn. Every task family
 * declares these knobs (see {@link #SPECS}).
 *
 * @param criticNoise standard deviation of the Gaussian noise added to the true value on every token
 * @param prmNoise standard deviation of the Gaussian noise added to the PRM score (then clipped to [0, 1])
 * @param prmBias amount the PRM adds to turns whose action carries the biased feature
 * @param infoGainNoise standard deviation of the Gaussian noise added to the information gain
 * @param obsTokens context tokens per turn
 * @param mcSamples rollouts behind each Monte-Carlo value estimate (span signal {@code mc_value})
 */
public record SignalModel(double criticNoise, double prmNoise, double prmBias, double infoGainNoise, int obsTokens,
                          int mcSamples) {
    /** Knobs shared by every family. */
    public static final List<ParamSpec> SPECS = List.of(
            ParamSpec.real("critic_noise", 0.1, 0.0, 100.0,
                    "Std of the Gaussian noise added to the true state value on every token (token signal 'value')."),
            ParamSpec.real("prm_noise", 0.1, 0.0, 100.0,
                    "Std of the Gaussian noise added to the PRM score (span signal 'prm')."),
            ParamSpec.real("prm_bias", 0.0, -100.0, 100.0,
                    "Bonus the PRM gives turns whose action carries the exploitable feature (it does not help)."),
            ParamSpec.real("info_gain_noise", 0.0, 0.0, 100.0,
                    "Std of the Gaussian noise added to the information gain (span signal 'info_gain')."),
            ParamSpec.integer("obs_tokens", 2, 1, 64, "Context (observation) tokens per turn."),
            ParamSpec.integer("mc_samples", 4, 1, 100_000,
                    "Rollouts behind each Monte-Carlo state value (span signal 'mc_value'): V(s) + N(0, Var[G|s]/mc_samples)."));

    /** Reads the common knobs. */
    public static SignalModel of(Knobs k) {
        return new SignalModel(k.getDouble("critic_noise"), k.getDouble("prm_noise"), k.getDouble("prm_bias"),
                k.getDouble("info_gain_noise"), k.getInt("obs_tokens"), k.getInt("mc_samples"));
    }

    /** {@code specific} followed by the common knobs, with some common defaults replaced. */
    public static List<ParamSpec> with(List<ParamSpec> specific, ParamSpec... overrides) {
        java.util.List<ParamSpec> out = new java.util.ArrayList<>(specific);
        for (ParamSpec c : SPECS) {
            ParamSpec use = c;
            for (ParamSpec o : overrides) if (o.name().equals(c.name())) use = o;
            out.add(use);
        }
        return List.copyOf(out);
    }
}
