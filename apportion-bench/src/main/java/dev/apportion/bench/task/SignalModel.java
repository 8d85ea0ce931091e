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
 * @param prmNoise standard deviation of the Gaussian noise added to the PRM score (then clipped to [0, 1]; in
 *     logit space, times 4, when {@code prmClip} is false)
 * @param prmBias amount the PRM adds to turns whose action carries the biased feature
 * @param infoGainNoise standard deviation of the Gaussian noise added to the information gain
 * @param obsTokens context tokens per turn
 * @param mcSamples rollouts behind each Monte-Carlo value estimate (span signal {@code mc_value})
 * @param teacherNoise standard deviation of the noise on the teacher's log-ratio
 * @param prmClip whether the PRM score is clipped to [0, 1] (else noise and bias act on its logit)
 */
public record SignalModel(
        double criticNoise,
        double prmNoise,
        double prmBias,
        double infoGainNoise,
        int obsTokens,
        int mcSamples,
        double teacherNoise,
        boolean prmClip) {
    /** Knobs shared by every family. */
    public static final List<ParamSpec> SPECS = List.of(
            ParamSpec.real(
                    "critic_noise",
                    0.3,
                    0.0,
                    100.0,
                    "Std of the Gaussian noise added to the true state value (token 'value', span 'critic_value', 'q_value', "
                            + "'counterfactual_baseline'): a learned critic's error. Times signal_noise."),
            ParamSpec.real(
                    "prm_noise",
                    0.2,
                    0.0,
                    100.0,
                    "Std of the Gaussian noise added to the PRM score (span signal 'prm'). Times signal_noise."),
            ParamSpec.real(
                    "prm_bias",
                    0.0,
                    -100.0,
                    100.0,
                    "Bonus the PRM gives turns whose action carries the exploitable feature (it does not help)."),
            ParamSpec.real(
                    "info_gain_noise",
                    0.1,
                    0.0,
                    100.0,
                    "Std of the Gaussian noise added to the information gain (span signal 'info_gain') and to SIOP's "
                            + "log-potential ratio. Times signal_noise."),
            ParamSpec.real(
                    "teacher_noise",
                    0.5,
                    0.0,
                    100.0,
                    "Std of the Gaussian noise added to the teacher's log-ratio log Q_s - log V_s (token 'teacher_logprob'). "
                            + "Times signal_noise."),
            ParamSpec.real(
                    "signal_noise",
                    1.0,
                    0.0,
                    100.0,
                    "Multiplier of every signal noise above; 0 = the PRIVILEGED configuration (exact solver quantities: "
                            + "rows that read them are tier 'privileged')."),
            ParamSpec.bool(
                    "prm_clip",
                    true,
                    "Clip the PRM score V_s(s') + noise + bias to [0, 1], which caps the bias of a step that is already "
                            + "likely to succeed (false: noise and bias act on the PRM's logit, sigma(logit V_s(s') + 4 noise + "
                            + "4 prm_bias); nothing is clipped, every biased step scores higher, and padding with biased steps "
                            + "inflates a summed PRM return)."),
            ParamSpec.integer("obs_tokens", 2, 1, 64, "Context (observation) tokens per turn."),
            ParamSpec.integer(
                    "mc_samples",
                    4,
                    1,
                    100_000,
                    "Rollouts behind each Monte-Carlo state value (span signal 'mc_value'): V(s) + N(0, Var[G|s]/mc_samples)."));

    /** Reads the common knobs. */
    public static SignalModel of(Knobs k) {
        double x = k.getDouble("signal_noise");
        return new SignalModel(
                x * k.getDouble("critic_noise"),
                x * k.getDouble("prm_noise"),
                k.getDouble("prm_bias"),
                x * k.getDouble("info_gain_noise"),
                k.getInt("obs_tokens"),
                k.getInt("mc_samples"),
                x * k.getDouble("teacher_noise"),
                k.getBoolean("prm_clip"));
    }

    /** True when the configuration is the privileged one (every signal exact). */
    public static boolean privileged(Knobs k) {
        return k.getDouble("signal_noise") == 0;
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
