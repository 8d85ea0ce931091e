package dev.apportion.bench.batch;

import dev.apportion.bench.mdp.Episode;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.SignalModel;
import dev.apportion.bench.task.Task;
import dev.apportion.core.rollout.Role;
import dev.apportion.core.rollout.Rollouts;
import dev.apportion.core.rollout.RolloutsBuilder;

import java.util.SplittableRandom;

/**
 * Samples a benchmark batch: {@code groups} groups of {@code groupSize} episodes, every episode
 * of a group from the same start state, under a tabular policy, and turns them into a
 * {@link Rollouts} batch carrying every signal of {@link Signals} plus the exact truth.
 *
 * <p>Layout of a trajectory: per turn, a context span of {@code obs_tokens} tokens (the
 * observation), then a policy span with one token per decision of the turn. Deterministic for
 * a given random source. Stateless and thread-safe.
 */
public final class BatchSampler {
    private static final double EPS = 1e-9;
    private static final float TEACHER_FLOOR = -20f;

    private BatchSampler() {
    }

    /**
     * Samples one batch.
     *
     * @param task the task instance
     * @param policy sampling policy (read only)
     * @param solution the exact solution of {@code policy} on the task (see {@link Solution#of})
     * @param rng random source (advanced)
     */
    public static SampledBatch sample(Task task, TabularPolicy policy, Solution solution, int groups, int groupSize,
                                      SplittableRandom rng) {
        if (groups < 1 || groupSize < 1) throw new IllegalArgumentException("groups and group size must be >= 1");
        Mdp m = task.mdp();
        SignalModel sig = task.signals();
        int tpt = m.tokensPerTurn();
        int obs = sig.obsTokens();
        int n = groups * groupSize;
        Episode[] eps = new Episode[n];
        double[] baselines = new double[groups];
        int totalTurns = 0;
        for (int g = 0; g < groups; g++) {
            int start = Episode.sampleStart(m, rng);
            baselines[g] = Episode.sample(m, policy, start, true, rng).totalReturn(m);
            for (int k = 0; k < groupSize; k++) {
                Episode e = Episode.sample(m, policy, start, false, rng);
                if (e.length() % tpt != 0) throw new IllegalStateException("episode ends inside a turn");
                eps[g * groupSize + k] = e;
                totalTurns += e.length() / tpt;
            }
        }
        int spanCount = 2 * totalTurns;
        int tokenCount = totalTurns * (obs + tpt);
        float[] spanTruth = new float[spanCount];
        byte[] spanLabel = new byte[spanCount];
        long[] spanKey = new long[spanCount];
        float[] tokenTruth = new float[tokenCount];
        byte[] tokenLabel = new byte[tokenCount];
        long[] tokenKey = new long[tokenCount];
        java.util.Arrays.fill(spanKey, -1);
        java.util.Arrays.fill(tokenKey, -1);
        double[] returns = new double[n];
        boolean[] success = new boolean[n];
        byte[] stateLabel = labels(m, solution);

        RolloutsBuilder b = Rollouts.builder();
        b.ensureCapacity(n, spanCount, tokenCount);
        int span = 0;
        int tok = 0;
        double[] row = new double[Math.max(1, m.maxActions())];
        boolean steps = m.hasStepRewards();
        for (int i = 0; i < n; i++) {
            Episode e = eps[i];
            int g = i / groupSize;
            int turns = e.length() / tpt;
            int len = turns * (obs + tpt);
            float[] logp = new float[len];
            float[] ref = new float[len];
            float[] teacher = new float[len];
            float[] ent = new float[len];
            float[] value = new float[len];
            float[] trueTok = new float[len];
            b.trajectory("g" + g, "g" + g + "-e" + (i % groupSize));
            b.outcome(m.outcome(e.terminal()));
            b.signal(Signals.REWARD_BASELINE, baselines[g]);
            returns[i] = e.totalReturn(m);
            success[i] = m.success(e.terminal());
            int local = 0;
            for (int u = 0; u < turns; u++) {
                int first = u * tpt;
                int sFirst = e.states()[first];
                int sAfter = first + tpt < e.length() ? e.states()[first + tpt] : e.terminal();
                double vFirst = solution.v(sFirst);
                for (int c = 0; c < obs; c++) value[local + c] = (float) (vFirst + noise(rng, sig.criticNoise()));
                b.span(Role.CONTEXT, obs);
                span++;
                local += obs;
                tok += obs;
                double reward = 0;
                double adv = 0;
                boolean biased = false;
                double verifier = 0;
                boolean anyDecisive = false;
                boolean allIrrelevant = true;
                long key = sFirst;
                for (int j = 0; j < tpt; j++) {
                    int s = e.states()[first + j];
                    int a = e.actions()[first + j];
                    int sa = m.pair(s, a);
                    reward += e.rewards()[first + j];
                    double aTrue = solution.q(sa) - solution.v(s);
                    adv += aTrue;
                    biased |= m.prmBiased(sa);
                    verifier += m.verifier(sa);
                    key = key * 1_000_003L + a + 1;
                    policy.probabilities(m.feature(s), row);
                    int na = m.actionCount(s);
                    double p = row[a];
                    double lp = Math.log(p);
                    logp[local + j] = (float) lp;
                    ref[local + j] = (float) -Math.log(na);
                    double h = 0;
                    for (int x = 0; x < na; x++) if (row[x] > 0) h -= row[x] * Math.log(row[x]);
                    ent[local + j] = (float) h;
                    double vs = solution.vSuccess(s);
                    double qs = solution.qSuccess(sa);
                    float teach;
                    if (vs <= 0) teach = (float) lp;
                    else if (qs <= 0) teach = TEACHER_FLOOR;
                    else teach = (float) Math.max(TEACHER_FLOOR, lp + Math.log(qs) - Math.log(vs));
                    teacher[local + j] = teach;
                    value[local + j] = (float) (solution.v(s) + noise(rng, sig.criticNoise()));
                    trueTok[local + j] = (float) aTrue;
                    tokenTruth[tok + j] = (float) aTrue;
                    tokenLabel[tok + j] = stateLabel[s];
                    tokenKey[tok + j] = sa;
                    anyDecisive |= stateLabel[s] == SampledBatch.DECISIVE;
                    allIrrelevant &= stateLabel[s] == SampledBatch.IRRELEVANT;
                }
                String state = m.observation(sFirst);
                int bits = m.distractorBits(sFirst);
                if (bits > 0) {
                    StringBuilder sb = new StringBuilder(state.length() + bits + 1).append(state).append('|');
                    for (int x = 0; x < bits; x++) sb.append(rng.nextBoolean() ? '1' : '0');
                    state = sb.toString();
                }
                b.span(Role.POLICY, tpt, steps ? reward : Double.NaN, state, m.agent(sFirst));
                double vsAfter = solution.vSuccess(sAfter);
                double vsFirst = solution.vSuccess(sFirst);
                b.spanSignal(Signals.PRM, vsAfter + noise(rng, sig.prmNoise()) + (biased ? sig.prmBias() : 0));
                b.spanSignal(Signals.INFO_GAIN, vsAfter - vsFirst + noise(rng, sig.infoGainNoise()));
                if (m.hasVerifier()) b.spanSignal(Signals.VERIFIER, verifier / tpt);
                b.spanSignal(Signals.TRUE_ADVANTAGE, adv);
                spanTruth[span] = (float) adv;
                spanLabel[span] = anyDecisive ? SampledBatch.DECISIVE : allIrrelevant ? SampledBatch.IRRELEVANT : SampledBatch.LOCAL;
                spanKey[span] = key;
                span++;
                local += tpt;
                tok += tpt;
            }
            b.tokenSignal(Rollouts.LOGPROB, logp);
            b.tokenSignal(Rollouts.OLD_LOGPROB, logp);
            b.tokenSignal(Rollouts.REF_LOGPROB, ref);
            b.tokenSignal(Rollouts.TEACHER_LOGPROB, teacher);
            b.tokenSignal(Rollouts.ENTROPY, ent);
            b.tokenSignal(Rollouts.VALUE, value);
            b.tokenSignal(Signals.TRUE_ADVANTAGE, trueTok);
        }
        return new SampledBatch(b.build(), spanTruth, spanLabel, spanKey, tokenTruth, tokenLabel, tokenKey, returns, success);
    }

    private static double noise(SplittableRandom rng, double sd) {
        return sd > 0 ? sd * rng.nextGaussian() : 0;
    }

    /** Label of every decision state: decisive, irrelevant or local (terminal states: none). */
    static byte[] labels(Mdp m, Solution sol) {
        byte[] out = new byte[m.stateCount()];
        for (int s = 0; s < m.stateCount(); s++) {
            if (m.terminal(s)) continue;
            if (sol.successSpread(s) > EPS) out[s] = SampledBatch.DECISIVE;
            else if (sol.spread(s) <= EPS) out[s] = SampledBatch.IRRELEVANT;
            else out[s] = SampledBatch.LOCAL;
        }
        return out;
    }
}
