package dev.apportion.jmh;

import dev.apportion.core.credit.Credit;
import dev.apportion.core.credit.Estimator;
import dev.apportion.core.credit.EstimatorRegistry;
import dev.apportion.core.credit.Execution;
import dev.apportion.core.credit.Params;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;
import dev.apportion.core.stats.Broadcast;
import dev.apportion.core.stats.GroupStats;
import dev.apportion.core.stats.Whitening;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * JMH micro-benchmarks of the kernels the estimators are built from: group statistics over
 * outcomes, batch whitening of token values, the backward TD scan (through {@code gae}, verl
 * preset, γ = 0.99, λ = 0.95, whitening off so the scan is what is timed), broadcasting
 * per-trajectory values to tokens, and {@code System.arraycopy} of as many floats (the yardstick
 * of {@code apportion perf}). The batch: {@code trajectories} trajectories of a 512-token prompt
 * and a {@code responseTokens}-token response, groups of 8, token rewards and critic values.
 *
 * <p>Run: {@code mvn -q -B -Pjmh -pl apportion-jmh -am -DskipTests package && java -jar
 * apportion-jmh/target/benchmarks.jar} (JMH options after the jar, e.g. {@code -f 1 -wi 3 -i 5
 * KernelBenchmarks.gaeScan}). Results are average time per call; divide the token count by it for
 * tokens per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelBenchmarks {
    @Param({"2048"})
    public int trajectories;

    @Param({"4096"})
    public int responseTokens;

    @Param({"1"})
    public int threads;

    Rollouts batch;
    double[] outcomes;
    int[] groupOf;
    int groups;
    float[] tokenValues;
    float[] out;
    float[] copySrc;
    Estimator gae;
    Params gaeParams;
    Credit.Buffers buffers;
    Execution exec;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom r = new SplittableRandom(42);
        int prompt = 512;
        int len = prompt + responseTokens;
        RolloutsBuilder b = Rollouts.builder().ensureCapacity(trajectories, 2 * trajectories, trajectories * len);
        float[] reward = new float[len];
        float[] value = new float[len];
        for (int i = 0; i < trajectories; i++) {
            b.trajectory("g" + i / 8, "t" + i).outcome(r.nextInt(2));
            b.span(Role.CONTEXT, prompt).span(Role.POLICY, responseTokens);
            for (int t = 0; t < len; t++) {
                reward[t] = t >= prompt ? (float) (0.02 * r.nextDouble() - 0.01) : 0f;
                value[t] = (float) (2 * r.nextDouble() - 1);
            }
            b.tokenSignal(Rollouts.REWARD, reward).tokenSignal(Rollouts.VALUE, value);
        }
        batch = b.build();
        outcomes = new double[trajectories];
        for (int i = 0; i < trajectories; i++) outcomes[i] = batch.outcome()[i];
        groupOf = batch.trajectoryGroups();
        groups = batch.groupCount();
        tokenValues = batch.tokenSignal(Rollouts.VALUE).clone();
        out = new float[batch.tokenCount()];
        copySrc = batch.tokenSignal(Rollouts.VALUE);
        gae = EstimatorRegistry.global().get("gae");
        gaeParams = Params.resolve(gae.descriptor(), "verl", Map.of("gamma", 0.99, "lambda", 0.95, "whiten", false));
        buffers = new Credit.Buffers();
        exec = Execution.threads(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        exec.close();
    }

    /** Mean and standard deviation of the outcomes per group (GRPO's statistics). */
    @Benchmark
    public GroupStats groupStats() {
        return GroupStats.of(outcomes, groupOf, groups);
    }

    /** Whitening of every policy token's value over the batch (two passes: statistics, then rewrite). */
    @Benchmark
    public Whitening.Stats whitening() {
        System.arraycopy(copySrc, 0, tokenValues, 0, tokenValues.length);
        return Whitening.whiten(tokenValues, batch.mask(), Whitening.Variance.UNBIASED, Whitening.Epsilon.ADD, 1e-8, true, true);
    }

    /** The copy {@link #whitening()} starts with, to subtract from it. */
    @Benchmark
    public float[] whiteningCopyOnly() {
        System.arraycopy(copySrc, 0, tokenValues, 0, tokenValues.length);
        return tokenValues;
    }

    /** The backward TD scan of GAE (advantages and returns, no whitening). */
    @Benchmark
    public void gaeScan(Blackhole bh) {
        bh.consume(gae.assign(batch, gaeParams, exec, buffers).advantages());
    }

    /** Per-trajectory values laid over the tokens (policy tokens get the value, context 0). */
    @Benchmark
    public float[] broadcast() {
        Broadcast.trajectories(batch, outcomes, out, exec);
        return out;
    }

    /** {@code System.arraycopy} of one float per token. */
    @Benchmark
    public float[] copy() {
        System.arraycopy(copySrc, 0, out, 0, out.length);
        return out;
    }
}
