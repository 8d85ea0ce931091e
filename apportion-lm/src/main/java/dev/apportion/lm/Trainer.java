package dev.apportion.lm;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Params;
import dev.apportion.core.credit.SignalRequirement;
import dev.apportion.core.rollout.RolloutException;
import dev.apportion.core.rollout.Rollouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Supervised warm-up, evaluation and the RL loop: per step, {@code prompts} problems with
 * {@code group} samples each; every signal recorded into {@link Rollouts} ({@link Recorder});
 * credit from a registry estimator; PPO-clip updates ({@link Policy#ppoGradient}) with Adam.
 * Seeded: the same configuration and seed give the same weights.
 */
public final class Trainer {
    /** RL settings. */
    public record RlConfig(
            String estimator,
            String preset,
            Map<String, ?> overrides,
            int prompts,
            int group,
            double lr,
            double clipEps,
            int ppoEpochs,
            Policy.Aggregation aggregation,
            double klCoef,
            int vineK) {
        /** Defaults: 8 prompts × 8 samples, lr 3e-4, clip 0.2, 1 PPO epoch, token-mean, no KL, K=8 for MC values. */
        public static RlConfig defaults(String estimator) {
            return new RlConfig(estimator, null, Map.of(), 8, 8, 3e-4, 0.2, 1, Policy.Aggregation.TOKEN_MEAN, 0.0, 8);
        }

        public RlConfig with(int prompts, int group) {
            return new RlConfig(
                    estimator, preset, overrides, prompts, group, lr, clipEps, ppoEpochs, aggregation, klCoef, vineK);
        }
    }

    /**
     * What one RL step did. {@code creditSeconds}: time in the estimator's {@code assign} plus,
     * for estimators that need Monte-Carlo values, the branching rollouts that produce them
     * (recording the batch is not counted). {@code cpuSeconds} / {@code creditCpuSeconds}: the same
     * spans in CPU time of the calling thread (PyTorch runs single-threaded on it), which the
     * load of a shared machine does not inflate.
     */
    public record StepStats(
            int step,
            double batchSuccess,
            double loss,
            double clipFraction,
            double kl,
            long samples,
            double seconds,
            double creditSeconds,
            double cpuSeconds,
            double creditCpuSeconds) {}

    private final Task task;
    private final Weights policy;
    private final Weights reference;
    private final RlConfig cfg;
    private final Estimator estimator;
    private final Params params;
    private final boolean needsMcValue;
    private final Adam adam;
    private final SplittableRandom rnd;
    private long samples;
    private int step;
    private Map<String, Double> lastDiagnostics = Map.of();

    /**
     * @param policy trained in place
     * @param reference the reference policy (for {@code ref_logprob} and the KL term)
     */
    public Trainer(Task task, Weights policy, Weights reference, RlConfig cfg, EstimatorRegistry registry, long seed) {
        this.task = task;
        this.policy = policy;
        this.reference = reference;
        this.cfg = cfg;
        this.estimator = registry.get(cfg.estimator());
        this.params = Params.resolve(
                estimator.descriptor(), cfg.preset(), cfg.overrides() == null ? Map.of() : cfg.overrides());
        boolean mc = false;
        for (SignalRequirement r : estimator.descriptor().requires()) {
            if (r.name().equals("mc_value")) mc = true;
            if (r.name().equals(Rollouts.VALUE) || r.name().equals(Rollouts.TEACHER_LOGPROB)) {
                throw new IllegalArgumentException("estimator '" + cfg.estimator() + "' needs signal '" + r.name()
                        + "' (" + r.producedBy() + "), which the lm loop does not produce (no critic, no teacher)");
            }
        }
        this.needsMcValue = mc;
        this.adam = new Adam(policy.size(), 1.0);
        this.rnd = new SplittableRandom(seed);
    }

    /** Episodes sampled so far (including branching continuations charged to the estimator). */
    public long samples() {
        return samples;
    }

    /** The estimator's diagnostics on the last step's batch (e.g. GiGPO's {@code step_term_all_zero}). */
    public Map<String, Double> lastDiagnostics() {
        return lastDiagnostics;
    }

    /** One RL step. */
    public StepStats step() {
        long t0 = System.nanoTime(), u0 = cpu();
        List<Episode> eps = new ArrayList<>(cfg.prompts() * cfg.group());
        for (int j = 0; j < cfg.prompts(); j++) {
            Task.Problem p = task.sample(rnd);
            for (int g = 0; g < cfg.group(); g++)
                eps.add(Episode.start(j, p, policy.config().maxLen()));
        }
        Policy.generate(policy, task, eps, rnd);
        samples += eps.size();
        double success = 0;
        for (Episode e : eps) success += e.reward;
        success /= eps.size();
        Policy.Scores cur = Policy.score(policy, eps, true);
        Policy.Scores ref = Policy.score(reference, eps, false);
        long c0 = System.nanoTime(), cu0 = cpu();
        double[][] mc = null;
        if (needsMcValue) {
            long[] spent = new long[1];
            mc = BranchingOracle.turnValues(policy, task, eps, cfg.vineK(), rnd, spent);
            samples += spent[0];
        }
        long m1 = System.nanoTime(), cu1 = cpu();
        Rollouts batch = Recorder.record("s" + step + "-p", eps, cur, ref, mc);
        long a0 = System.nanoTime(), au0 = cpu();
        Credit credit;
        try {
            credit = estimator.assign(batch, params);
        } catch (RolloutException e) {
            throw new IllegalArgumentException(
                    "estimator '" + estimator.id() + "' cannot run on lm rollouts: " + e.getMessage(), e);
        }
        long a1 = System.nanoTime(), au1 = cpu();
        lastDiagnostics = credit.diagnostics();
        float[] grad = new float[policy.size()];
        Policy.LossInfo info = null;
        for (int epoch = 0; epoch < cfg.ppoEpochs(); epoch++) {
            info = Policy.ppoGradient(
                    policy,
                    eps,
                    credit.advantages(),
                    cur.logProb(),
                    ref.logProb(),
                    credit.lossWeights(),
                    credit.clipScales(),
                    cfg.clipEps(),
                    cfg.klCoef(),
                    cfg.aggregation(),
                    grad);
            adam.step(policy.data(), grad, cfg.lr());
        }
        long t1 = System.nanoTime(), u1 = cpu();
        step++;
        return new StepStats(
                step,
                success,
                info.loss(),
                info.clipFraction(),
                info.kl(),
                samples,
                (t1 - t0) / 1e9,
                ((m1 - c0) + (a1 - a0)) / 1e9,
                (u1 - u0) / 1e9,
                ((cu1 - cu0) + (au1 - au0)) / 1e9);
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of the calling thread in ns (wall time where the JVM cannot measure it). */
    private static long cpu() {
        long t = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        return t >= 0 ? t : System.nanoTime();
    }

    /** Credit of {@code estimator} for a recorded batch (no training). */
    public static Credit credit(Estimator estimator, Params params, Rollouts batch) {
        return estimator.assign(batch, params);
    }

    // ------------------------------------------------------------------ warm-up and evaluation

    /**
     * Supervised warm-up on generated demonstrations: {@code steps} Adam steps (lr {@code lr},
     * batches of {@code batch} problems) on the mean negative log-likelihood of the
     * demonstrated policy tokens.
     */
    public static void warmup(
            Weights w, Task task, int steps, int batch, double lr, long seed, Consumer<String> progress) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5F7A11L);
        Adam opt = new Adam(w.size(), 1.0);
        float[] grad = new float[w.size()];
        double ema = Double.NaN;
        for (int s = 0; s < steps; s++) {
            List<Episode> eps = new ArrayList<>(batch);
            while (eps.size() < batch) {
                Episode e = Episode.demonstration(
                        eps.size(), task.sample(r), w.config().maxLen());
                if (e != null) eps.add(e);
            }
            double lrNow = lr * Math.min(1.0, (s + 1) / 50.0);
            double loss = Policy.supervisedGradient(w, eps, grad).loss();
            opt.step(w.data(), grad, lrNow);
            ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
            if (progress != null && ((s + 1) % 100 == 0 || s + 1 == steps)) {
                progress.accept(String.format("warm-up %d/%d  nll %.3f", s + 1, steps, ema));
            }
        }
    }

    /**
     * Success rate: mean verifier reward of one sampled episode (temperature 1) on each of
     * {@code n} evaluation problems drawn from {@code seed} (the same problems for every policy).
     */
    public static double evaluate(Weights w, Task task, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0xE7A1L);
        List<Episode> eps = new ArrayList<>(n);
        for (int j = 0; j < n; j++)
            eps.add(Episode.start(j, task.sample(r), w.config().maxLen()));
        Policy.generate(w, task, eps, r);
        double s = 0;
        for (Episode e : eps) s += e.reward;
        return s / n;
    }
}
