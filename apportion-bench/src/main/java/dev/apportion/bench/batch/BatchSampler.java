package dev.apportion.bench.batch;

import dev.apportion.bench.mdp.Episode;
import dev.apportion.bench.mdp.Mdp;
import dev.apportion.bench.mdp.Solution;
import dev.apportion.bench.mdp.TabularPolicy;
import dev.apportion.bench.task.SignalModel;
import dev.apportion.bench.task.Task;
import dev.apportion.core.rollout.Rollouts;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Samples a benchmark batch: {@code groups} groups of {@code groupSize} episodes, every episode
 * of a group from the same start state, under a tabular policy, with every signal of
 * {@link Signals} and the exact truth.
 *
 * <p>Layout of a trajectory: per turn, a context span of {@code obs_tokens} tokens (the
 * observation), then a policy span with one token per decision of the turn. Deterministic for
 * a given random source. Stateless and thread-safe.
 */
public final class BatchSampler {
    private static final double EPS = 1e-9;
    private static final float TEACHER_FLOOR = -20f;
    /** Token signal: Σ_a π(a|s)² of the sampling policy (verl's optimal token baseline input). */
    public static final String SUM_PI_SQUARED = "sum_pi_squared";

    private BatchSampler() {}

    /**
     * Samples one batch.
     *
     * @param task the task instance
     * @param policy sampling policy (read only; its probabilities are read from {@code solution})
     * @param solution the exact solution of {@code policy} on the task (see {@link Solution#of})
     * @param rng random source (advanced)
     */
    public static SampledBatch sample(
            Task task, TabularPolicy policy, Solution solution, int groups, int groupSize, SplittableRandom rng) {
        if (groups < 1 || groupSize < 1) throw new IllegalArgumentException("groups and group size must be >= 1");
        Mdp m = task.mdp();
        SignalModel sig = task.signals();
        int tpt = m.tokensPerTurn();
        int obs = sig.obsTokens();
        int n = groups * groupSize;
        Episode[] eps = new Episode[n];
        double[] baselines = new double[n];
        int totalTurns = 0;
        for (int g = 0; g < groups; g++) {
            int start = Episode.sampleStart(m, rng);
            double base = Episode.sample(m, solution, start, true, rng).totalReturn(m);
            for (int k = 0; k < groupSize; k++) {
                Episode e = Episode.sample(m, solution, start, false, rng);
                if (e.length() % tpt != 0) throw new IllegalStateException("episode ends inside a turn");
                eps[g * groupSize + k] = e;
                baselines[g * groupSize + k] = base;
                totalTurns += e.length() / tpt;
            }
        }
        int spanCount = 2 * totalTurns;
        int tokenCount = totalTurns * (obs + tpt);
        String[] groupKey = new String[n];
        String[] trajId = new String[n];
        double[] outcome = new double[n];
        int[] trajSpanStart = new int[n + 1];
        int[] spanTokens = new int[spanCount];
        boolean[] spanPolicy = new boolean[spanCount];
        double[] envReward = new double[spanCount];
        String[] spanState = new String[spanCount];
        String[] spanAgent = new String[spanCount];
        double[] prm = new double[spanCount];
        double[] ig = new double[spanCount];
        double[] logRatio = new double[spanCount];
        double[] verifier = new double[spanCount];
        double[] mcValue = new double[spanCount];
        double[] criticValue = new double[spanCount];
        double[] qValue = new double[spanCount];
        double[] cfBaseline = new double[spanCount];
        double[] spanV = new double[spanCount];
        double[] spanAdv = new double[spanCount];
        float[] spanTruth = new float[spanCount];
        byte[] spanLabel = new byte[spanCount];
        long[] spanKey = new long[spanCount];
        int[] spanDecision = new int[spanCount];
        float[] tokenTruth = new float[tokenCount];
        byte[] tokenLabel = new byte[tokenCount];
        long[] tokenKey = new long[tokenCount];
        float[] logp = new float[tokenCount];
        float[] ref = new float[tokenCount];
        float[] teacher = new float[tokenCount];
        float[] ent = new float[tokenCount];
        float[] value = new float[tokenCount];
        float[] pi2 = new float[tokenCount];
        java.util.Arrays.fill(spanKey, -1);
        java.util.Arrays.fill(spanDecision, -1);
        java.util.Arrays.fill(tokenKey, -1);
        double[] returns = new double[n];
        boolean[] success = new boolean[n];
        byte[] stateLabel = labels(m, solution);

        int span = 0;
        int tok = 0;
        double[] entropy = new double[m.stateCount()];
        double[] sumSq = new double[m.stateCount()];
        java.util.Arrays.fill(entropy, Double.NaN);
        for (int i = 0; i < n; i++) {
            Episode e = eps[i];
            int g = i / groupSize;
            groupKey[i] = "g" + g;
            trajId[i] = "g" + g + "-e" + (i % groupSize);
            outcome[i] = m.outcome(e.terminal());
            returns[i] = e.totalReturn(m);
            success[i] = m.success(e.terminal());
            trajSpanStart[i] = span;
            int turns = e.length() / tpt;
            for (int u = 0; u < turns; u++) {
                int first = u * tpt;
                int sFirst = e.states()[first];
                int sAfter = first + tpt < e.length() ? e.states()[first + tpt] : e.terminal();
                double vFirst = solution.v(sFirst);
                for (int c = 0; c < obs; c++) value[tok + c] = (float) (vFirst + noise(rng, sig.criticNoise()));
                spanTokens[span] = obs;
                span++;
                tok += obs;
                double reward = 0;
                double adv = 0;
                boolean biased = false;
                double ver = 0;
                boolean anyDecisive = false;
                boolean allIrrelevant = true;
                long key = sFirst;
                for (int j = 0; j < tpt; j++) {
                    int s = e.states()[first + j];
                    int a = e.actions()[first + j];
                    int sa = m.pair(s, a);
                    reward += e.rewards()[first + j];
                    double aTrue = solution.q(sa) - solution.v(s);
                    // V = sum pi*Q leaves rounding residue (|A| ~ 1e-16) where every action is worth the same
                    if (Math.abs(aTrue) < EPS) aTrue = 0;
                    adv += aTrue;
                    biased |= m.prmBiased(sa);
                    ver += m.verifier(sa);
                    key = key * 1_000_003L + a + 1;
                    int na = m.actionCount(s);
                    double lp = Math.log(solution.pi(sa));
                    int t = tok + j;
                    logp[t] = (float) lp;
                    ref[t] = (float) -Math.log(na);
                    if (Double.isNaN(entropy[s])) {
                        double h = 0;
                        double sq = 0;
                        for (int x = 0; x < na; x++) {
                            double px = solution.pi(m.actionStart(s) + x);
                            if (px > 0) h -= px * Math.log(px);
                            sq += px * px;
                        }
                        entropy[s] = h;
                        sumSq[s] = sq;
                    }
                    ent[t] = (float) entropy[s];
                    pi2[t] = (float) sumSq[s];
                    double vs = solution.vSuccess(s);
                    double qs = solution.qSuccess(sa);
                    float teach;
                    if (vs <= 0) teach = (float) lp;
                    else if (qs <= 0) teach = TEACHER_FLOOR;
                    else
                        teach = (float) Math.max(
                                TEACHER_FLOOR, lp + Math.log(qs) - Math.log(vs) + noise(rng, sig.teacherNoise()));
                    teacher[t] = teach;
                    value[t] = (float) (solution.v(s) + noise(rng, sig.criticNoise()));
                    tokenTruth[t] = (float) aTrue;
                    tokenLabel[t] = stateLabel[s];
                    tokenKey[t] = sa;
                    anyDecisive |= stateLabel[s] == SampledBatch.DECISIVE;
                    allIrrelevant &= stateLabel[s] == SampledBatch.IRRELEVANT;
                }
                String state = m.observation(sFirst);
                int bits = m.distractorBits(sFirst);
                if (bits > 0) {
                    StringBuilder sb = new StringBuilder(state.length() + bits + 1)
                            .append(state)
                            .append('|');
                    for (int x = 0; x < bits; x++) sb.append(rng.nextBoolean() ? '1' : '0');
                    state = sb.toString();
                }
                double vsAfter = solution.vSuccess(sAfter);
                double vsFirst = solution.vSuccess(sFirst);
                spanTokens[span] = tpt;
                spanPolicy[span] = true;
                envReward[span] = reward;
                spanState[span] = state;
                spanAgent[span] = m.agent(sFirst);
                prm[span] = prm(sig, vsAfter, biased, rng);
                ig[span] = vsAfter - vsFirst + noise(rng, sig.infoGainNoise());
                logRatio[span] = Math.log(vsAfter + 1e-8) - Math.log(vsFirst + 1e-8) + noise(rng, sig.infoGainNoise());
                verifier[span] = m.hasVerifier() ? ver / tpt : Double.NaN;
                mcValue[span] = vFirst + noise(rng, Math.sqrt(solution.returnVariance(sFirst) / sig.mcSamples()));
                criticValue[span] = vFirst + noise(rng, sig.criticNoise());
                qValue[span] = vFirst + adv + noise(rng, sig.criticNoise());
                cfBaseline[span] = vFirst + noise(rng, sig.criticNoise());
                spanV[span] = vFirst;
                spanAdv[span] = adv;
                spanTruth[span] = Math.abs(adv) < EPS ? 0f : (float) adv;
                spanDecision[span] = sFirst;
                spanLabel[span] = anyDecisive
                        ? SampledBatch.DECISIVE
                        : allIrrelevant ? SampledBatch.IRRELEVANT : SampledBatch.LOCAL;
                spanKey[span] = key;
                span++;
                tok += tpt;
            }
        }
        trajSpanStart[n] = span;
        // derived signals (ArCHer's second head, the prefix tree, ITPO's implicit PRM, the value heads)
        // are computed on first use: only estimators that read them pay for them
        java.util.function.Supplier<SampledBatch.Extras> derived = () -> {
            SampledBatch.Extras x = extras(
                    groupSize,
                    trajSpanStart,
                    spanPolicy,
                    spanTokens,
                    spanKey,
                    spanState,
                    spanV,
                    spanAdv,
                    logp,
                    returns,
                    sig);
            float[][] heads = valueHeads(m, solution, tokenKey, spanKey, returns, sig);
            float[] rm = new float[tokenCount];
            for (int t = 0; t < tokenCount; t++) {
                if (tokenKey[t] >= 0) rm[t] = (float) (Signals.RM_SCORE_BETA * ((double) teacher[t] - logp[t]));
            }
            x.tokenSignals().put(Signals.RM_SCORE, rm);
            for (int k = 0; k < heads.length; k++) x.tokenSignals().put(Signals.VALUE_HEAD_PREFIX + k, heads[k]);
            return x;
        };
        Map<String, float[]> ts = new LinkedHashMap<>();
        ts.put(Rollouts.LOGPROB, logp);
        ts.put(Rollouts.OLD_LOGPROB, logp);
        ts.put(Rollouts.REF_LOGPROB, ref);
        ts.put(Rollouts.TEACHER_LOGPROB, teacher);
        ts.put(Rollouts.ENTROPY, ent);
        ts.put(Rollouts.VALUE, value);
        ts.put(SUM_PI_SQUARED, pi2);
        ts.put(Signals.TRUE_ADVANTAGE, tokenTruth);
        return new SampledBatch(
                groupKey,
                trajId,
                outcome,
                baselines,
                trajSpanStart,
                spanTokens,
                spanPolicy,
                envReward,
                spanState,
                spanAgent,
                prm,
                ig,
                logRatio,
                verifier,
                mcValue,
                criticValue,
                qValue,
                cfBaseline,
                ts,
                m.hasStepRewards(),
                m.hasVerifier(),
                spanTruth,
                spanLabel,
                spanKey,
                spanDecision,
                tokenTruth,
                tokenLabel,
                tokenKey,
                returns,
                success,
                derived);
    }

    /**
     * The signals derived after sampling, from a random stream of their own (seeded by the
     * batch's content, so adding them left every earlier signal's draws unchanged): ArCHer's second
     * critic head, and the prefix tree of each group.
     *
     * <p>The tree: the trajectories of a group share their first turns where they saw the same
     * observation (state key and latent state) and took the same actions; each distinct prefix of
     * (state, actions) turns is a node, its parent the prefix one turn shorter (-1: the prompt).
     * A trajectory's last turn is its own leaf (a fresh node even when another trajectory's path
     * holds an identical turn), since each sampled episode is one leaf of a sampling tree. The tree
     * is the group's own independently sampled episodes, so it costs no extra rollout.
     */
    private static SampledBatch.Extras extras(
            int groupSize,
            int[] trajSpanStart,
            boolean[] spanPolicy,
            int[] spanTokens,
            long[] spanKey,
            String[] spanState,
            double[] spanV,
            double[] spanAdv,
            float[] logp,
            double[] returns,
            SignalModel sig) {
        int spans = spanPolicy.length;
        long h = 0x6A09E667F3BCC909L;
        for (int s = 0; s < spans; s++) h = mix(h ^ spanKey[s]);
        for (double r : returns) h = mix(h ^ Double.doubleToLongBits(r));
        SplittableRandom own = new SplittableRandom(h);
        double[] q2 = new double[spans];
        double[] v2 = new double[spans];
        int[] node = new int[spans];
        int[] parent = new int[spans];
        double[] ent = new double[spans];
        java.util.Arrays.fill(node, -1);
        java.util.Arrays.fill(parent, -1);
        int n = trajSpanStart.length - 1;
        Map<NodeKey, Integer> ids = new java.util.HashMap<>();
        int next = 0;
        int tok = 0;
        for (int i = 0; i < n; i++) {
            if (i % groupSize == 0) {
                ids.clear();
                next = 0;
            }
            int last = -1;
            for (int s = trajSpanStart[i]; s < trajSpanStart[i + 1]; s++) if (spanPolicy[s]) last = s;
            int up = -1;
            for (int s = trajSpanStart[i]; s < trajSpanStart[i + 1]; s++) {
                if (!spanPolicy[s]) {
                    tok += spanTokens[s];
                    continue;
                }
                q2[s] = spanV[s] + spanAdv[s] + noise(own, sig.criticNoise());
                v2[s] = spanV[s] + noise(own, sig.criticNoise());
                double nl = 0;
                for (int t = tok; t < tok + spanTokens[s]; t++) nl -= logp[t];
                ent[s] = spanTokens[s] == 0 ? 0 : nl / spanTokens[s];
                tok += spanTokens[s];
                int id;
                if (s == last) {
                    id = next++;
                } else {
                    NodeKey k = new NodeKey(up, spanKey[s], spanState[s]);
                    Integer known = ids.get(k);
                    if (known == null) {
                        known = next++;
                        ids.put(k, known);
                    }
                    id = known;
                }
                node[s] = id;
                parent[s] = up;
                up = id;
            }
        }
        return new SampledBatch.Extras(q2, v2, node, parent, ent, new LinkedHashMap<>());
    }

    /**
     * The value heads of a multi-timescale critic (target-decoupled GAE): head k is the
     * discounted value {@code V_γk(s)} of the state before each token ({@link Solution#discountedValues},
     * one step per decision) plus {@code N(0, critic_noise²)} drawn per token and head, like the
     * token signal {@code value}; context tokens show the value of the state they observe. From a
     * random stream of their own, seeded by the batch's content.
     */
    private static float[][] valueHeads(
            Mdp m, Solution solution, long[] tokenKey, long[] spanKey, double[] returns, SignalModel sig) {
        long h = 0x3C6EF372FE94F82BL;
        for (long k : spanKey) h = mix(h ^ k);
        for (double r : returns) h = mix(h ^ Double.doubleToLongBits(r));
        SplittableRandom own = new SplittableRandom(h);
        int nt = tokenKey.length;
        int[] state = new int[nt];
        int next = -1;
        for (int t = nt - 1; t >= 0; t--) {
            if (tokenKey[t] >= 0) next = m.pairState((int) tokenKey[t]);
            state[t] = next;
        }
        double[] gammas = Signals.VALUE_HEAD_GAMMAS;
        float[][] out = new float[gammas.length][nt];
        for (int k = 0; k < gammas.length; k++) {
            double[] vg = solution.discountedValues(gammas[k]);
            float[] o = out[k];
            for (int t = 0; t < nt; t++) {
                o[t] = state[t] < 0 ? 0f : (float) (vg[state[t]] + noise(own, sig.criticNoise()));
            }
        }
        return out;
    }

    /** A tree node: its parent, the turn's decision (latent state and actions) and what it showed. */
    private record NodeKey(int parent, long decision, String state) {}

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The PRM's probability that the turn was a good step. Clipped ({@code prm_clip}, default):
     * {@code V_s(s') + N(0, prm_noise²) + prm_bias·[biased]} clipped to [0, 1], so the bias of a
     * step whose success probability is already high is cut off (at {@code V_s(s') ≥ 1 − prm_bias}
     * a biased step gains nothing). Unclipped: noise and bias act on the PRM's logit and nothing
     * is clipped, {@code σ(logit V_s(s') + 4·N(0, prm_noise²) + 4·prm_bias·[biased])} (the factor
     * 4 = 1/σ'(0) matches the clipped model's scale at ½; V is held inside [1e−9, 1 − 1e−9]), so
     * every biased step scores strictly higher than the same step unbiased, wherever its success
     * probability lies, and each repeated biased step adds its inflated score to a summed return.
     * Exact ({@code V_s(s')}) in both forms when the noise and the bias are 0.
     */
    static double prm(SignalModel sig, double vsAfter, boolean biased, SplittableRandom rng) {
        if (sig.prmClip()) {
            double raw = vsAfter + noise(rng, sig.prmNoise()) + (biased ? sig.prmBias() : 0);
            return Math.max(0, Math.min(1, raw));
        }
        double shift = 4 * noise(rng, sig.prmNoise()) + (biased ? 4 * sig.prmBias() : 0);
        if (shift == 0) return vsAfter; // exact
        double v = Math.max(1e-9, Math.min(1 - 1e-9, vsAfter));
        return 1 / (1 + Math.exp(-(Math.log(v) - Math.log1p(-v) + shift)));
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
